"""Contracts that evolve, through the real pipeline: Kafka -> every service that consumes case-opened.

An old producer's version-1 case-opened (upcast to version 2 on reading) and a newer producer's version-2
event carrying fields nobody knows yet (tolerant readers ignore them) are both handled by every consumer
of the topic, in-process on real Kafka and PostgreSQL, as the services run them (create_app + running).
"""

from __future__ import annotations

import json
import uuid
from contextlib import AsyncExitStack
from functools import partial

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select

from services.intake.app import create_app as intake_app
from services.intake.config import IntakeSettings
from services.matching.app import create_app as matching_app
from services.matching.config import MatchingSettings
from services.notifications.app import create_app as notifications_app
from services.notifications.config import NotificationsSettings
from services.reporting.app import create_app as reporting_app
from services.reporting.config import ReportingSettings
from shared.contracts import CaseOpened, MatchProposed
from shared.messaging import security_from_env
from tests.factories import case_opened_event, demand
from tests.kafka import collect, eventually, produce
from tests.lifecycle import running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
SERVICES = ((intake_app, IntakeSettings), (matching_app, MatchingSettings),
            (notifications_app, NotificationsSettings), (reporting_app, ReportingSettings))


def old_producers_case_opened() -> dict:
    """As a version-1 producer wrote it: signalled_at as text (here without a zone, which meant UTC)."""
    raw = case_opened_event(demand=demand(floor_space_m2=2000)).model_dump(mode="json")
    raw["schemaversion"] = 1
    raw["data"]["signalled_at"] = "2026-11-30T09:00:00"
    return raw


def newer_producers_case_opened() -> dict:
    """Version 2 with fields added by a producer that is ahead of its consumers (an additive change)."""
    raw = case_opened_event(demand=demand(floor_space_m2=2000)).model_dump(mode="json")
    raw["data"]["priority"] = "high"
    raw["data"]["demand"]["floor_space"]["ceiling_height_m"] = 9.5
    raw["sequencenumber"] = 7  # and a CloudEvents extension attribute
    return raw


async def dead_letters(bootstrap: str, topic: str, partitions: int) -> int:
    """How many records the dead-letter topic holds (its end offsets: no waiting involved)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **security_from_env(), enable_auto_commit=False)
    await consumer.start()
    try:
        offsets = await consumer.end_offsets([TopicPartition(topic, p) for p in range(partitions)])
        return sum(offsets.values())
    finally:
        await consumer.stop()


async def test_a_version_1_and_an_extended_version_2_case_opened_reach_every_consumer(infra, database_url):
    prefix = f"evolve-{uuid.uuid4().hex[:8]}."
    common = dict(kafka_bootstrap_servers=infra.kafka, database_url=database_url, topic_prefix=prefix,
                  kafka_session_timeout_ms=6000, outbox_poll_seconds=0.5)
    apps = [create(settings(**common)) for create, settings in SERVICES]
    topic = f"{prefix}{CaseOpened.topic}"
    consumers = [(app.state.runtime, group) for app in apps for t, group, _ in app.state.runtime.subscriptions
                 if t == topic]
    assert {r.name for r, _ in consumers} == {"matching", "notifications", "reporting"}
    events = [old_producers_case_opened(), newer_producers_case_opened()]
    ids = {uuid.UUID(e["id"]) for e in events}
    async with AsyncExitStack() as stack:
        for runtime in {id(r): r for r, _ in consumers}.values():
            await stack.enter_async_context(running(runtime))
        await produce(infra.kafka, topic, [json.dumps(e).encode() for e in events],
                      keys=[e["subject"].encode() for e in events])
        for runtime, group in consumers:
            assert await eventually(partial(_processed, runtime, group, ids), timeout=90), f"{group} missed one"
        proposed = await collect(infra.kafka, f"{prefix}{MatchProposed.topic}", until=2, timeout=60)
    # Dead letters are published before the batch commits: once processed, any would already be there.
    assert await dead_letters(infra.kafka, f"{topic}.dlq", consumers[0][0].settings.topic_partitions) == 0
    matched = {MatchProposed.from_json(r.value).data.case_id for r in proposed}
    assert matched == {uuid.UUID(e["data"]["case_id"]) for e in events}


async def _processed(runtime, group: str, ids: set[uuid.UUID]) -> bool:
    table = runtime.processed
    async with runtime.sessions() as session:
        n = await session.scalar(select(func.count()).select_from(table).where(
            table.c.consumer == group, table.c.event_id.in_(ids)))
    return n == len(ids)
