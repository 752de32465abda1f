"""Helpers of the component tests: publish into the in-memory broker, relay an outbox into it, probe a topic."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from shared.contracts.envelope import Envelope
from shared.messaging import DLQ_SUFFIX


class InMemoryProducer:
    """What the outbox relay needs of a Kafka producer, publishing into the in-memory broker instead."""

    def __init__(self, broker: KafkaBroker) -> None:
        self.broker = broker

    async def send(self, topic: str, value: bytes, *, key: bytes, headers: list[tuple[str, bytes]]):
        await self.broker.publish(value, topic=topic, key=key, headers={k: v.decode() for k, v in headers})
        sent = asyncio.get_running_loop().create_future()
        sent.set_result(None)
        return sent


async def relay(deps) -> int:
    """One pass of the service's own outbox relay (shared.outbox), into the in-memory broker; how many went out."""
    return await deps.runtime.outbox.publish_pending(InMemoryProducer(deps.runtime.broker))


@dataclass
class Seen:
    """What a probe subscriber received on one topic."""

    records: list[KafkaMessage] = field(default_factory=list)

    def events(self, event: type[Envelope]) -> list[Envelope]:
        return [event.model_validate_json(m.body) for m in self.records]

    def headers(self) -> list[dict[str, str]]:
        return [dict(m.headers) for m in self.records]


def probe(broker: KafkaBroker, topic: str) -> Seen:
    """Subscribe a recorder to `topic` (register before the TestKafkaBroker starts)."""
    seen = Seen()

    @broker.subscriber(topic, group_id=f"probe-{uuid.uuid4().hex[:6]}")
    async def record(message: KafkaMessage) -> None:
        seen.records.append(message)

    return seen


def probe_event(deps, event: type[Envelope]) -> Seen:
    return probe(deps.runtime.broker, deps.settings.topic(event.topic))


def probe_dead_letters(deps, event: type[Envelope]) -> Seen:
    return probe(deps.runtime.broker, deps.settings.topic(event.topic) + DLQ_SUFFIX)


async def publish(deps, evt: Envelope | dict | bytes, *, topic: str | None = None) -> None:
    """Publish to the in-memory broker; returns once every subscriber of the topic has handled it."""
    if isinstance(evt, Envelope):
        body, topic = evt.to_json(), topic or evt.topic
    else:
        body = evt if isinstance(evt, bytes) else json.dumps(evt).encode()
    await deps.runtime.broker.publish(body, topic=deps.settings.topic(topic))
