"""Rebuild the projections: replay every topic from the beginning into fresh facts and projections.

It all happens in one transaction: readers keep seeing the old figures until the new ones are complete. Live
consumers wait for the projections' lock meanwhile and then store only what the replay did not (facts are
keyed by event id). The replay reads every record, keeps each event's fact once, then folds every case and
company once (domain/projection.py) and loads facts, delta rows and amount steps with COPY: the same rows
the live path would have written event by event, so the figures are identical.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from services.reporting import repository
from services.reporting.config import ReportingSettings
from services.reporting.domain import REPORTED
from services.reporting.domain.facts import Fact, fact_of
from services.reporting.domain.projection import entity_contributions, with_lead_companies
from services.reporting.handlers import arrival
from services.reporting.projections import add_day_sums
from shared.db import make_engine, make_sessionmaker, transaction
from shared.messaging import client_security

log = structlog.get_logger()
Progress = Callable[[int, int], None]  # (records done, records in total)


@dataclass
class RebuildResult:
    records: int
    facts: int
    skipped_invalid: int


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
        self.models = {settings.topic(name): model for name, model in REPORTED.items()}
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

    async def batches(self):
        """Yield (records read, facts) until every partition reached its end offset."""
        while unfinished := self._unfinished():
            got = await self.consumer.getmany(*unfinished, timeout_ms=1000, max_records=self.batch)
            facts, read = [], 0
            for part, records in got.items():
                for record in records:
                    if record.offset >= self.end[part]:
                        continue
                    read += 1
                    facts.append(self._fact(record))
            for part in unfinished:
                # The position, not the last offset read, so that gaps in the log cannot stall the replay.
                self.begin[part] = await self.consumer.position(part)
            yield read, [f for f in facts if f is not None]

    def _fact(self, record) -> Fact | None:
        try:
            return fact_of(self.models[record.topic].model_validate_json(record.value or b""),
                           arrived_at=arrival(record), max_skew=self.max_skew)
        except ValidationError:
            return None  # dead-lettered when it was first consumed; not a fact

    async def close(self) -> None:
        await self.consumer.stop()


async def store_history(session, facts: list[Fact]) -> int:
    """Load a whole history into empty projections (the caller's transaction); returns the facts kept."""
    facts = with_lead_companies(list({f.event_id: f for f in facts}.values()))  # an event replayed twice once
    async with repository.fact_indexes_built_after(session):
        for start in range(0, len(facts), 50_000):
            await repository.copy_facts(session, facts[start:start + 50_000])
    days, steps = {}, []
    for deltas, entity_steps in entity_contributions(facts):  # each entity's rows summed, then let go
        add_day_sums(days, deltas)
        steps += entity_steps
    await repository.copy_deltas(session, [("d", day, metric, key, n, a) for (day, metric, key), (n, a)
                                           in days.items() if n or a])
    await repository.roll_up_days(session)
    await repository.copy_steps(session, [(entity, *step) for entity, step in steps])
    return len(facts)


async def rebuild(settings: ReportingSettings, *, progress: Progress | None = None) -> RebuildResult:
    """Replay all topics into fresh projections; returns what was read and kept."""
    engine = make_engine(settings.database_url, pool_size=1)
    replay = Replay(settings)
    done, facts = 0, []
    try:
        total = await replay.open()
        async with transaction(make_sessionmaker(engine)) as session:
            await repository.lock_projection(session)
            await repository.forget_projections(session)
            async for read, batch in replay.batches():
                facts += batch
                done += read
                if progress:
                    progress(done, total)
            kept = await store_history(session, facts)
    finally:
        await replay.close()
        await engine.dispose()
    log.info("projections_rebuilt", records=done, facts=kept)
    return RebuildResult(records=done, facts=kept, skipped_invalid=done - len(facts))
