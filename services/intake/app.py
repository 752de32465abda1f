"""Intake's process: Kafka subscribers and HTTP routes only."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.bootstrap import bootstrap
from services.intake.config import IntakeSettings
from shared.runtime import http_app


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    runtime = bootstrap(settings or IntakeSettings())
    return http_app(runtime, title="Groeiruimte intake",
                    description="Receives ROM leads (Kafka topic lead-signalled) and opens cases.")
