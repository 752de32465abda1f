"""The consumer runtime reads a batch as soon as a record arrives, also after empty polls (latency when idle)."""

from __future__ import annotations

import asyncio
import time

from faststream.kafka import KafkaBroker

from shared.messaging import poll_without_idle_pause


class QuietConsumer:
    """An aiokafka consumer with nothing to read: getmany returns at once, empty."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    async def getmany(self, **kw):
        self.calls.append(kw)
        return {}


async def test_an_empty_poll_is_not_followed_by_a_pause():
    subscriber = KafkaBroker("127.0.0.1:1").subscriber("t", group_id="g", batch=True, max_records=50)
    poll_without_idle_pause(subscriber, max_records=50)
    consumer = QuietConsumer()
    started = time.monotonic()
    for _ in range(5):
        assert await subscriber.get_msg(consumer) == ()
    # FastStream's own get_msg sleeps its batch timeout (200 ms) after each empty poll: a second in all.
    assert time.monotonic() - started < 0.5
    assert [c["max_records"] for c in consumer.calls] == [50] * 5


async def test_records_that_arrive_are_returned_as_one_batch():
    subscriber = KafkaBroker("127.0.0.1:1").subscriber("t", group_id="g", batch=True, max_records=50)
    poll_without_idle_pause(subscriber, max_records=50)

    class Busy(QuietConsumer):
        async def getmany(self, **kw):
            await asyncio.sleep(0)
            return {"p0": ["a", "b"], "p1": ["c"]}

    assert await subscriber.get_msg(Busy()) == ("a", "b", "c")
