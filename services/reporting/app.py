"""Reporting's process: Kafka subscribers and HTTP routes only."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from services.reporting import domain, repository
from services.reporting.bootstrap import bootstrap
from services.reporting.config import ReportingSettings
from shared.auth import Caller, require
from shared.runtime import http_app


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings or ReportingSettings())
    app = http_app(runtime, title="Groeiruimte reporting",
                   description="KPI projections from the events; aggregates only.")

    @app.get("/metrics/event-counts", tags=["reporting"], summary="How many of each event have been seen")
    async def event_counts(caller: Caller = Depends(app.state.caller)) -> dict[str, int]:
        require(caller, "ministry", "coordinator")
        async with runtime.sessions() as session:
            return domain.empty_counts() | await repository.counts(session)

    return app
