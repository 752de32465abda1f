"""The broker is the trust boundary (docs/kafka-security.md), proven on the real cluster: without a password nobody
gets in; a ROM's principal can write its own lead topic and nothing else, reads no lead at all; a lead that claims
another organisation than its topic's is dead-lettered by intake with the reason."""

from __future__ import annotations

import json
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError, TopicAuthorizationFailedError

from deploy import kafka_security
from deploy.kafka_security import known_credentials, organisation_topic, rom_principal
from services.intake.bootstrap import bootstrap
from services.intake.config import IntakeSettings
from services.intake.domain import lead_id
from shared.contracts.events import ConsentGranted, LeadRegistered, LeadSignalled
from shared.messaging import ensure_topics, security_from_env
from tests.factories import intake_lead_payload
from tests.kafka import collect, eventually
from tests.lifecycle import running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROM, OTHER_ROM = "bom", "oost-nl"
INTERNAL = ("case-opened", "match-proposed", "relocation-realised")


@pytest.fixture(scope="module")
def credentials() -> kafka_security.Credentials:
    creds = known_credentials()
    assert creds, f"the tests need the cluster's credentials file ({kafka_security.CREDENTIALS_ENV})"
    return creds


@pytest.fixture(scope="module")
async def secured(infra, topic_prefix, credentials):
    """This module's topics, created by the admin, with the ACLs every principal has on the real names."""
    prefix = f"{topic_prefix}security-{uuid.uuid4().hex[:6]}."
    settings = IntakeSettings(kafka_bootstrap_servers=infra.kafka, topic_prefix=prefix)
    await ensure_topics(settings, [LeadSignalled.topic, *INTERNAL, ConsentGranted.topic, LeadRegistered.topic,
                                   organisation_topic(ROM),
                                   organisation_topic(OTHER_ROM)])
    await kafka_security.grant_for_prefix(infra.kafka, security_from_env(), prefix)
    return settings


async def send_as(bootstrap: str, security: dict, topic: str, value: bytes = b"{}") -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                request_timeout_ms=10_000, **security)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def read_as(bootstrap: str, security: dict, topic: str) -> list:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                **security)
    await consumer.start()
    try:
        return [r for rs in (await consumer.getmany(timeout_ms=5000)).values() for r in rs]
    finally:
        await consumer.stop()


async def test_a_client_without_a_password_or_with_a_wrong_one_is_refused(infra, credentials):
    anonymous = AIOKafkaAdminClient(bootstrap_servers=infra.kafka, request_timeout_ms=3000)
    with pytest.raises(KafkaConnectionError):
        await anonymous.start()
    await anonymous.close()
    wrong = credentials.client(rom_principal(ROM)) | {"sasl_plain_password": "not-the-password"}
    guessing = AIOKafkaAdminClient(bootstrap_servers=infra.kafka, request_timeout_ms=3000, **wrong)
    with pytest.raises(KafkaError):
        await guessing.start()
    await guessing.close()


async def test_a_rom_writes_its_own_lead_topic_and_no_other(infra, secured, credentials):
    rom = credentials.client(rom_principal(ROM))
    await send_as(infra.kafka, rom, secured.topic(organisation_topic(ROM)))  # its own: accepted
    for topic in (organisation_topic(OTHER_ROM), LeadSignalled.topic, *INTERNAL):
        with pytest.raises(TopicAuthorizationFailedError):
            await send_as(infra.kafka, rom, secured.topic(topic))


async def test_a_rom_reads_no_leads_not_even_its_own(infra, secured, credentials):
    rom = credentials.client(rom_principal(ROM))
    for topic in (LeadSignalled.topic, organisation_topic(ROM), organisation_topic(OTHER_ROM)):
        with pytest.raises(TopicAuthorizationFailedError):
            await read_as(infra.kafka, rom, secured.topic(topic))


async def test_services_other_than_intake_cannot_read_leads(infra, secured, credentials):
    for service in ("matching", "notifications", "reporting", "workbench"):
        with pytest.raises(TopicAuthorizationFailedError):
            await read_as(infra.kafka, credentials.client(service), secured.topic(LeadSignalled.topic))


async def test_reporting_reads_no_identity_and_what_it_does_read_it_can(infra, secured, credentials):
    """The company's name and KvK number travel only in lead-signalled and consent-granted: reporting reads neither
    (its note check gets keyed name digests from lead-registered, which it may read)."""
    reporting = credentials.client("reporting")
    with pytest.raises(TopicAuthorizationFailedError):
        await read_as(infra.kafka, reporting, secured.topic(ConsentGranted.topic))
    assert await read_as(infra.kafka, reporting, secured.topic(LeadRegistered.topic)) == []


async def test_a_lead_claiming_another_organisation_is_dead_lettered_and_its_own_is_taken_in(
        infra, secured, credentials, database_url):
    settings = secured.model_copy(update={"database_url": database_url, "kafka_session_timeout_ms": 6000,
                                          "outbox_poll_seconds": 0.5})
    forged = intake_lead_payload(organisation=OTHER_ROM)
    genuine = intake_lead_payload(organisation=ROM)
    rom = credentials.client(rom_principal(ROM))
    async with running(bootstrap(settings).runtime):
        for payload in (forged, genuine):
            await send_as(infra.kafka, rom, settings.topic(organisation_topic(ROM)), json.dumps(payload).encode())

        async def dead_letters():
            return [r for r in await collect(infra.kafka, settings.topic(organisation_topic(ROM) + ".dlq"),
                                             until=10**6, timeout=2) if json.loads(r.value).get("id") == forged["id"]]

        async def registered():
            return [e for r in await collect(infra.kafka, settings.topic(LeadRegistered.topic), until=10**6,
                                             timeout=2)
                    if (e := LeadRegistered.from_json(r.value)).data.lead_id in (lid(forged), lid(genuine))]

        (dead,) = await eventually(dead_letters, timeout=60)
        headers = {k: v.decode() for k, v in dead.headers}
        assert headers["dlq-field"] == "data.organisation"
        assert f"claims organisation '{OTHER_ROM}'" in headers["dlq-reason"] and repr(ROM) in headers["dlq-reason"]
        (taken,) = await eventually(registered, timeout=60)
        # Only the genuine lead was registered, not the forged one under the organisation it claimed.
        assert taken.data.lead_id == lid(genuine) and taken.data.organisation == ROM


def lid(payload: dict) -> uuid.UUID:
    return lead_id(payload["data"]["organisation"], payload["data"]["reference"])
