"""Matching's process: HTTP routes only (subscribers are wired in bootstrap)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import Body, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from services.matching import coordinator, repository
from services.matching.bootstrap import bootstrap
from services.matching.config import MatchingSettings
from shared.auth import Caller, require
from shared.db import transaction
from shared.runtime import http_app

SUPPLY_ROLES = ("coordinator", "province", "municipality")


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    runtime, deps = bootstrap(settings or MatchingSettings())
    app = http_app(runtime, title="Groeiruimte matching",
                   description="The supply catalogue, ranked and explained site proposals per case, the "
                               "coordinator's decisions and the cases' outcomes.")
    caller_of = app.state.caller

    @app.exception_handler(coordinator.Problem)
    async def problem(_: Request, exc: coordinator.Problem) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.detail})

    @app.get("/cases", tags=["coordinator"], summary="All matched cases, newest match first")
    async def cases(status: Literal["open", "closed"] | None = None, caller: Caller = Depends(caller_of)) -> list:
        require(caller, "coordinator")
        async with runtime.sessions() as session:
            return await repository.list_matches(session, status=status)

    @app.get("/cases/{case_id}/proposals", tags=["coordinator"], summary="A case's ranked proposals")
    async def proposals(case_id: UUID, caller: Caller = Depends(caller_of)) -> dict:
        require(caller, "coordinator")
        async with runtime.sessions() as session:
            match = await repository.get_match(session, case_id)
            if match is None:
                raise HTTPException(404, f"no proposals for case {case_id} (unknown case, or not matched yet)")
            decided = await repository.decisions(session, case_id)
        return {"case_id": str(case_id), "code_name": match["code_name"], "status": match["status"],
                "outcome": match["outcome"], "revision": match["revision"],
                "no_proposition": bool(match["no_proposition"]), "proposals": match["proposals"],
                "near_misses": match["near_misses"], "blocking": match["blocking"],
                "blocking_details": match["blocking_details"], "decisions": decided}

    @app.post("/cases/{case_id}/proposals/{site_id}/decision", tags=["coordinator"],
              summary="Accept or decline one proposed site, with a reason (emits proposal-decided)")
    async def decide(case_id: UUID, site_id: str, body: coordinator.Decision,
                     caller: Caller = Depends(caller_of)) -> dict:
        require(caller, "coordinator")
        async with transaction(runtime.sessions) as session:
            return await coordinator.decide(session, case_id, site_id, body, caller, deps=deps)

    @app.post("/cases/{case_id}/outcome", tags=["coordinator"],
              summary="Record the company's decision (emits relocation-realised and/or case-closed)")
    async def outcome(case_id: UUID, body: coordinator.Outcome, caller: Caller = Depends(caller_of)) -> dict:
        require(caller, "coordinator")
        async with transaction(runtime.sessions) as session:
            return await coordinator.record_outcome(session, case_id, body, deps=deps)

    @app.get("/sites", tags=["supply"], summary="The supply catalogue")
    async def sites(region: str | None = None, caller: Caller = Depends(caller_of)) -> list[dict]:
        require(caller, *SUPPLY_ROLES, "rom")
        async with runtime.sessions() as session:
            return await repository.list_sites(session, region=region)

    @app.get("/sites/{site_id}", tags=["supply"], summary="One site")
    async def one_site(site_id: str, caller: Caller = Depends(caller_of)) -> dict:
        require(caller, *SUPPLY_ROLES, "rom")
        async with runtime.sessions() as session:
            found = (await repository.sites_by_id(session, [site_id])).get(site_id)
        if found is None:
            raise HTTPException(404, f"no site {site_id!r}")
        return found.as_row()

    @app.put("/sites/{site_id}", tags=["supply"],
             summary="Create or replace a site (emits site-changed; re-matches affected open cases)")
    async def put_site(site_id: str, body: dict[str, Any] = Body(..., description="A full site record."),
                       caller: Caller = Depends(caller_of)) -> dict:
        require(caller, *SUPPLY_ROLES)
        async with transaction(runtime.sessions) as session:
            return await coordinator.change_site(session, site_id, body, caller, deps=deps, replace=True)

    @app.patch("/sites/{site_id}", tags=["supply"],
               summary="Change some fields of a site (emits site-changed; re-matches affected open cases)")
    async def patch_site(site_id: str, body: dict[str, Any], caller: Caller = Depends(caller_of)) -> dict:
        require(caller, *SUPPLY_ROLES)
        async with transaction(runtime.sessions) as session:
            return await coordinator.change_site(session, site_id, body, caller, deps=deps, replace=False)

    return app
