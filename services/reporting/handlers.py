"""What reporting does on each event."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting import repository
from shared.contracts import Envelope
from shared.runtime import Runtime


async def count_event(evt: Envelope, *, runtime: Runtime) -> None:
    """Count each event once, whatever the redeliveries."""

    async def effect(session: AsyncSession) -> None:
        await repository.increment(session, evt.topic)

    await runtime.once(evt.id, effect, consumer=f"reporting:{evt.topic}")
