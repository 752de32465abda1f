"""Builds intake from settings: the composition root."""

from __future__ import annotations

from functools import partial

from services.intake import handlers
from services.intake.config import IntakeSettings
from services.intake.orm import metadata
from services.intake.retriage import retriage_periodically
from shared.contracts.events import (
    CaseClosed,
    CaseOpened,
    ConsentGranted,
    LeadRegistered,
    LeadSignalled,
    LeadUpdated,
    MatchProposed,
)
from shared.runtime import Runtime

PUBLISHED = (LeadRegistered, LeadUpdated, ConsentGranted, CaseOpened)


def bootstrap(settings: IntakeSettings) -> handlers.Deps:
    """Intake's one dependencies object: settings and runtime (database, broker, outbox), subscribers wired."""
    runtime = Runtime.build("intake", settings, metadata,
                            topics=[e.topic for e in (LeadSignalled, MatchProposed, CaseClosed, *PUBLISHED)])
    deps = handlers.Deps(settings=settings, runtime=runtime)
    runtime.consume(LeadSignalled, group="intake", effect=partial(handlers.receive_signalled_lead, deps=deps))
    # The case's progress, shown to the ROM that signalled it.
    runtime.consume(MatchProposed, group="intake-case-matched",
                    effect=partial(handlers.record_case_matched, deps=deps))
    runtime.consume(CaseClosed, group="intake-case-closed", effect=partial(handlers.record_case_closed, deps=deps))
    runtime.workers.append(partial(retriage_periodically, deps))
    return deps
