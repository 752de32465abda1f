"""The two poison leads of the fault run against intake as its own process on real Kafka and PostgreSQL.

A NUL character in the company name, and a name of 200 x "Ⅷ" whose normalised key (800 characters) would not
fit its varchar(200) column: PostgreSQL refuses both, so the contract does first. Over HTTP they answer 422 with
the field; over Kafka they are dead-lettered with the reason on their first attempt while the valid leads
behind them on the same partition are stored; and no line the service logged holds a KvK number.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from deploy.processes import ServiceProcess, free_port
from services.intake.domain import lead_id
from shared.contracts.events import LeadSignalled
from tests.factories import intake_lead_payload, random_kvk
from tests.kafka import collect, eventually, produce

pytestmark = pytest.mark.integration
POISON_NAMES = ("Poison\u0000geheim B.V.", "Ⅷ" * 200)
ROM = {"Authorization": "Bearer rom-poison"}


@pytest.fixture(scope="module")
def intake(service_env, topic_prefix, tmp_path_factory):
    """Intake as `python -m services.intake serve`, its output (every log line) captured in a file."""
    env = service_env | {"KAFKA_TOPIC_PREFIX": f"{topic_prefix}poison-{uuid.uuid4().hex[:6]}.",
                         "API_TOKENS": "rom-poison:oost-nl:rom"}
    proc = ServiceProcess("intake", free_port(), env, tmp_path_factory.mktemp("poison") / "intake.log")
    proc.start()
    proc.topic = env["KAFKA_TOPIC_PREFIX"] + LeadSignalled.topic
    try:
        yield proc
    finally:
        proc.stop()


async def _stored(http: httpx.AsyncClient, payload: dict) -> bool:
    lid = lead_id(payload["data"]["organisation"], payload["data"]["reference"])
    return (await http.get(f"/leads/{lid}", headers=ROM)).status_code == 200


async def test_poison_leads_are_refused_over_http_and_dead_lettered_over_kafka_with_no_kvk_in_the_logs(
        intake, service_env):
    kafka = service_env["KAFKA_BOOTSTRAP_SERVERS"]
    poison = [intake_lead_payload(name=name, kvk=random_kvk()) for name in POISON_NAMES]
    valid = [intake_lead_payload(kvk=random_kvk()) for _ in range(3)]
    # One key for all: the valid leads queue behind the poison on the same partition.
    await produce(kafka, intake.topic, [json.dumps(p).encode() for p in poison + valid], keys=[b"poison"] * 5)

    async with httpx.AsyncClient(base_url=intake.url, timeout=10) as http:
        async def all_valid_stored() -> bool:
            return all([await _stored(http, p) for p in valid])

        assert await eventually(all_valid_stored, timeout=30), "the valid leads behind the poison were not stored"
        dead = await collect(kafka, intake.topic + ".dlq", until=2, timeout=20)
        reasons = {json.loads(r.value)["id"]: dict(r.headers)["dlq-reason"].decode() for r in dead}
        assert reasons == {
            poison[0]["id"]: "data.company.name: must not contain a NUL character (U+0000)",
            poison[1]["id"]: "data.company.name: String should have at most 200 characters after Unicode "
                             "compatibility normalisation (NFKC); this one has 800"}
        assert not any([await _stored(http, p) for p in poison])
        for p in poison:
            body = {k: v for k, v in p["data"].items() if k != "organisation"}
            r = await http.post("/leads", json=body, headers=ROM)
            assert r.status_code == 422 and [e["field"] for e in r.json()["detail"]] == ["company.name"], r.text

    log = intake.log_path.read_text(encoding="utf-8", errors="replace")
    assert log.count('"message_dead_lettered"') == 2, "the log should show each poison lead dead-lettered once"
    assert "consume_failed_will_retry" not in log, "a poison lead was retried instead of dead-lettered at once"
    kvks = [p["data"]["company"]["kvk_number"] for p in poison + valid]
    assert [k for k in kvks if k in log] == [], "a log line carries a KvK number"
    assert "Poison" not in log and "ⅧⅧ" not in log
