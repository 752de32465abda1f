"""Reporting's process: Kafka subscribers (see bootstrap) and HTTP routes only."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting import api, pages, web
from services.reporting.bootstrap import bootstrap
from services.reporting.config import ReportingSettings
from services.reporting.qualitative import api as notes
from shared.runtime import http_app


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    deps = bootstrap(settings or ReportingSettings())
    app = http_app(deps.runtime, title="Groeiruimte reporting",
                   description="KPI projections built only from events. The ministry sees aggregates only, "
                               "under the disclosure policy (docs/disclosure.md); the coordinator sees them all.")
    app.state.deps = deps
    app.state.projections = projections = deps.projections
    app.include_router(api.router(app, projections))
    app.include_router(notes.router(app, deps.runtime.sessions, deps.name_key))
    app.include_router(web.router(projections, deps.settings.api_tokens.get_secret_value(),
                                  extras=pages.extras(projections)))
    return app
