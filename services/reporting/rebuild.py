"""Rebuild the projections from a durable history: reporting's fact table, or every topic from the beginning.

The fact table is reporting's event store: every event it consumed, once, keyed by event id, with what the
figures need of it. `rebuild_from_facts` folds it into fresh projections (the default: no broker, no contract
validation). `rebuild_from_kafka` replays every topic from the beginning into fresh facts and projections: for
a lost fact table, or after a change to what a fact keeps of its event.

Either happens in one transaction: readers keep seeing the old figures until the new ones are complete. Live
consumers wait for the projections' lock meanwhile and then store only what the rebuild did not (facts are
keyed by event id). Every case and company is folded once (domain/projection.py, the live path's functions)
and delta rows and amount steps are loaded with COPY: the same rows the live path would have written event by
event, so the figures are identical.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from services.reporting import repository
from services.reporting.config import ReportingSettings
from services.reporting.domain import REPORTED
from services.reporting.domain.changes import Changes, Delta, Step
from services.reporting.domain.facts import Fact, fact_of
from services.reporting.domain.projection import changes_of, share_of_history, with_lead_companies
from services.reporting.handlers import arrival_at
from shared.contracts import Envelope
from shared.db import make_engine, make_sessionmaker, transaction
from shared.messaging import client_security

log = structlog.get_logger()
Progress = Callable[[int, int], None]  # (records done, records in total)


@dataclass
class RebuildResult:
    records: int
    facts: int
    skipped_invalid: int
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per step (Stopwatch)
    worker_cpu_seconds: dict[str, float] = field(default_factory=dict)  # CPU per step, summed over the workers


class Stopwatch:
    """Wall seconds per step of a rebuild, so that the benchmark can say where its time goes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}  # CPU seconds per step where a step measures them (the fold workers')
        self._since = time.perf_counter()

    def lap(self, step: str) -> None:
        """The time since the previous lap counts for `step`."""
        now = time.perf_counter()
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self._since
        self._since = now


RawRecord = tuple[str, bytes | None, int | None]  # (topic, value, Kafka timestamp in ms)


@functools.cache
def _models(prefix: str) -> dict[str, type[Envelope]]:
    return {prefix + name: model for name, model in REPORTED.items()}


def facts_of_records(prefix: str, max_skew: timedelta, records: list[RawRecord]) -> list[Fact]:
    """The facts of raw records: each validated against its contract with the same
    models and upcasters as the live consumers; a record they dead-lettered is no fact and is left out."""
    models, facts = _models(prefix), []
    for topic, value, stamp in records:
        try:
            facts.append(fact_of(models[topic].model_validate_json(value or b""), arrived_at=arrival_at(stamp),
                                 max_skew=max_skew))
        except ValidationError:
            continue  # dead-lettered when it was first consumed; not a fact
    return facts


class Replay:
    """Reads each topic's partitions from the beginning up to the end offsets seen when it starts."""

    def __init__(self, settings: ReportingSettings, *, batch: int = 50_000) -> None:
        self.settings = settings
        self.max_skew = timedelta(seconds=settings.max_clock_skew_seconds)
        self.batch = batch
        # Large fetches: a replay reads whole logs, so fewer, bigger round trips to the broker (the defaults
        # suit a live consumer: 1 MB per partition per fetch).
        self.consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
                                         enable_auto_commit=False, max_partition_fetch_bytes=16 * 2**20,
                                         fetch_max_bytes=64 * 2**20, **client_security(settings))
        self.models = _models(settings.topic_prefix)
        self.begin: dict[TopicPartition, int] = {}
        self.end: dict[TopicPartition, int] = {}

    async def open(self) -> int:
        """Assign all partitions; returns how many records lie between beginning and end."""
        await self.consumer.start()
        parts = await self._partitions()
        if not parts:
            return 0
        self.consumer.assign(parts)
        await self.consumer.seek_to_beginning(*parts)
        self.begin = await self.consumer.beginning_offsets(parts)
        self.end = await self.consumer.end_offsets(parts)
        return sum(self.end[p] - self.begin[p] for p in parts)

    async def _partitions(self) -> list[TopicPartition]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers,
                                    **client_security(self.settings))
        await admin.start()
        try:
            described = await admin.describe_topics(list(self.models))
        finally:
            await admin.close()
        return [TopicPartition(d["topic"], p["partition"]) for d in described if d["error_code"] == 0
                for p in sorted(d["partitions"], key=lambda p: p["partition"])]

    def _unfinished(self) -> list[TopicPartition]:
        return [p for p, end in self.end.items() if self.begin[p] < end]

    async def _fetched(self, unfinished: list[TopicPartition]) -> list[RawRecord]:
        got = await self.consumer.getmany(*unfinished, timeout_ms=1000, max_records=self.batch)
        raw = [(r.topic, r.value, r.timestamp) for part, records in got.items() for r in records
               if r.offset < self.end[part]]
        for part in unfinished:
            # The position, not the last offset read, so that gaps in the log cannot stall the replay.
            self.begin[part] = await self.consumer.position(part)
        return raw

    async def batches(self):
        """Yield (records read, facts) until every partition reached its end offset."""
        while unfinished := self._unfinished():
            raw = await self._fetched(unfinished)
            yield len(raw), facts_of_records(self.settings.topic_prefix, self.max_skew, raw)

    async def close(self) -> None:
        await self.consumer.stop()


