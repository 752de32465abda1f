"""Erasure on request (GDPR art. 17) on the running system: real Kafka, PostgreSQL and the four services.

A consenting company's identity is sealed in consent-granted and opened by notifications only; after its ROM asks
for erasure, neither Kafka (every topic of the run, read to its end), nor any table of any service, nor any log
holds its name or KvK number, a replay of its consent-granted opens nothing, and the figures are unchanged.
"""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text

from services.intake.domain import case_id as case_of
from services.intake.domain import lead_id as lead_of
from services.notifications.config import NotificationsSettings
from services.notifications.handlers import _opened
from services.notifications.identity_keys import IdentityKeys
from shared.contracts import ConsentGranted
from shared.db import make_engine
from shared.messaging import security_from_env
from tests.factories import intake_lead_payload, random_kvk
from tests.kafka import collect_all, eventually
from tests.lifecycle import disposed

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
ROM, OTHER_ROM, COORDINATOR = ("Bearer dev-oost", "Bearer dev-bom", "Bearer dev-coordinator")
NOTIFICATIONS = "Bearer dev-notifications"
CONTACT = f"cfo-{uuid.uuid4().hex[:8]}@wisbaar.example.nl"


def submission(name: str, kvk: str) -> dict:
    data = intake_lead_payload(name=name, kvk=kvk, consent="consented")["data"]
    del data["organisation"]
    return data | {"contact": {"role": "CFO", "email": CONTACT}}


async def test_an_erased_company_is_unreadable_everywhere_and_the_figures_stay(system, infra, topic_prefix,
                                                                              database_url, artifacts):
    name, kvk = f"Wisbaar Fotonica {uuid.uuid4().hex[:8]} B.V.", random_kvk()
    intake = httpx.AsyncClient(base_url=system.url("intake"), timeout=30)
    engine = make_engine(database_url, pool_size=1)
    try:
        created = await intake.post("/leads", json=submission(name, kvk), headers={"Authorization": ROM})
        assert created.status_code == 201, created.text
        lid = uuid.UUID(created.json()["lead"]["lead_id"])
        cid = case_of(lid)
        assert lid == lead_of("oost-nl", created.json()["lead"]["lead"]["reference"])

        # Consent released: sealed on Kafka, opened by notifications with the key intake handed it.
        assert await eventually(lambda: profile_identity(engine, cid), timeout=60) == (name, kvk)
        (granted,) = [ConsentGranted.from_json(r.value) for r in
                      await collect_all(infra.kafka, f"{topic_prefix}consent-granted")
                      if ConsentGranted.from_json(r.value).data.case_id == cid]
        assert granted.data.identity.form == "sealed"
        await settled(system, engine, cid)
        figures = system.counts()

        # Nobody else may erase it, or read the key.
        refused = await intake.post(f"/leads/{lid}/erasure", headers={"Authorization": OTHER_ROM})
        assert refused.status_code == 404  # another ROM's lead does not exist for it
        key_url = f"/identity-keys/{granted.data.identity.key_id}"
        assert (await intake.get(key_url, headers={"Authorization": COORDINATOR})).status_code == 403
        assert (await intake.get(key_url, headers={"Authorization": NOTIFICATIONS})).status_code == 200

        erased = await intake.post(f"/leads/{lid}/erasure", headers={"Authorization": ROM})
        assert erased.status_code == 200, erased.text
        assert erased.json() == {"lead_id": str(lid), "erased": True, "key_destroyed": True}

        assert await eventually(lambda: profile_erased(engine, cid), timeout=60)
        assert (await intake.get(key_url, headers={"Authorization": NOTIFICATIONS})).status_code == 410
        stored = (await intake.get(f"/leads/{lid}", headers={"Authorization": ROM})).json()["lead"]
        assert name not in str(stored) and kvk not in str(stored) and CONTACT not in str(stored)
        audit = (await intake.get(f"/leads/{lid}/audit", headers={"Authorization": ROM})).json()
        assert audit[-1]["action"] == "erased" and name not in str(audit) and kvk not in str(audit)

        # A replay of the consent now opens nothing: the key that sealed it is destroyed.
        keys = IdentityKeys(NotificationsSettings(intake_url=system.url("intake"), intake_token="dev-notifications"))
        try:
            assert await _opened(granted, SimpleNamespace(identity_keys=keys)) is None
        finally:
            await keys.close()

        await settled(system, engine, cid)
        assert system.counts() == figures  # the figures rebuild from events that never held the identity
        await nowhere_in_kafka(infra.kafka, topic_prefix, name, kvk, CONTACT)
        await nowhere_in_the_database(engine, name, kvk, CONTACT)
        for log in (artifacts / "logs").glob("*.log"):
            content = log.read_text(errors="replace")
            assert name not in content and kvk not in content, log.name
    finally:
        await intake.aclose()
        await disposed(engine)


async def profile_identity(engine, cid: uuid.UUID) -> tuple[str, str] | None:
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT company_name, kvk_number FROM notifications.case_profile "
                                       "WHERE case_id = :c"), {"c": cid})).first()
    return (row.company_name, row.kvk_number) if row and row.company_name else None


async def profile_erased(engine, cid: uuid.UUID) -> bool:
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT company_name, kvk_number, consent_at FROM notifications.case_profile "
                                       "WHERE case_id = :c"), {"c": cid})).first()
    return row is not None and row.company_name is None and row.kvk_number is None and row.consent_at is None


async def settled(system, engine, cid: uuid.UUID) -> None:
    """Nothing of the case is on its way: every outbox published, every mail of the case sent or dead."""
    async def quiet() -> bool:
        async with engine.connect() as conn:
            pending = sum([await conn.scalar(text(f"SELECT count(*) FROM {schema}.outbox WHERE published_at IS NULL "
                                                  "AND parked_at IS NULL"))
                           for schema in ("intake", "matching", "notifications")])
            mails = await conn.scalar(text("SELECT count(*) FROM notifications.delivery WHERE case_id = :c "
                                           "AND status NOT IN ('sent', 'dead')"), {"c": cid})
        return pending == 0 and mails == 0
    assert await eventually(quiet, timeout=90, interval=0.3)
    # Reporting counts what was published: wait until its count stops moving (one read after another agree).
    first = await asyncio.to_thread(system.counts)
    assert await eventually(lambda: asyncio.to_thread(lambda: system.counts() == first), timeout=30)


async def nowhere_in_kafka(bootstrap: str, prefix: str, *secrets: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_from_env())
    await admin.start()
    try:
        topics = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
    finally:
        await admin.close()
    assert any(t.endswith("consent-granted") for t in topics)
    for topic in topics:
        for record in await collect_all(bootstrap, topic):
            raw = (record.value or b"") + (record.key or b"")
            for secret in secrets:
                assert secret.encode() not in raw, f"{topic} holds the erased identity"


async def nowhere_in_the_database(engine, *secrets: str) -> None:
    """Every row of every table of every service, as text."""
    async with engine.connect() as conn:
        tables = (await conn.execute(text(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema IN ('intake', 'matching', 'notifications', 'reporting', 'workbench')"))).all()
        assert len(tables) > 10
        for schema, table in tables:
            for secret in secrets:
                found = await conn.scalar(text(f'SELECT count(*) FROM "{schema}"."{table}" t '
                                               "WHERE strpos(t::text, :s) > 0"), {"s": secret})
                assert found == 0, f"{schema}.{table} holds the erased identity"
