"""What reporting does with each batch of events: keep their facts and bring the projections up to date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.config import ReportingSettings
from services.reporting.domain.facts import Fact, fact_of
from services.reporting.projections import Projections, project_batch
from shared.messaging import Item
from shared.runtime import Runtime

log = structlog.get_logger()


@dataclass
class Deps:
    """What reporting's consumers and routes need, built once in bootstrap."""

    settings: ReportingSettings
    runtime: Runtime
    projections: Projections

    @property
    def name_key(self) -> bytes:
        """Keys the hashes of company names that the review of qualitative notes compares with."""
        return self.settings.name_hash_key.get_secret_value().encode()


def arrival(record) -> datetime | None:
    """When the event reached Kafka (the record's timestamp, in ms); the same in a live run and a rebuild."""
    return arrival_at(getattr(record, "timestamp", None))


def arrival_at(stamp: int | None) -> datetime | None:
    """A Kafka timestamp (ms) as a moment; None when the record has none."""
    return datetime.fromtimestamp(stamp / 1000, tz=UTC) if stamp and stamp > 0 else None


def facts_of(items: list[Item], *, max_skew: timedelta) -> list[Fact]:
    """The facts of a batch, each placed by its event time within the clock-skew bound of its arrival."""
    facts = [fact_of(evt, arrived_at=arrival(record), max_skew=max_skew) for record, evt in items]
    for f, (_, evt) in zip(facts, items, strict=True):
        if f.clamped:
            log.warning("event_time_clamped", event_id=str(evt.id), topic=evt.topic,
                        ahead_seconds=round((evt.time - f.occurred_at).total_seconds()),
                        reason="time lies beyond the clock-skew bound after arrival; placed at its arrival")
    return facts


def record_facts(max_skew: timedelta):
    """The batch effect: facts stored and projected once (keyed by event id: a replay changes nothing)."""

    async def effect(session: AsyncSession, items: list[Item]) -> None:
        await project_batch(session, facts_of(items, max_skew=max_skew))

    return effect
