"""Rebuild the projections: replay every topic from the beginning into a fresh fact table.

It all happens in one transaction: readers keep seeing the old figures until the new ones are complete,
and the live consumers can keep running (facts are keyed by event id, so what both see is stored once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError

from services.reporting import repository
from services.reporting.config import ReportingSettings
from services.reporting.domain.facts import Fact, fact_of
from shared.contracts import EVENT_TYPES
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

    def __init__(self, settings: ReportingSettings, *, batch: int = 5000) -> None:
        self.settings = settings
        self.batch = batch
        self.consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
                                         enable_auto_commit=False, **client_security(settings))
        self.models = {settings.topic(name): model for name, model in EVENT_TYPES.items()}
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
            return fact_of(self.models[record.topic].model_validate_json(record.value or b""))
        except ValidationError:
            return None  # dead-lettered when it was first consumed; not a fact

    async def close(self) -> None:
        await self.consumer.stop()


async def rebuild(settings: ReportingSettings, *, progress: Progress | None = None) -> RebuildResult:
    """Replay all topics into fresh projections; returns what was read and kept."""
    engine = make_engine(settings.database_url, pool_size=1)
    replay = Replay(settings)
    done = facts = 0
    try:
        total = await replay.open()
        async with transaction(make_sessionmaker(engine)) as session:
            await repository.lock_projection(session)
            await repository.forget_facts(session)
            async for read, batch in replay.batches():
                await repository.bulk_add_facts(session, batch)
                done, facts = done + read, facts + len(batch)
                if progress:
                    progress(done, total)
    finally:
        await replay.close()
        await engine.dispose()
    log.info("projections_rebuilt", records=done, facts=facts)
    return RebuildResult(records=done, facts=facts, skipped_invalid=done - facts)
