"""Persistence for the projections."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.orm import event_count


async def increment(session: AsyncSession, event_type: str) -> None:
    stmt = insert(event_count).values(event_type=event_type, count=1)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[event_count.c.event_type],
        set_={"count": event_count.c.count + 1, "updated_at": func.now()}))


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(event_count.c.event_type, event_count.c.count))
    return {r.event_type: r.count for r in rows}
