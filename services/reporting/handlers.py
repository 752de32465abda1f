"""What reporting does on each event."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting import repository
from shared.contracts import Envelope


async def count_event(session: AsyncSession, evt: Envelope) -> None:
    """Count each event (once: the runtime skips redeliveries)."""
    await repository.increment(session, evt.topic)
