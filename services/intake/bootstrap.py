"""Builds intake from settings: the composition root."""

from __future__ import annotations

import re
from functools import partial

from services.intake import batches, handlers
from services.intake.config import IntakeSettings
from services.intake.look_alikes import check_names_periodically
from services.intake.orm import metadata
from services.intake.retriage import retriage_periodically
from shared.contracts.events import (
    CaseClosed,
    CaseOpened,
    ConsentGranted,
    IdentityErased,
    LeadRegistered,
    LeadSignalled,
    LeadUpdated,
    MatchProposed,
    MatchProposedOutline,
)
from shared.runtime import Runtime
from shared.unit_of_work import as_batch_effect

PUBLISHED = (LeadRegistered, LeadUpdated, ConsentGranted, CaseOpened, IdentityErased)


def organisation_topics(settings: IntakeSettings) -> list[str]:
    """Each ROM's own lead topic: only that ROM's principal may write to it (deploy/kafka_security.py)."""
    return [f"{LeadSignalled.topic}.{organisation}" for organisation in settings.rom_organisations]


def organisation_pattern(settings: IntakeSettings) -> str:
    """Every organisation's lead topic, also one created later; not the dead letters (`lead-signalled.dlq`,
    `lead-signalled.<organisation>.dlq`)."""
    return f"^{re.escape(settings.topic(LeadSignalled.topic + '.'))}(?!dlq$)[a-z0-9-]+$"


def bootstrap(settings: IntakeSettings) -> handlers.Deps:
    """Intake's one dependencies object: settings and runtime (database, broker, outbox), subscribers wired."""
    topics = [e.topic for e in (LeadSignalled, MatchProposed, CaseClosed, *PUBLISHED)] + organisation_topics(settings)
    runtime = Runtime.build("intake", settings, metadata, topics=topics)
    deps = handlers.Deps(settings=settings, runtime=runtime)
    # Set-based: a batch of leads costs one statement per table (services/intake/batches.py).
    receive = as_batch_effect(batches.receive_signalled_leads, deps.unit_of_work, deps=deps)
    # lead-signalled itself: only the stack's own tooling may write it (the coordinator's imports, tests).
    runtime.consume_batches(LeadSignalled, group="intake", effect=receive)
    # A ROM's topic: its name, not the payload, says which organisation speaks.
    runtime.consume_batches(LeadSignalled, group="intake-organisations", effect=receive,
                            pattern=organisation_pattern(settings),
                            vet=partial(handlers.refuse_other_organisation,
                                        prefix=settings.topic(LeadSignalled.topic + ".")))
    # The case's progress, shown to the ROM that signalled it.
    runtime.consume_batches(MatchProposedOutline, group="intake-case-matched",
                            effect=as_batch_effect(batches.record_cases_matched, deps.unit_of_work, deps=deps))
    runtime.consume(CaseClosed, group="intake-case-closed", effect=partial(handlers.record_case_closed, deps=deps))
    runtime.workers.append(partial(retriage_periodically, deps))
    runtime.workers.append(partial(check_names_periodically, settings, deps.activity))
    return deps
