"""Transactional outbox: an event is written in the same transaction as the state change, then relayed.

The relay is woken right after a commit that added events (no waiting on a poll), and also polls slowly
so that events left behind by a crash between commit and publish still go out. A crash after publish and
before marking means the event is published again: consumers are idempotent on the event id.

A row's life (cf. eShop's IntegrationEventLogEntry: NotPublished -> InProgress -> Published/PublishedFailed):
pending (published_at and parked_at empty) -> published, or -> parked after `max_attempts` failures that
are not passing faults (too large for the topic, no permission on it, not serialisable). A parked row is
reported (log line, the operations endpoint) and no longer holds up the rows after it; an operator can
release it for another try. Transient failures (broker unavailable) only pause the relay, with backoff.
Published rows are deleted after a retention period.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
import structlog
from aiokafka import AIOKafkaProducer
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    bindparam,
    cast,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.envelope import Envelope
from shared.db import transaction
from shared.failures import Backoff, describe, is_transient, wait_woken
from shared.telemetry import current_trace_headers

log = structlog.get_logger()


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox", metadata,
        Column("seq", BigInteger, Identity(), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("topic", String(255), nullable=False),
        Column("key", String(255), nullable=False),
        # Stored out of line uncompressed (STORAGE EXTERNAL, each service's migration "uncompressed large values"):
        # pglz on every insert was two thirds of a large event's insert, for a row the relay reads once.
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default="0",
               comment="Failed publish attempts that were not passing faults."),
        Column("last_error", String(1000)),
        Column("parked_at", DateTime(timezone=True), comment="Set when the relay gave up on the row."),
        Index("ix_outbox_pending", "seq", postgresql_where=text("published_at IS NULL AND parked_at IS NULL")),
        Index("ix_outbox_parked", "seq", postgresql_where=text("parked_at IS NOT NULL")),
        Index("ix_outbox_published_at", "published_at", postgresql_where=text("published_at IS NOT NULL")),
    )


def _insert_many_statement(table: Table):
    """INSERT ... SELECT FROM unnest(the batch's columns) WITH ORDINALITY, the rows numbered (seq) in the order
    given: one statement for the whole batch (an executemany ran in PostgreSQL row by row)."""
    arrays = [bindparam(name, type_=ARRAY(kind)) for name, kind in (
        ("event_ids", Uuid), ("topics", Text), ("keys", Text), ("payloads", LargeBinary), ("headers", Text))]
    rows = (func.unnest(*arrays).table_valued("event_id", "topic", "key", "payload", "headers",
                                               with_ordinality="n").render_derived())
    return insert(table).from_select(
        ["event_id", "topic", "key", "payload", "headers", "created_at"],
        select(rows.c.event_id, rows.c.topic, rows.c.key, rows.c.payload, cast(rows.c.headers, JSONB),
               func.clock_timestamp()).order_by(rows.c.n))


@dataclass(frozen=True)
class ParkedRow:
    seq: int
    event_id: object
    topic: str
    key: str
    attempts: int
    last_error: str | None
    created_at: datetime
    parked_at: datetime


@dataclass
class _Pass:
    """What one relay pass did: rows published, failures (attributable to their row or not), rows parked."""

    published: list[int] = field(default_factory=list)
    counted: list[tuple[int, BaseException]] = field(default_factory=list)   # failed alone: an attempt
    unattributed: list[tuple[int, BaseException]] = field(default_factory=list)  # failed with batch-mates
    parked: list[int] = field(default_factory=list)
    isolating: bool = False  # this pass switched to one row at a time

    @property
    def failures(self) -> list[tuple[int, BaseException]]:
        return self.counted + self.unattributed

    @property
    def transient(self) -> bool:
        return any(is_transient(err) for _, err in self.failures)

    @property
    def permanent(self) -> bool:
        return any(not is_transient(err) for _, err in self.failures)


class Outbox:
    """Adds events to a service's outbox table and relays them to Kafka."""

    def __init__(self, table: Table, sessions: async_sessionmaker[AsyncSession], *, topic_prefix: str = "",
                 batch_size: int = 500, poll_seconds: float = 2.0, max_attempts: int = 3,
                 retention: timedelta = timedelta(days=7), cleanup_every: float = 300.0,
                 retry_max_seconds: float = 10.0) -> None:
        self.table = table
        self.sessions = sessions
        self.topic_prefix = topic_prefix
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.retention = retention
        self.cleanup_every = cleanup_every
        self.retry_max_seconds = retry_max_seconds
        self._wake = asyncio.Event()
        # Built once: on the hot path building it cost more than running it. created_at is when the row was staged
        # (not the transaction's start): a consumer stages its batch's events last, so created_at -> published_at
        # is close to commit -> acked, the outbox hop the pipeline benchmark reports.
        self._insert = insert(table).values(created_at=func.clock_timestamp())
        self._insert_many = _insert_many_statement(table)
        # One relay at a time per service, so that events leave in commit order even with replicas.
        self._lock_id = zlib.crc32(f"outbox:{table.schema}".encode())
        # After a batch the broker partly refused, rows go one at a time until the culprit is found.
        self._one_by_one = False
        self._pending = (self.table.c.published_at.is_(None)) & (self.table.c.parked_at.is_(None))
        # A pass's rows, oldest first, only while this relay holds the lock: taken in the same round trip (an
        # InitPlan, evaluated once before the scan: a One-Time Filter), so an idle or contended pass costs one.
        t = self.table
        holds_lock = select(func.pg_try_advisory_xact_lock(self._lock_id)).scalar_subquery()
        self._next_rows = (select(t.c.seq, t.c.topic, t.c.key, t.c.payload, t.c.headers, t.c.attempts)
                           .where(holds_lock, self._pending).order_by(t.c.seq).limit(self.batch_size))

    async def add(self, session: AsyncSession, evt: Envelope) -> None:
        """Stage `evt` in the caller's transaction; the relay is woken when that transaction commits."""
        await session.execute(self._insert, {
            "event_id": evt.id, "topic": f"{self.topic_prefix}{evt.topic}", "key": evt.subject,
            "payload": evt.to_json(), "headers": current_trace_headers()})
        self._wake_after_commit(session)

    async def add_many(self, session: AsyncSession, events: Sequence[Envelope], *,
                       headers: Sequence[dict[str, str]] | None = None, payloads: Sequence[bytes] | None = None
                       ) -> None:
        """Stage a batch's events in the caller's transaction with one statement (in this order); `headers`: each
        event's trace context (default: the current one for all); `payloads`: each event's JSON when the caller
        wrote it already (the same bytes as its to_json())."""
        if not events:
            return
        traces = headers if headers is not None else [current_trace_headers()] * len(events)
        bodies = payloads if payloads is not None else [evt.to_json() for evt in events]
        await session.execute(self._insert_many, {
            "event_ids": [evt.id for evt in events], "topics": [f"{self.topic_prefix}{evt.topic}" for evt in events],
            "keys": [evt.subject for evt in events], "payloads": list(bodies),
            "headers": [orjson.dumps(trace).decode() for trace in traces]})
        self._wake_after_commit(session)

    def _wake_after_commit(self, session: AsyncSession) -> None:
        sync = session.sync_session
        if not event.contains(sync, "after_commit", self._after_commit):
            event.listen(sync, "after_commit", self._after_commit, once=True)

    def _after_commit(self, _session) -> None:
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    async def publish_pending(self, producer: AIOKafkaProducer) -> int:
        """Publish one batch of pending events in commit order; returns how many went out (0 after a failure,
        which leaves the rest to the next pass)."""
        done = await self._publish_pass(producer)
        return 0 if done.failures else len(done.published)

    async def _publish_pass(self, producer: AIOKafkaProducer) -> _Pass:
        async with transaction(self.sessions) as session:
            rows = (await session.execute(self._next_rows)).all()
            if not rows:  # nothing pending, or another replica's relay holds the lock
                return _Pass()
            done = await (self._send_one_by_one(producer, rows) if self._one_by_one
                          else self._send_batch(producer, rows))
            await self._record(session, rows, done)
        if done.unattributed and done.permanent:
            done.isolating, self._one_by_one = not self._one_by_one, True
        elif done.parked or not done.failures:
            self._one_by_one = False
        return done

    async def _send_batch(self, producer: AIOKafkaProducer, rows: Sequence) -> _Pass:
        """Enqueue all, then wait for all acks: the idempotent producer keeps per-partition order."""
        done, pending = _Pass(), []
        for r in rows:
            try:
                pending.append((r.seq, await _send(producer, r)))
            except Exception as err:  # refused before it left (too large for the producer, not serialisable)
                (done.unattributed if is_transient(err) else done.counted).append((r.seq, err))
                if is_transient(err):
                    break  # the broker is away: the rest would wait as long each
        results = await asyncio.gather(*(f for _, f in pending), return_exceptions=True)
        for (seq, _), result in zip(pending, results, strict=True):
            if isinstance(result, BaseException):
                # The broker refuses a whole producer batch for one bad record: not yet known which it was.
                done.unattributed.append((seq, result))
            else:
                done.published.append(seq)
        return done

    async def _send_one_by_one(self, producer: AIOKafkaProducer, rows: Sequence) -> _Pass:
        """Each row alone, in order, up to the first failure: that one is the culprit."""
        done = _Pass()
        for r in rows:
            try:
                await (await _send(producer, r))
            except Exception as err:
                (done.unattributed if is_transient(err) else done.counted).append((r.seq, err))
                break
            done.published.append(r.seq)
        return done

    async def _record(self, session: AsyncSession, rows: Sequence, done: _Pass) -> None:
        t, now = self.table, datetime.now(UTC)
        if done.published:
            await session.execute(update(t).where(t.c.seq.in_(done.published)).values(published_at=now))
        attempts = {r.seq: r.attempts for r in rows}
        for seq, err in done.counted:
            parked = attempts[seq] + 1 >= self.max_attempts
            await session.execute(update(t).where(t.c.seq == seq).values(
                attempts=t.c.attempts + 1, last_error=describe(err).reason[:1000], parked_at=now if parked else None))
            if parked:
                done.parked.append(seq)
        for seq, err in done.unattributed:
            await session.execute(update(t).where(t.c.seq == seq).values(last_error=describe(err).reason[:1000]))
        for seq, err in done.failures:
            log.warning("outbox_publish_failed", seq=seq, transient=is_transient(err), parked=seq in done.parked,
                        attempts=attempts[seq] + (seq in dict(done.counted)), **describe(err).log_fields())
        for seq in done.parked:
            row = next(r for r in rows if r.seq == seq)
            log.error("outbox_row_parked", seq=seq, topic=row.topic, attempts=self.max_attempts,
                      error_class=describe(dict(done.counted)[seq]).error_class,
                      hint="GET /operations/outbox/parked lists it; POST .../{seq}/release retries it")

    async def relay(self, new_producer: Callable[[], AIOKafkaProducer]) -> None:
        """Run until cancelled: publish whenever woken, or every poll interval; clean up published rows.

        The relay owns its producer: after a record the broker refused, the idempotent producer's
        sequence numbers may be out of step with the broker's, so the next pass gets a fresh producer.
        """
        producer: AIOKafkaProducer | None = None
        backoff, cleaned_at = Backoff(self.retry_max_seconds), 0.0
        try:
            while True:
                self._wake.clear()
                try:
                    if producer is None:
                        producer = new_producer()
                        await producer.start()
                    done = await self._publish_pass(producer)
                except asyncio.CancelledError:
                    raise
                except Exception as err:
                    done = _Pass(unattributed=[(0, err)])
                    log.warning("outbox_relay_failed", transient=is_transient(err), **describe(err).log_fields())
                if done.permanent:
                    producer = await _stopped(producer)
                if done.failures and not (done.published or done.counted or done.isolating):
                    await backoff.wait()  # nothing moved: the broker or the database is away
                    continue
                if not done.failures:
                    backoff.reset()
                if asyncio.get_running_loop().time() - cleaned_at >= self.cleanup_every:
                    cleaned_at = asyncio.get_running_loop().time()
                    await self._clean_up_quietly()
                if len(done.published) >= self.batch_size or done.failures:
                    continue
                await wait_woken(self._wake, self.poll_seconds)
        finally:
            await _stopped(producer)

    async def delete_published(self, *, older_than: timedelta | None = None) -> int:
        """Delete rows published longer ago than the retention; returns how many."""
        t = self.table
        cutoff = datetime.now(UTC) - (self.retention if older_than is None else older_than)
        async with transaction(self.sessions) as session:
            result = await session.execute(delete(t).where(t.c.published_at < cutoff))
        return result.rowcount or 0

    async def _clean_up_quietly(self) -> None:
        try:
            if deleted := await self.delete_published():
                log.info("outbox_published_rows_deleted", count=deleted, retention_hours=self.retention / timedelta(
                    hours=1))
        except Exception as err:  # cleaning up is never worth stopping the relay for
            log.warning("outbox_cleanup_failed", **describe(err).log_fields())

    async def parked(self, *, limit: int = 100, offset: int = 0) -> tuple[int, list[ParkedRow]]:
        """The rows the relay gave up on, oldest first, and how many there are."""
        t = self.table
        async with self.sessions() as session:
            total = await session.scalar(select(func.count()).select_from(t).where(t.c.parked_at.is_not(None)))
            rows = (await session.execute(
                select(t.c.seq, t.c.event_id, t.c.topic, t.c.key, t.c.attempts, t.c.last_error, t.c.created_at,
                       t.c.parked_at).where(t.c.parked_at.is_not(None)).order_by(t.c.seq)
                .limit(limit).offset(offset))).all()
        return total, [ParkedRow(**r._mapping) for r in rows]

    async def release(self, seq: int) -> bool:
        """Give a parked row another round of attempts (after the cause was fixed); False if not parked."""
        t = self.table
        async with transaction(self.sessions) as session:
            result = await session.execute(update(t).where(t.c.seq == seq, t.c.parked_at.is_not(None))
                                           .values(parked_at=None, attempts=0))
        self.wake()
        return bool(result.rowcount)

    async def unpublished(self) -> int:
        """Rows still to publish (parked ones excluded)."""
        async with self.sessions() as session:
            return await session.scalar(select(func.count()).select_from(self.table).where(self._pending))

    async def counts(self) -> tuple[int, int]:
        """(rows still to publish, parked rows) in one statement, for the metrics scrape."""
        t = self.table
        async with self.sessions() as session:
            row = (await session.execute(select(func.count().filter(self._pending),
                                                func.count().filter(t.c.parked_at.is_not(None)))
                                         .select_from(t))).one()
        return row[0], row[1]


async def _send(producer: AIOKafkaProducer, row) -> asyncio.Future:
    return await producer.send(row.topic, row.payload, key=row.key.encode(),
                               headers=[(k, v.encode()) for k, v in row.headers.items()])


async def _stopped(producer: AIOKafkaProducer | None) -> None:
    if producer is not None:
        try:
            await producer.stop()
        except Exception as err:  # a producer that cannot even stop cleanly is dropped all the same
            log.warning("outbox_producer_stop_failed", **describe(err).log_fields())
    return None
