"""What reporting does on each event."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting import repository
from services.reporting.domain.facts import fact_of
from shared.contracts import Envelope


async def record_fact(session: AsyncSession, evt: Envelope) -> None:
    """Keep the event's facts (once: keyed by the event id, so a replay or redelivery changes nothing)."""
    await repository.add_facts(session, [fact_of(evt)])
