"""Builds intake from settings: the composition root."""

from __future__ import annotations

from functools import partial

from services.intake import handlers
from services.intake.config import IntakeSettings
from services.intake.orm import metadata
from shared.contracts.events import CaseOpened, ConsentGranted, LeadRegistered, LeadSignalled, LeadUpdated
from shared.runtime import Runtime

PUBLISHED = (LeadRegistered, LeadUpdated, ConsentGranted, CaseOpened)


def bootstrap(settings: IntakeSettings) -> Runtime:
    runtime = Runtime.build("intake", settings, metadata,
                            topics=[LeadSignalled.topic, *(e.topic for e in PUBLISHED)])
    runtime.consume(LeadSignalled, group="intake",
                    effect=partial(handlers.receive_signalled_lead, runtime=runtime, settings=settings))
    return runtime
