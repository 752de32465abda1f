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
from shared.idempotency import claim_many
from shared.messaging import ensure_topics, security_from_env
from shared.outbox import Outbox
from shared.settings import ServiceSettings
from tests.factories import lead_event
from tests.kafka import collect, eventually, produce
from tests.lifecycle import STOP_WITHIN, disposed, running, within
from tests.runtime_harness import Probe, harness, probe

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
async def sessions(database_url):
    engine = make_engine(database_url, pool_size=5)
    try:
        yield make_sessionmaker(engine)
    finally:
        await disposed(engine)


@pytest.fixture
async def producer(infra):
    p = AIOKafkaProducer(bootstrap_servers=infra.kafka, **security_from_env(), acks="all", enable_idempotence=True)
    await p.start()
    try:
        yield p
    finally:
        await within(p.stop(), STOP_WITHIN, "stopping a producer")


def unique_prefix() -> str:
    return f"outbox-{uuid.uuid4().hex[:8]}."


async def topics_made(infra, prefix: str) -> str:
    """Create the test's topic as the service would at start: a relay never relies on the broker auto-creating it
    (on a loaded replicated cluster that can take longer than the test, and the relay then waits for metadata)."""
    await ensure_topics(ServiceSettings(kafka_bootstrap_servers=infra.kafka, topic_prefix=prefix), ["lead-signalled"])
    return prefix


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
    prefix = await topics_made(infra, unique_prefix())
    box = Outbox(outbox, sessions, topic_prefix=prefix, poll_seconds=30)
    events = [lead_event(reference=f"R-{i}") for i in range(5)]

    async def marked() -> list:
        async with sessions() as session:
            return (await session.execute(select(outbox.c.published_at).where(
                outbox.c.event_id.in_([e.id for e in events])))).all()

    async def all_marked() -> bool:
        rows = await marked()
        return len(rows) == 5 and all(r.published_at is not None for r in rows)

    relay = asyncio.create_task(box.relay(
        lambda: AIOKafkaProducer(bootstrap_servers=infra.kafka, **security_from_env(),
                                 acks="all", enable_idempotence=True)))
    try:
        for evt in events:
            async with transaction(sessions) as session:
                await box.add(session, evt)
        # The relay is woken by the commit, long before its 30 s poll.
        records = await collect(infra.kafka, f"{prefix}lead-signalled", until=5, timeout=20)
        # The records can reach a consumer before the relay's transaction that marks them commits: wait for it
        # before stopping the relay (a cancelled relay rolls its marking back).
        assert await eventually(all_marked, timeout=10, interval=0.05), await marked()
    finally:
        relay.cancel()
        await within(asyncio.gather(relay, return_exceptions=True), STOP_WITHIN, "stopping the relay")
    got = [LeadSignalled.from_json(r.value).id for r in sorted(records, key=lambda r: r.timestamp)]
    assert sorted(got) == sorted(e.id for e in events)
    assert {r.key for r in records} == {e.key for e in events}


async def test_a_relay_publishes_nothing_while_another_holds_the_lock(sessions, producer, infra):
    """One relay at a time per service (events leave in commit order even with replicas): a pass takes the lock in
    the statement that reads its rows, and reads none while another replica's pass holds it."""
    prefix = await topics_made(infra, unique_prefix())
    box = Outbox(outbox, sessions, topic_prefix=prefix)
    evt = lead_event()
    async with transaction(sessions) as session:
        await box.add(session, evt)

    async def published_at():
        async with sessions() as session:
            return await session.scalar(select(outbox.c.published_at).where(outbox.c.event_id == evt.id))

    async with transaction(sessions) as other_replica:
        await other_replica.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": box._lock_id})
        assert await box.publish_pending(producer) == 0
        assert await published_at() is None
    assert await box.publish_pending(producer) >= 1
    assert await published_at() is not None


