"""Transactional outbox: an event is written in the same transaction as the state change, then relayed.

The relay is woken right after a commit that added events (no waiting on a poll), and also polls slowly
so that events left behind by a crash between commit and publish still go out. A crash after publish and
before marking means the event is published again: consumers are idempotent on the event id.
"""

from __future__ import annotations

import asyncio
import zlib
from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.envelope import Envelope
from shared.db import transaction
from shared.telemetry import current_trace_headers

log = structlog.get_logger()


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("seq", BigInteger, Identity(), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(255), nullable=False),
        Column("key", String(255), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_unpublished", "seq", postgresql_where=text("published_at IS NULL")),
    )


class Outbox:
    """Adds events to a service's outbox table and relays them to Kafka."""

    def __init__(self, table: Table, sessions: async_sessionmaker[AsyncSession], *, topic_prefix: str = "",
                 batch_size: int = 500, poll_seconds: float = 2.0) -> None:
        self.table = table
        self.sessions = sessions
        self.topic_prefix = topic_prefix
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._insert = insert(table)  # built once: on the hot path building it cost more than running it
        # One relay at a time per service, so that events leave in commit order even with replicas.
        self._lock_id = zlib.crc32(f"outbox:{table.schema}".encode())

    async def add(self, session: AsyncSession, evt: Envelope) -> None:
        """Stage `evt` in the caller's transaction; the relay is woken when that transaction commits."""
        await session.execute(self._insert, {
            "event_id": evt.id, "topic": f"{self.topic_prefix}{evt.topic}", "key": evt.subject,
            "payload": evt.to_json(), "headers": current_trace_headers()})
        sync = session.sync_session
        if not event.contains(sync, "after_commit", self._after_commit):
            event.listen(sync, "after_commit", self._after_commit, once=True)

    def _after_commit(self, _session) -> None:
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def publish_pending(self, producer: AIOKafkaProducer) -> int:
        """Publish one batch of unpublished events in commit order; returns how many went out."""
        t = self.table
        async with transaction(self.sessions) as session:
            locked = await session.scalar(select(func.pg_try_advisory_xact_lock(self._lock_id)))
            if not locked:
                return 0
            rows = (await session.execute(
                select(t.c.seq, t.c.topic, t.c.key, t.c.payload, t.c.headers)
                .where(t.c.published_at.is_(None)).order_by(t.c.seq).limit(self.batch_size))).all()
            if not rows:
                return 0
            # Enqueue all, then wait for all acks: the idempotent producer keeps per-partition order.
            pending = [await producer.send(r.topic, r.payload, key=r.key.encode(),
                                           headers=[(k, v.encode()) for k, v in r.headers.items()])
                       for r in rows]
            await asyncio.gather(*pending)
            await session.execute(update(t).where(t.c.seq.in_([r.seq for r in rows]))
                                  .values(published_at=datetime.now(UTC)))
        return len(rows)

    async def relay(self, producer: AIOKafkaProducer) -> None:
        """Run until cancelled: publish whenever woken, or every poll interval."""
        while True:
            self._wake.clear()
            try:
                sent = await self.publish_pending(producer)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox_relay_failed")
                sent = 0
                await asyncio.sleep(1.0)
            if sent:
                log.debug("outbox_published", count=sent)
            if sent >= self.batch_size:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
            except TimeoutError:
                pass

    async def unpublished(self) -> int:
        async with self.sessions() as session:
            return await session.scalar(
                select(func.count()).select_from(self.table).where(self.table.c.published_at.is_(None)))
