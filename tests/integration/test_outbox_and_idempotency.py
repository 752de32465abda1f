"""The outbox and idempotent consumers against real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select, text

from services.intake.orm import outbox, processed_event
from shared.contracts import LeadSignalled
from shared.db import make_engine, make_sessionmaker, transaction
from shared.idempotency import apply_once
from shared.outbox import Outbox
from tests.factories import lead_event
from tests.kafka import collect
from tests.lifecycle import STOP_WITHIN, disposed, within

pytestmark = pytest.mark.integration


@pytest.fixture
async def sessions(database_url):
    engine = make_engine(database_url, pool_size=5)
    try:
        yield make_sessionmaker(engine)
    finally:
        await disposed(engine)


@pytest.fixture
async def producer(infra):
    p = AIOKafkaProducer(bootstrap_servers=infra.kafka, acks="all", enable_idempotence=True)
    await p.start()
    try:
        yield p
    finally:
        await within(p.stop(), STOP_WITHIN, "stopping a producer")


def unique_prefix() -> str:
    return f"outbox-{uuid.uuid4().hex[:8]}."


async def test_rolled_back_state_change_publishes_nothing(sessions):
    box = Outbox(outbox, sessions, topic_prefix=unique_prefix())
    evt = lead_event()
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await box.add(session, evt)
            raise RuntimeError("state change failed")
    async with sessions() as session:
        assert await session.scalar(select(outbox.c.event_id).where(outbox.c.event_id == evt.id)) is None


async def test_committed_events_are_relayed_in_order_and_marked(sessions, producer, infra):
    prefix = unique_prefix()
    box = Outbox(outbox, sessions, topic_prefix=prefix, poll_seconds=30)
    events = [lead_event(reference=f"R-{i}") for i in range(5)]
    relay = asyncio.create_task(box.relay(producer))
    try:
        for evt in events:
            async with transaction(sessions) as session:
                await box.add(session, evt)
        # The relay is woken by the commit, long before its 30 s poll.
        records = await collect(infra.kafka, f"{prefix}lead-signalled", until=5, timeout=20)
    finally:
        relay.cancel()
    got = [LeadSignalled.from_json(r.value).id for r in sorted(records, key=lambda r: r.timestamp)]
    assert sorted(got) == sorted(e.id for e in events)
    assert {r.key for r in records} == {e.key for e in events}
    async with sessions() as session:
        rows = (await session.execute(select(outbox.c.published_at).where(
            outbox.c.event_id.in_([e.id for e in events])))).all()
    assert len(rows) == 5 and all(r.published_at is not None for r in rows)


async def test_relay_crash_before_marking_republishes_the_same_event(sessions, producer, infra):
    """At-least-once: the event goes out again under the same id, which consumers de-duplicate on."""
    prefix = unique_prefix()
    box = Outbox(outbox, sessions, topic_prefix=prefix)
    evt = lead_event()
    async with transaction(sessions) as session:
        await box.add(session, evt)

    class CrashAfterSend(AIOKafkaProducer):
        async def send(self, *a, **kw):
            fut = await super().send(*a, **kw)
            await fut
            raise ConnectionError("process died before marking")

    crashing = CrashAfterSend(bootstrap_servers=infra.kafka, acks="all", enable_idempotence=True)
    await crashing.start()
    try:
        with pytest.raises(ConnectionError):
            await box.publish_pending(crashing)
    finally:
        await crashing.stop()
    assert await box.publish_pending(producer) >= 1
    records = await collect(infra.kafka, f"{prefix}lead-signalled", until=2, timeout=20)
    assert [LeadSignalled.from_json(r.value).id for r in records] == [evt.id, evt.id]


async def test_effect_applies_once_under_redelivery_and_concurrency(sessions):
    event_id = uuid.uuid4()
    async with sessions() as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS intake.test_effect (n int)"))
        await session.execute(text("TRUNCATE intake.test_effect"))
        await session.commit()

    async def effect(session):
        await session.execute(text("INSERT INTO intake.test_effect VALUES (1)"))

    results = await asyncio.gather(*[apply_once(sessions, processed_event, consumer="test", event_id=event_id,
                                                effect=effect) for _ in range(8)])
    assert results.count(True) == 1
    assert await apply_once(sessions, processed_event, consumer="test", event_id=event_id, effect=effect) is False
    async with sessions() as session:
        assert await session.scalar(text("SELECT count(*) FROM intake.test_effect")) == 1
        await session.execute(text("DROP TABLE intake.test_effect"))
        await session.commit()


async def test_failed_effect_leaves_the_event_unprocessed(sessions):
    event_id = uuid.uuid4()

    async def failing(session):
        raise RuntimeError("database hiccup")

    with pytest.raises(RuntimeError):
        await apply_once(sessions, processed_event, consumer="test", event_id=event_id, effect=failing)

    async def ok(session):
        return None

    assert await apply_once(sessions, processed_event, consumer="test", event_id=event_id, effect=ok) is True
