"""Builds matching from settings: the composition root."""

from __future__ import annotations

from functools import partial

from services.matching import handlers
from services.matching.config import MatchingSettings
from services.matching.orm import metadata
from services.matching.supply import Supply
from shared.contracts import (
    CaseClosed,
    CaseOpened,
    LeadUpdated,
    MatchProposed,
    ProposalDecided,
    RelocationRealised,
    SiteChanged,
)
from shared.runtime import Runtime
from shared.unit_of_work import as_batch_effect, as_effect

TOPICS = [CaseOpened.topic, LeadUpdated.topic, SiteChanged.topic, CaseClosed.topic, MatchProposed.topic,
          ProposalDecided.topic, RelocationRealised.topic]


def bootstrap(settings: MatchingSettings) -> handlers.Deps:
    """Matching's one dependencies object: runtime (database, broker, outbox), settings and the in-memory supply."""
    runtime = Runtime.build("matching", settings, metadata, topics=TOPICS)
    deps = handlers.Deps(runtime=runtime, settings=settings, supply=Supply())
    runtime.startup_hooks.append(partial(handlers.load_catalogue, deps=deps))
    # Each use case runs on a unit of work over the consumer's batch transaction.
    runtime.consume_batches(CaseOpened, group="matching",
                            effect=as_batch_effect(handlers.propose_sites_for_cases, deps.unit_of_work, deps=deps))
    runtime.consume(LeadUpdated, group="matching-lead-updated",
                    effect=as_effect(handlers.rematch_for_changed_demand, deps.unit_of_work, deps=deps))
    runtime.consume(SiteChanged, group="matching-site-changed",
                    effect=partial(handlers.apply_site_changed_event, deps=deps))
    runtime.consume(CaseClosed, group="matching-case-closed",
                    effect=as_effect(handlers.follow_case_closed, deps.unit_of_work, deps=deps))
    return deps
