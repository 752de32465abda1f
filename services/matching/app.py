"""Matching's process: Kafka subscribers and HTTP routes only."""

from __future__ import annotations

from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException

from services.matching import handlers, repository
from services.matching.bootstrap import bootstrap
from services.matching.config import MatchingSettings
from shared.auth import Caller, require
from shared.runtime import http_app


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings or MatchingSettings())
    runtime.startup_hooks.append(handlers.load_reference_sites)
    app = http_app(runtime, title="Groeiruimte matching",
                   description="Scores cases against the supply catalogue and proposes sites.")

    @app.get("/cases/{case_id}/proposals", tags=["matching"], summary="A case's ranked proposals")
    async def proposals(case_id: UUID, caller: Caller = Depends(app.state.caller)) -> dict:
        require(caller, "coordinator")
        async with runtime.sessions() as session:
            match = await repository.get_match(session, case_id)
        if match is None:
            raise HTTPException(404, f"no proposals for case {case_id}")
        return {"case_id": str(case_id), "code_name": match["code_name"], "proposals": match["proposals"]}

    return app
