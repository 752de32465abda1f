"""The event topics are the durable history a rebuild replays: they are created to be kept forever."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.messaging import ensure_topics, security_from_env
from shared.settings import ServiceSettings
from tests.kafka import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def retention(bootstrap: str, topic: str) -> str:
    """The topic's retention.ms, once the broker describes it (just after creation it may answer without it)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_from_env())
    await admin.start()
    try:
        async def described() -> dict:
            (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic,
                                                                       {"retention.ms": None})])
            (resource,) = response.resources
            return {entry[0]: entry[1] for entry in resource[4]}

        found = await eventually(described, timeout=20, interval=0.2)
    finally:
        await admin.close()
    return found["retention.ms"]


async def test_event_topics_are_kept_forever_and_dead_letters_for_the_brokers_default(infra, run_id):
    settings = ServiceSettings(kafka_bootstrap_servers=infra.kafka,
                               topic_prefix=f"test-{run_id}-retention-{uuid.uuid4().hex[:6]}.")
    await ensure_topics(settings, ["case-opened"])
    assert await retention(infra.kafka, settings.topic("case-opened")) == "-1"
    assert await retention(infra.kafka, settings.topic("case-opened.dlq")) != "-1"
