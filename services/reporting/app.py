"""Reporting's process: Kafka subscribers (see bootstrap) and HTTP routes only."""

from __future__ import annotations

from fastapi import FastAPI

from services.reporting import api, pages, web
from services.reporting.bootstrap import bootstrap
from services.reporting.config import ReportingSettings
from services.reporting.projections import Projections
from services.reporting.qualitative import api as notes
from shared.runtime import http_app


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings or ReportingSettings())
    app = http_app(runtime, title="Groeiruimte reporting",
                   description="KPI projections built only from events. The ministry sees aggregates only, "
                               "under the disclosure policy (docs/disclosure.md); the coordinator sees them all.")
    projections = Projections(runtime.sessions)
    app.state.projections = projections
    app.include_router(api.router(app, projections))
    app.include_router(notes.router(app, runtime.sessions, runtime.settings.name_hash_key.get_secret_value().encode()))
    app.include_router(web.router(projections, runtime.settings.api_tokens.get_secret_value(),
                                  extras=pages.extras(projections)))
    return app