# The history the fold's worker processes read: set just before they are forked, so each inherits it (copy on
# write) instead of receiving a million pickled facts; only their sums travel back.
_HISTORY: list[Fact] = []


Folded = tuple[list[Delta], list[Step]]  # day sums and amount steps


def _fold_share(share: int, shares: int) -> Folded:
    """In a worker process: the day sums and amount steps of one share of the history's entities."""
    changes = share_of_history(_HISTORY, share=share, shares=shares)
    return changes.summed(), changes.steps()


def _merged(results: Iterable[Folded]) -> Folded:
    """The shares' day sums added up, their amount steps side by side."""
    total, steps = Changes(), []
    for deltas, share_steps in results:
        total.add_deltas(deltas)
        steps += share_steps
    return total.summed(), steps


async def _folded(facts: list[Fact], processes: int) -> Folded:
    """Every entity folded, in `processes` forked workers (each a share of the entities) or in this one."""
    global _HISTORY
    if processes <= 1:
        _HISTORY = facts
        try:
            return _fold_share(0, 1)
        finally:
            _HISTORY = []
    _HISTORY = facts
    loop = asyncio.get_running_loop()
    with _workers(processes) as pool:
        try:
            futures = [loop.run_in_executor(pool, _fold_share, share, processes) for share in range(processes)]
        finally:
            _HISTORY = []  # the workers were forked with it (all of them at the first submit)
        return _merged(await asyncio.gather(*futures))


