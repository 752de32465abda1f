"""Persistence for the projections: the fact table and the reported snapshots."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.domain.facts import PROJECTED_TOPICS, Fact
from services.reporting.orm import fact, reported_snapshot

# Facts are written under one transaction-scoped lock, so their `seq` values are handed out in commit order.
# Without it two consumers' transactions could commit seq 101 before seq 100, and a reader that saw 101 as the
# newest (its "has anything changed" watermark, and the checkpoints' position) would never fold 100 in.
FACT_WRITE_LOCK = 0x5EED_FAC7


async def _lock_fact_writes(session: AsyncSession) -> None:
    """Take the lock (again: it is re-entrant and held until commit; a savepoint rollback may have freed it)."""
    await session.execute(select(func.pg_advisory_xact_lock(FACT_WRITE_LOCK)))


def _row(f: Fact) -> dict[str, Any]:
    return {"event_id": f.event_id, "topic": f.topic, "occurred_at": f.occurred_at, "subject": f.subject,
            "body": f.body}


async def add_facts(session: AsyncSession, facts: Sequence[Fact]) -> None:
    """Store facts; one already stored (same event id) is left as it is."""
    if facts:
        await _lock_fact_writes(session)
        await session.execute(insert(fact).values([_row(f) for f in facts]).on_conflict_do_nothing(
            index_elements=[fact.c.event_id]))


async def forget_facts(session: AsyncSession) -> None:
    """Empty the projection (a rebuild refills it in the same transaction)."""
    await session.execute(delete(fact))


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(fact.c.topic, func.count()).group_by(fact.c.topic))
    return {topic: n for topic, n in rows}


async def watermark(session: AsyncSession) -> int:
    """Changes whenever a fact is added or the projection rebuilt (seq only grows)."""
    return await session.scalar(select(func.coalesce(func.max(fact.c.seq), 0)))


FACT_SELECT = ("SELECT event_id, topic, occurred_at, subject, body FROM reporting.fact "
               "WHERE occurred_at < $1 AND topic = ANY($2::text[]) AND seq <= $3 ")
FACTS_UNTIL = FACT_SELECT + "ORDER BY occurred_at, seq"
# Going on from a checkpoint (every fact before $4 stored up to seq $5): what came after its cut-off, and what
# was stored since it (dated after its latest fact, or the checkpoint would not be valid).
FACTS_AFTER = FACT_SELECT + "AND (occurred_at >= $4 OR seq > $5) ORDER BY occurred_at, seq"


async def changed_before(session: AsyncSession, *, since_seq: int, before: datetime) -> bool:
    """Whether a fact stored after `since_seq` has an event time before `before` (so figures up to it moved)."""
    # Ordered by seq so that the primary key leads: the facts after since_seq are few, all facts are not.
    stmt = (select(fact.c.seq).where(fact.c.seq > since_seq, fact.c.occurred_at < before)
            .order_by(fact.c.seq).limit(1))
    return (await session.execute(stmt)).first() is not None


async def facts_until(session: AsyncSession, before: datetime, *, upto_seq: int,
                      after: tuple[datetime, int] | None = None, chunk: int = 10_000) -> AsyncIterator[Fact]:
    """Projected facts with event time before `before` stored up to `upto_seq`, in event-time order, in chunks.

    `after=(limit, seq)` leaves out what a checkpoint already folded: facts before `limit` stored up to `seq`.
    Straight from the driver's cursor: at a million facts the ORM's per-row machinery doubles the time.
    """
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    query, args = (FACTS_UNTIL, ()) if after is None else (FACTS_AFTER, after)
    async with raw.transaction():
        cursor = await raw.cursor(query, before, list(PROJECTED_TOPICS), upto_seq, *args)
        while rows := await cursor.fetch(chunk):
            for row in rows:
                body = row[4]
                yield Fact(row[0], row[1], row[2], row[3], json.loads(body) if isinstance(body, str) else body)


async def save_snapshot(session: AsyncSession, *, period: str, as_of: str, figures: dict, reported_by: str) -> bool:
    """Freeze the figures of a period; False when that period was already reported (it stays as it was)."""
    stmt = (insert(reported_snapshot).values(period=period, as_of=as_of, figures=figures, reported_by=reported_by)
            .on_conflict_do_nothing().returning(reported_snapshot.c.period))
    return (await session.execute(stmt)).first() is not None


async def snapshot(session: AsyncSession, period: str) -> dict | None:
    row = (await session.execute(select(reported_snapshot).where(reported_snapshot.c.period == period))).first()
    return dict(row._mapping) if row else None


async def snapshots(session: AsyncSession) -> list[dict]:
    rows = await session.execute(select(reported_snapshot.c.period, reported_snapshot.c.as_of,
                                        reported_snapshot.c.reported_by, reported_snapshot.c.reported_at)
                                 .order_by(reported_snapshot.c.period))
    return [dict(r._mapping) for r in rows]


FACT_COLUMNS = ("event_id", "topic", "occurred_at", "subject", "body")


async def lock_projection(session: AsyncSession) -> None:
    """One rebuild at a time (transaction-scoped advisory lock)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('reporting.fact rebuild'))"))


async def bulk_add_facts(session: AsyncSession, facts: Sequence[Fact]) -> None:
    """Store many facts fast (COPY into a scratch table, then insert those not stored yet)."""
    if not facts:
        return
    # The driver starts the session's transaction lazily, on its first statement (here: taking the lock);
    # without one, a call opening a transaction would COPY in autocommit and ON COMMIT DELETE ROWS would
    # empty the scratch table.
    await _lock_fact_writes(session)
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    await raw.execute("CREATE TEMP TABLE IF NOT EXISTS fact_load (event_id uuid, topic text, occurred_at timestamptz,"
                      " subject text, body jsonb) ON COMMIT DELETE ROWS")
    await raw.copy_records_to_table("fact_load", columns=FACT_COLUMNS, records=[
        (f.event_id, f.topic, f.occurred_at, f.subject, json.dumps(f.body)) for f in facts])
    await raw.execute("INSERT INTO reporting.fact (event_id, topic, occurred_at, subject, body) "
                      "SELECT event_id, topic, occurred_at, subject, body FROM fact_load "
                      "ON CONFLICT (event_id) DO NOTHING")
    await raw.execute("TRUNCATE fact_load")
