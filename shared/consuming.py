"""How a batch of events is applied: idempotently, retrying what passes, dead-lettering what never will.

One transaction per batch holds the processed-event keys (`claim_many`) and every effect, so a redelivered
batch changes nothing. A failure is either transient (the database or broker is unavailable: the whole
batch is retried with capped exponential backoff and jitter, for as long as it takes) or permanent for the
one event that caused it: that event is tried at most `max_attempts` times, then dead-lettered with the
reason, and the rest of the batch goes on. Nothing a single event contains can stop its partition.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog
from aiokafka import ConsumerRecord
from opentelemetry import trace
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_delay, wait_exponential_jitter

from shared.contracts.envelope import Envelope
from shared.db import transaction
from shared.failures import Rejected, describe, is_transient, safe_stack
from shared.idempotency import claim_many
from shared.messaging import DeadLetter, Item, consuming_span

log = structlog.get_logger()
Effect = Callable[[AsyncSession, Envelope], Awaitable[None]]
BatchEffect = Callable[[AsyncSession, list[Item]], Awaitable[None]]
RecordKey = tuple[str, int, int]


class _EventFailed(Exception):
    """A permanent failure of one event's effect, carrying which record it was (the cause is the error)."""

    def __init__(self, record: ConsumerRecord) -> None:
        super().__init__(f"{record.topic}[{record.partition}]@{record.offset}")
        self.record = record


@dataclass
class BatchApplier:
    """Applies batches of one subscription; counts the attempts of each record across redeliveries."""

    sessions: async_sessionmaker[AsyncSession]
    processed: Table
    group: str
    topic: str
    effect: Effect | None = None
    # Set-based consumers: the batch's new events at once (and one at a time while a failing one is sought).
    batch_effect: BatchEffect | None = None
    max_attempts: int = 3
    retry_window_seconds: float = 60.0
    retry_max_seconds: float = 10.0
    attempts: dict[RecordKey, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tracer = trace.get_tracer(f"consumer.{self.group}")

    async def __call__(self, items: list[Item], dead_letter: DeadLetter) -> None:
        """Apply the batch; a transient failure is retried here for a while, then left to a redelivery."""
        retrying = AsyncRetrying(retry=retry_if_exception(is_transient), reraise=True,
                                 wait=wait_exponential_jitter(multiplier=0.1, max=self.retry_max_seconds),
                                 stop=stop_after_delay(self.retry_window_seconds), before_sleep=self._log_retry)
        async for attempt in retrying:
            with attempt:
                await self._apply(items, dead_letter)

    async def _apply(self, items: list[Item], dead_letter: DeadLetter) -> None:
        # Fast path without savepoints: failures are rare, and then the batch is redone event by event.
        try:
            await self._run(items, dead_letter, isolate=False)
        except _EventFailed as failed:
            self._count(failed.record, failed.__cause__)
        except Exception as err:
            if is_transient(err):
                raise
        else:
            return
        try:
            await self._run(items, dead_letter, isolate=True)
        except Exception as err:
            if is_transient(err):
                raise
            # The transaction itself failed (e.g. at commit): one transaction per event finds the culprit.
            for item in items:
                await self._run_alone(item, dead_letter)

    async def _run_alone(self, item: Item, dead_letter: DeadLetter) -> None:
        record, evt = item
        while True:
            try:
                return await self._run([item], dead_letter, isolate=True)
            except Exception as err:
                if is_transient(err):
                    raise
                if self._count(record, err) >= self.max_attempts:
                    await self._give_up(record, err, dead_letter)
                    break
        async with transaction(self.sessions) as session:  # dead-lettered: a redelivery skips it
            await claim_many(session, self.processed, consumer=self.group, event_ids=[evt.id])

    async def _run(self, items: list[Item], dead_letter: DeadLetter, *, isolate: bool) -> None:
        async with transaction(self.sessions) as session:
            fresh = await claim_many(session, self.processed, consumer=self.group,
                                     event_ids=[evt.id for _, evt in items])
            if self.batch_effect is not None and not isolate:
                await self._apply_batch(session, items, fresh)
                fresh = set()
            for record, evt in items:
                if evt.id not in fresh:
                    continue
                fresh.discard(evt.id)
                with consuming_span(self.tracer, record, self.topic):
                    if isolate:
                        await self._apply_isolated(session, record, evt, dead_letter)
                    else:
                        await self._apply_plain(session, record, evt)
        for record, _ in items:
            self.attempts.pop(_key(record), None)

    async def _apply_batch(self, session: AsyncSession, items: list[Item], fresh: set) -> None:
        """The batch's new events (each once) to the batch effect; any failure redoes the batch one by one."""
        mine = []
        for record, evt in items:
            if evt.id in fresh:
                fresh.discard(evt.id)
                mine.append((record, evt))
        if mine:
            with self.tracer.start_as_current_span(f"{self.topic} process batch", kind=trace.SpanKind.CONSUMER):
                await self.batch_effect(session, mine)

    async def _effect(self, session: AsyncSession, record: ConsumerRecord, evt: Envelope) -> None:
        if self.batch_effect is not None:
            return await self.batch_effect(session, [(record, evt)])
        return await self.effect(session, evt)

    async def _apply_plain(self, session: AsyncSession, record: ConsumerRecord, evt: Envelope) -> None:
        try:
            await self._effect(session, record, evt)
        except Rejected:
            raise
        except Exception as err:
            if is_transient(err):
                raise
            raise _EventFailed(record) from err

    async def _apply_isolated(self, session: AsyncSession, record: ConsumerRecord, evt: Envelope,
                              dead_letter: DeadLetter) -> None:
        """The effect in a savepoint: a failing event is undone alone; its processed mark stays."""
        while True:
            try:
                async with session.begin_nested():
                    return await self._effect(session, record, evt)
            except Rejected as err:
                return await dead_letter(record, describe(err), self._count(record, err, log_it=False))
            except Exception as err:
                if is_transient(err):
                    raise
                if self._count(record, err) >= self.max_attempts:
                    return await self._give_up(record, err, dead_letter)

    async def _give_up(self, record: ConsumerRecord, err: BaseException, dead_letter: DeadLetter) -> None:
        attempts = self.attempts.pop(_key(record), self.max_attempts)
        await dead_letter(record, describe(err), attempts)

    def _count(self, record: ConsumerRecord, err: BaseException | None, *, log_it: bool = True) -> int:
        key = _key(record)
        self.attempts[key] = attempts = self.attempts.get(key, 0) + 1
        if log_it and err is not None:
            log.warning("event_failed", topic=record.topic, partition=record.partition, offset=record.offset,
                        group=self.group, attempt=attempts, of=self.max_attempts, stack=safe_stack(err),
                        **describe(err).log_fields())
        return attempts

    def _log_retry(self, state: RetryCallState) -> None:
        err = state.outcome.exception() if state.outcome else None
        log.warning("batch_failed_transiently_will_retry", group=self.group, topic=self.topic,
                    attempt=state.attempt_number, retry_in_seconds=round(state.upcoming_sleep, 2),
                    **(describe(err).log_fields() if err else {}))


def _key(record: ConsumerRecord) -> RecordKey:
    return record.topic, record.partition, record.offset
