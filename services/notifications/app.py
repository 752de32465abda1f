"""Notifications' process: Kafka subscribers and HTTP routes only."""

from __future__ import annotations

from uuid import UUID

from fastapi import Depends, FastAPI

from services.notifications import repository
from services.notifications.bootstrap import bootstrap
from services.notifications.config import NotificationsSettings
from shared.auth import Caller, require
from shared.runtime import http_app


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings or NotificationsSettings())
    app = http_app(runtime, title="Groeiruimte notifications",
                   description="Emails municipalities and provinces about proposals; keeps a delivery log.")

    @app.get("/deliveries", tags=["notifications"], summary="The delivery log (coordinator only)")
    async def deliveries(case_id: UUID | None = None, limit: int = 100,
                         caller: Caller = Depends(app.state.caller)) -> list[dict]:
        require(caller, "coordinator")
        async with runtime.sessions() as session:
            rows = await repository.deliveries(session, case_id=case_id, limit=min(limit, 1000))
        return [dict(r) for r in rows]

    return app
