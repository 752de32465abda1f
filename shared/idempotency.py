"""Idempotent consumers: a processed-event key inserted in the same transaction as the effect.

A redelivered event fails on the key and is skipped, so its effect happens exactly once. The check is
the insert itself (not a select before it), so two concurrent deliveries cannot both pass.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import Column, DateTime, MetaData, String, Table, Uuid, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession


def processed_event_table(metadata: MetaData) -> Table:
    return Table(
        "processed_event", metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def _claim_statement(table: Table):
    """INSERT ... SELECT FROM unnest(ids): one statement whatever the batch's size, compiled once per table (a
    multi-row VALUES is a new statement, compiled again, for every batch size)."""
    ids = func.unnest(bindparam("event_ids", type_=ARRAY(Uuid))).table_valued("id").render_derived()
    rows = select(bindparam("consumer", type_=String), ids.c.id)
    return (insert(table).from_select(["consumer", "event_id"], rows).on_conflict_do_nothing()
            .returning(table.c.event_id))


async def claim_many(session: AsyncSession, table: Table, *, consumer: str, event_ids: list[UUID]) -> set[UUID]:
    """Mark a batch of events processed in this transaction; returns the ids not processed before."""
    unique = list(dict.fromkeys(event_ids))
    if not unique:
        return set()
    stmt = table.info.get("claim_statement")
    if stmt is None:  # built once per table, kept with it
        stmt = table.info["claim_statement"] = _claim_statement(table)
    return set((await session.execute(stmt, {"consumer": consumer, "event_ids": unique})).scalars())
