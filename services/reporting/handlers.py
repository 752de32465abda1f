"""What reporting does with each batch of events: keep their facts and bring the projections up to date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.domain.facts import Fact, fact_of
from services.reporting.projections import project_batch
from shared.messaging import Item

log = structlog.get_logger()


def arrival(record) -> datetime | None:
    """When the event reached Kafka (the record's timestamp, in ms); the same in a live run and a rebuild."""
    stamp = getattr(record, "timestamp", None)
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