def fold_processes() -> int:
    """Worker processes for the fold: one per core the process may use (the fold is pure CPU)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


async def store_history(session, facts: list[Fact], *, processes: int | None = None,
                        stopwatch: Stopwatch | None = None) -> int:
    """Load a whole history into empty facts and projections (the caller's transaction); returns the facts kept.

    The entities are folded in worker processes while PostgreSQL loads the facts and builds their indexes:
    the fold is this process's CPU, the load is PostgreSQL's, so they overlap.
    """
    stopwatch = stopwatch or Stopwatch()
    facts = with_lead_companies(list({f.event_id: f for f in facts}.values()))  # an event replayed twice once
    folding = asyncio.ensure_future(_folded(facts, fold_processes() if processes is None else processes))
    try:
        async with repository.fact_indexes_built_after(session):
            for start in range(0, len(facts), 50_000):
                await repository.copy_facts(session, facts[start:start + 50_000])
            stopwatch.lap("copy facts")
        stopwatch.lap("build fact indexes")
        deltas, steps = await folding
        stopwatch.lap("fold (rest after the facts' load)")
    finally:
        if not folding.done():
            folding.cancel()
    await store_folded(session, deltas, steps, stopwatch)
    return len(facts)


async def store_folded(session, deltas: list[Delta], steps: list[Step], stopwatch: Stopwatch) -> None:
    """A whole history's day sums and amount steps into empty projections; the month and half-year rows
    are summed from the day rows in PostgreSQL. Both in the order of their primary key: PostgreSQL then adds
    each row next to the one before in the key's index instead of all over it (at 1M events a fifth less time
    for the amount steps' COPY)."""
    await repository.copy_deltas(session, sorted(("d", *row) for row in deltas))
    stopwatch.lap("copy day rows")
    await repository.roll_up_days(session)
    stopwatch.lap("roll up months and half-years")
    await repository.copy_steps(session, sorted(steps))
    stopwatch.lap("copy amount steps")


def _workers(processes: int):
    """A pool of `processes` forked workers (they inherit the imported contracts), or none for one process."""
    if processes <= 1:
        return contextlib.nullcontext(None)
    return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"))


async def project_stored_facts(session, *, processes: int | None = None,
                               stopwatch: Stopwatch | None = None) -> int:
    """Fresh projections from the stored facts, in the caller's transaction; returns the facts folded.

    `processes` workers (default: one per core) each read one share of the facts — its cases', its companies'
    and every n-th single fact, chosen by PostgreSQL — on this transaction's snapshot, fold them with the live
    path's functions and send back only their day sums and amount steps, which this process adds up and loads.
    So the reading and decoding of the facts is shared out as well as the fold, and nothing is pickled on the
    way in.
    """
    stopwatch = stopwatch or Stopwatch()
    processes = fold_processes() if processes is None else processes
    await repository.lock_projection(session)
    # After the lock: no batch can store a fact until this transaction ends, so the snapshot holds every fact.
    snapshot = await repository.export_snapshot(session)
    await repository.forget_projections(session, facts=False)
    dsn = await repository.driver_dsn(session)
    if processes <= 1:
        results = [await _read_and_fold(dsn, snapshot, 0, 1)]
    else:
        loop = asyncio.get_running_loop()
        with _workers(processes) as pool:
            results = await asyncio.gather(*(loop.run_in_executor(pool, _fold_stored_share, dsn, snapshot,
                                                                  share, processes) for share in range(processes)))
    stopwatch.lap("read and fold facts")
    deltas, steps = _merged((share.deltas, share.steps) for share in results)
    stopwatch.lap("add up the shares")
    await store_folded(session, deltas, steps, stopwatch)
    for step in ("read facts", "fold"):
        stopwatch.cpu[step] = sum(share.cpu_seconds[step] for share in results)
    return sum(share.facts for share in results)


def _fold_stored_share(dsn: str, snapshot: str, share: int, shares: int):
    """In a worker process: read one share of the stored facts and fold it."""
    return asyncio.run(_read_and_fold(dsn, snapshot, share, shares))


@dataclass
class FoldedShare:
    facts: int  # the share's single facts (each stored fact is the single fact of exactly one share)
    deltas: list[Delta]  # summed per day and cell
    steps: list[Step]
    cpu_seconds: dict[str, float]  # this process's CPU for reading the facts and for folding them


async def _stored_share(dsn: str, snapshot: str, share: int, shares: int) -> repository.FactShare:
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            await connection.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            return await repository.share_of_stored_facts(connection, share, shares)
    finally:
        await connection.close()


async def _read_and_fold(dsn: str, snapshot: str, share: int, shares: int) -> FoldedShare:
    """One share of the stored facts read on the rebuild's snapshot and folded."""
    started = time.process_time()
    # No collections while the share is read, folded and let go: none of it makes reference cycles (what is let
    # go is freed at once), and every full collection would scan all the facts read so far again — at 1M facts
    # that was half of the workers' CPU.
    collecting = gc.isenabled()
    gc.disable()
    try:
        facts = await _stored_share(dsn, snapshot, share, shares)
        read = time.process_time()
        changes = changes_of(facts.single, facts.cases, facts.companies.values())
        folded = FoldedShare(len(facts.single), changes.summed(), changes.steps(), {})
        del facts, changes
    finally:
        if collecting:
            gc.enable()
    folded.cpu_seconds = {"read facts": read - started, "fold": time.process_time() - read}
    return folded


async def rebuild_from_facts(settings: ReportingSettings, *, processes: int | None = None) -> RebuildResult:
    """Fresh projections from reporting's own durable history, the fact table; the facts stay as they are.

    The same transaction and lock as a replay from Kafka (readers see the old figures until the commit, live
    consumers wait). Enough after a change to what the facts contribute (projection.py, figures.py); a change
    to what a fact keeps of its event (facts.py), or a lost fact table, needs `rebuild_from_kafka`.
    """
    processes = fold_processes() if processes is None else processes
    engine = make_engine(settings.database_url, pool_size=1)
    stopwatch = Stopwatch()
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            folded = await project_stored_facts(session, processes=processes, stopwatch=stopwatch)
    finally:
        await engine.dispose()
    log.info("projections_rebuilt", source="facts", facts=folded, processes=processes)
    return RebuildResult(records=folded, facts=folded, skipped_invalid=0, seconds=stopwatch.seconds,
                         worker_cpu_seconds=stopwatch.cpu)


async def rebuild_from_kafka(settings: ReportingSettings, *, progress: Progress | None = None,
                             processes: int | None = None) -> RebuildResult:
    """Replay all topics into fresh facts and projections; returns what was read and kept.

    `processes` (default: one per core) fold the entities in parallel while PostgreSQL loads the facts; with
    1 all happens in this process.
    """
    processes = fold_processes() if processes is None else processes
    engine = make_engine(settings.database_url, pool_size=1)
    replay = Replay(settings)
    done, facts = 0, []
    stopwatch = Stopwatch()
    try:
        total = await replay.open()
        async with transaction(make_sessionmaker(engine)) as session:
            await repository.lock_projection(session)
            await repository.forget_projections(session, facts=True)
            async for read, batch in replay.batches():
                facts += batch
                # The facts stay alive until they are loaded: out of the collector's sight, or every full
                # collection scans all of them again while they grow (most of a replay's CPU went there).
                gc.freeze()
                done += read
                if progress:
                    progress(done, total)
            stopwatch.lap("read and validate")
            kept = await store_history(session, facts, processes=processes, stopwatch=stopwatch)
    finally:
        gc.unfreeze()
        await replay.close()
        await engine.dispose()
    log.info("projections_rebuilt", source="kafka", records=done, facts=kept, processes=processes)
    return RebuildResult(records=done, facts=kept, skipped_invalid=done - len(facts), seconds=stopwatch.seconds)
