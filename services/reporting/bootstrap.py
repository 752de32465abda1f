"""Builds reporting from settings: the composition root."""

from __future__ import annotations

from datetime import timedelta

from services.reporting import handlers
from services.reporting.config import ReportingSettings
from services.reporting.domain import REPORTED
from services.reporting.orm import metadata
from services.reporting.projections import Projections
from services.reporting.qualitative import handlers as qualitative
from shared.runtime import Runtime


def bootstrap(settings: ReportingSettings) -> handlers.Deps:
    """Reporting's one dependencies object: settings, runtime and the projections its routes read."""
    runtime = Runtime.build("reporting", settings, metadata, topics=list(REPORTED))
    deps = handlers.Deps(settings=settings, runtime=runtime, projections=Projections(runtime.sessions))
    effect = handlers.record_facts(timedelta(seconds=settings.max_clock_skew_seconds))
    names = qualitative.remember_company_names()
    for topic, model in REPORTED.items():
        # One group per topic: each projection feed commits its own offsets.
        runtime.consume_batches(model, group=f"reporting-{topic}",
                                effect=qualitative.chain(effect, names) if topic in qualitative.NAMED_TOPICS
                                else effect)
    return deps
