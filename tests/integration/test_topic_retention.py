"""The event topics are the durable history a rebuild replays: they are created to be kept forever."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.messaging import ensure_topics, security_from_env
from shared.settings import ServiceSettings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def retention(bootstrap: str, topic: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_from_env())
    await admin.start()
    try:
        (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic,
                                                                   {"retention.ms": None})])
    finally:
        await admin.close()
    (resource,) = response.resources
    return {entry[0]: entry[1] for entry in resource[4]}["retention.ms"]


async def test_event_topics_are_kept_forever_and_dead_letters_for_the_brokers_default(infra, run_id):
    settings = ServiceSettings(kafka_bootstrap_servers=infra.kafka,
                               topic_prefix=f"test-{run_id}-retention-{uuid.uuid4().hex[:6]}.")
    await ensure_topics(settings, ["case-opened"])
    assert await retention(infra.kafka, settings.topic("case-opened")) == "-1"
    assert await retention(infra.kafka, settings.topic("case-opened.dlq")) != "-1"
