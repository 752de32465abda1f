"""Builds intake from settings: the composition root."""

from __future__ import annotations

from functools import partial

from services.intake import handlers
from services.intake.config import IntakeSettings
from services.intake.orm import metadata
from shared.contracts import CaseOpened, LeadSignalled
from shared.runtime import Runtime


def bootstrap(settings: IntakeSettings) -> Runtime:
    runtime = Runtime.build("intake", settings, metadata, topics=[LeadSignalled.topic, CaseOpened.topic])
    runtime.consume(LeadSignalled, group="intake",
                    effect=partial(handlers.open_case_for_eligible_lead, runtime=runtime, settings=settings))
    return runtime
