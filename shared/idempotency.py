"""Idempotent consumers: a processed-event key inserted in the same transaction as the effect.

A redelivered event fails on the key and is skipped, so its effect happens exactly once. The check is
the insert itself (not a select before it), so two concurrent deliveries cannot both pass.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


def processed_event_table(metadata: MetaData) -> Table:
    return Table(
        "processed_event", metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


async def claim_many(session: AsyncSession, table: Table, *, consumer: str, event_ids: list[UUID]) -> set[UUID]:
    """Mark a batch of events processed in this transaction; returns the ids not processed before."""
    unique = list(dict.fromkeys(event_ids))
    if not unique:
        return set()
    stmt = (insert(table).values([{"consumer": consumer, "event_id": i} for i in unique])
            .on_conflict_do_nothing().returning(table.c.event_id))
    return set((await session.execute(stmt)).scalars())