async def test_relay_crash_before_marking_republishes_the_same_event(sessions, producer, infra):
    """At-least-once: the event goes out again under the same id, which consumers de-duplicate on."""
    prefix = await topics_made(infra, unique_prefix())
    box = Outbox(outbox, sessions, topic_prefix=prefix)
    evt = lead_event()
    async with transaction(sessions) as session:
        await box.add(session, evt)

    class Died(BaseException):
        """The process dies: nothing in it handles this, the transaction is never committed."""

    class CrashAfterSend(AIOKafkaProducer):
        async def send(self, *a, **kw):
            fut = await super().send(*a, **kw)
            await fut
            raise Died("process died before marking")

    crashing = CrashAfterSend(bootstrap_servers=infra.kafka, **security_from_env(), acks="all", enable_idempotence=True)
    await crashing.start()
    try:
        with pytest.raises(Died):
            await box.publish_pending(crashing)
    finally:
        await crashing.stop()
    assert await box.publish_pending(producer) >= 1
    records = await collect(infra.kafka, f"{prefix}lead-signalled", until=2, timeout=20)
    assert [LeadSignalled.from_json(r.value).id for r in records] == [evt.id, evt.id]


async def test_a_redelivered_event_changes_nothing(infra, database_url):
    """The same event id twice on the topic (a relay that crashed before marking): one effect, one mark."""
    async with harness(infra, database_url) as h:
        h.runtime.consume(Probe, group="harness", effect=h.store_effect())
        twice, marker = probe(key="same"), probe(key="same")
        topic = h.settings.topic(Probe.topic)
        async with running(h.runtime):
            await produce(infra.kafka, topic, [twice.to_json(), twice.to_json()], keys=[b"same"] * 2)
            assert await eventually(lambda: _has(h, twice.id), timeout=60)
            # A later batch: the copy again, then a marker behind it on its partition (stored = both handled).
            await produce(infra.kafka, topic, [twice.to_json(), marker.to_json()], keys=[b"same"] * 2)
            assert await eventually(lambda: _has(h, marker.id), timeout=60)
        assert h.calls.count(twice.id) == 1
        assert await h.processed_count(twice.id) == 1


async def test_claim_many_admits_each_event_once_under_concurrency(sessions):
    """Eight transactions claim overlapping batches at once: every id is won by exactly one of them."""
    ids = [uuid.uuid4() for _ in range(6)]

    async def claim(batch):
        async with transaction(sessions) as session:
            return await claim_many(session, processed_event, consumer="test-concurrency", event_ids=batch)

    won = await asyncio.gather(*[claim(ids[i % 3:] + ids[:i % 3]) for i in range(8)])
    assert sorted(i for batch in won for i in batch) == sorted(ids)
    async with transaction(sessions) as session:
        assert await claim_many(session, processed_event, consumer="test-concurrency", event_ids=ids) == set()
        assert await claim_many(session, processed_event, consumer="another-group", event_ids=ids) == set(ids)


async def _has(h, *ids) -> bool:
    return set(ids) <= await h.stored()


async def test_large_values_are_stored_uncompressed(sessions):
    """Every service's outbox payload and matching's match documents are stored out of line without compression
    (STORAGE EXTERNAL, the migrations "uncompressed large values"): pglz on every insert was half to two thirds of
    a large row's insert (docs/benchmarks.md). A new table or a migration that recreates one must keep it."""
    async with sessions() as session:
        rows = (await session.execute(text(
            "SELECT n.nspname || '.' || c.relname || '.' || a.attname, a.attstorage::text FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND ((c.relname = 'outbox' AND a.attname = 'payload') OR (n.nspname = 'matching' "
            "AND c.relname = 'case_match' AND a.attname IN ('case_payload', 'proposals', 'near_misses')))"))).all()
    expected = {f"{schema}.outbox.payload" for schema in ("intake", "matching", "notifications", "reporting")} | {
        f"matching.case_match.{column}" for column in ("case_payload", "proposals", "near_misses")}
    assert dict(rows) == dict.fromkeys(expected, "e")
