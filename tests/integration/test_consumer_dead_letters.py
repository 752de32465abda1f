"""At-least-once consumption with dead letters, on real Kafka."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from shared.contracts import LeadSignalled
from shared.messaging import ensure_topics, make_broker, subscribe
from shared.settings import ServiceSettings
from tests.factories import lead_event
from tests.kafka import collect, eventually, produce

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(infra) -> ServiceSettings:
    return ServiceSettings(kafka_bootstrap_servers=infra.kafka, topic_prefix=f"dlq-{uuid.uuid4().hex[:8]}.")


async def test_bad_messages_go_to_the_dead_letter_topic_with_a_reason(settings, infra):
    await ensure_topics(settings, [LeadSignalled.topic])
    topic = settings.topic(LeadSignalled.topic)
    good = [lead_event(), lead_event()]
    bad_kvk = lead_event().model_dump(mode="json")
    bad_kvk["data"]["company"]["kvk_number"] = "123"
    await produce(infra.kafka, topic,
                  [good[0].to_json(), b"{not json", json.dumps(bad_kvk).encode(), good[1].to_json()])

    seen: list = []
    broker = make_broker(settings, service="test")

    async def handle(evt):
        seen.append(evt.id)

    subscribe(broker, settings, event=LeadSignalled, group="test", handle=handle)
    await broker.start()
    try:
        assert await eventually(lambda: asyncio.sleep(0, len(seen) == 2), timeout=30)
        dead = await collect(infra.kafka, topic + ".dlq", until=2, timeout=30)
    finally:
        await broker.stop()
    assert sorted(seen) == sorted(e.id for e in good)
    reasons = sorted(dict(r.headers)["dlq-reason"].decode() for r in dead)
    assert len(reasons) == 2
    assert any(r.startswith("data.company.kvk_number:") for r in reasons)
    assert any("json" in r.lower() for r in reasons)
    assert all(dict(r.headers)["dlq-source-topic"].decode() == topic for r in dead)


async def test_a_failing_handler_is_retried_not_skipped(settings, infra):
    await ensure_topics(settings, [LeadSignalled.topic])
    evt = lead_event()
    await produce(infra.kafka, settings.topic(LeadSignalled.topic), [evt.to_json()])
    attempts: list = []
    broker = make_broker(settings, service="test")

    async def flaky(e):
        attempts.append(e.id)
        if len(attempts) < 3:
            raise ConnectionError("database unavailable")

    subscribe(broker, settings, event=LeadSignalled, group="test-retry", handle=flaky, retry_delay=0.1)
    await broker.start()
    try:
        assert await eventually(lambda: asyncio.sleep(0, len(attempts) >= 3), timeout=30)
    finally:
        await broker.stop()
    assert attempts[:3] == [evt.id] * 3
