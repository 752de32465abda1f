"""Small real-Kafka helpers for tests: produce raw bytes, collect what a topic holds, and wait for a consumer
group to have handled given records (its committed offset is past them): the positive signal that lets a test
assert that something did *not* happen without sleeping first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import RecordMetadata

from shared.messaging import security_from_env

COLLECT_GRACE = 30.0  # joining and leaving a consumer group on a loaded replicated cluster


async def produce(bootstrap: str, topic: str, values: list[bytes], *,
                  keys: list[bytes] | None = None) -> list[RecordMetadata]:
    """Send and wait for every acknowledgement; returns where each record landed (for `consumed`)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **security_from_env(),
                                acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, v, key=(keys[i] if keys else None)) for i, v in enumerate(values)]
        return list(await asyncio.gather(*futures))
    finally:
        await producer.stop()


async def committed_offsets(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The next offset `group` will read, per partition it has committed on."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_from_env())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


async def has_consumed(bootstrap: str, group: str, records: Iterable[RecordMetadata]) -> bool:
    """True once `group` has committed past every one of `records`: it has handled them (and, since offsets
    are committed after the handler's transaction, whatever they cause is in its database)."""
    committed = await committed_offsets(bootstrap, group)
    return all(committed.get(TopicPartition(r.topic, r.partition), -1) > r.offset for r in records)


async def consumed(bootstrap: str, group: str, records: Iterable[RecordMetadata], *, timeout: float = 60) -> None:
    """Wait until `group` has handled `records` (see has_consumed); fail if it does not within `timeout`."""
    records = list(records)
    assert await eventually(lambda: has_consumed(bootstrap, group, records), timeout=timeout, interval=0.2), \
        f"consumer group {group} did not get past {len(records)} records within {timeout:.0f} s"


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **security_from_env(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic)
                                                         or await _partitions(consumer, topic))]
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()  # a fresh client knows no topic until it asks
    return consumer.partitions_for_topic(topic) or set()


async def caught_up(bootstrap: str, group: str, topic: str) -> bool:
    """True when `group` has handled everything `topic` holds right now."""
    ends = await end_offsets(bootstrap, topic)
    committed = await committed_offsets(bootstrap, group)
    return all(committed.get(tp, 0) >= end for tp, end in ends.items())


async def collect(bootstrap: str, topic: str, *, until: int, timeout: float = 60) -> list:
    """Everything `topic` holds now, then more until `until` records arrived or `timeout` passed.

    By assignment, with no consumer group (a group read once came back empty in CI), and what the topic holds
    when called is always read to its end offsets before the wait for more begins (so a short `timeout` cannot
    miss records already there). A topic not created yet is waited for; the whole read is bounded."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **security_from_env(), enable_auto_commit=False)
    records: list = []
    try:
        async with asyncio.timeout(2 * timeout + COLLECT_GRACE):
            await consumer.start()
            try:
                deadline = time.monotonic() + timeout
                partitions = await _partitions(consumer, topic)
                while not partitions and time.monotonic() < deadline:  # not created yet
                    await asyncio.sleep(0.2)
                    partitions = await _partitions(consumer, topic)
                wanted = [TopicPartition(topic, p) for p in sorted(partitions)]
                if wanted:
                    consumer.assign(wanted)
                    await consumer.seek_to_beginning(*wanted)
                    ends = await consumer.end_offsets(wanted)
                    while [tp for tp in wanted if await consumer.position(tp) < ends[tp]]:
                        batch = await consumer.getmany(*wanted, timeout_ms=500)
                        records += [r for rs in batch.values() for r in rs]
                deadline = time.monotonic() + timeout
                while wanted and len(records) < until and time.monotonic() < deadline:
                    batch = await consumer.getmany(*wanted, timeout_ms=500)
                    records += [r for rs in batch.values() for r in rs]
            finally:
                await consumer.stop()
    except TimeoutError:
        raise AssertionError(f"reading {topic} did not finish within {2 * timeout + COLLECT_GRACE:.0f} s "
                             f"({len(records)} records read)") from None
    return records


async def eventually(predicate, *, timeout: float = 60, interval: float = 0.3):
    """Await an async predicate until it returns something truthy; return that (or the last value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)


async def collect_all(bootstrap: str, topic: str, *, timeout: float = 60) -> list:
    """Everything `topic` holds now: read from the beginning up to its end offsets (not for a fixed time)."""
    ends = await end_offsets(bootstrap, topic)
    wanted = [tp for tp, end in ends.items() if end > 0]
    if not wanted:  # an empty topic (a consumer assigned nothing fails as it stops)
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, **security_from_env(), enable_auto_commit=False)
    await consumer.start()
    records: list = []
    try:
        consumer.assign(wanted)
        await consumer.seek_to_beginning(*wanted)
        deadline = time.monotonic() + timeout
        while [tp for tp in wanted if await consumer.position(tp) < ends[tp]]:
            assert time.monotonic() < deadline, f"{topic} was not read to its end within {timeout:.0f} s"
            batch = await consumer.getmany(*wanted, timeout_ms=500)
            records += [r for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    return records


async def members_on(bootstrap: str, group: str, topic: str) -> list[list[int]]:
    """The partitions of `topic` each member of `group` holds now (members without any are left out)."""
    from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_from_env())
    await admin.start()
    try:
        (response,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    held = []
    for member in response.groups[0][5]:
        assignment = ConsumerProtocolMemberAssignment.decode(member[4]).assignment if member[4] else []
        partitions = sorted(p for t, ps in assignment if t == topic for p in ps)
        if partitions:
            held.append(partitions)
    return held
