"""An outbox that cannot jam: a row the broker refuses is parked and reported, the rows after it go out.

Real Kafka (a topic whose max.message.bytes is smaller than one of the events) and real PostgreSQL, with
the relay that Runtime.running starts, and the operations endpoint every service mounts.
"""

from __future__ import annotations

import json

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import func, select

from shared.db import transaction
from shared.logging import configure_logging
from shared.messaging import security_from_env
from shared.runtime import http_app
from tests.kafka import collect, eventually
from tests.lifecycle import running
from tests.runtime_harness import Probe, harness, probe

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
COORDINATOR = {"Authorization": "Bearer dev-coordinator"}


async def create_small_topic(bootstrap: str, topic: str, max_bytes: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_from_env())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, 1, topic_configs={"max.message.bytes": str(max_bytes)})])
    finally:
        await admin.close()


async def stage(h, *events) -> None:
    async with transaction(h.runtime.sessions) as session:
        for evt in events:
            await h.runtime.outbox.add(session, evt)


async def test_a_row_too_large_for_its_topic_is_parked_while_later_rows_flow(infra, database_url, capfd):
    configure_logging("harness", "INFO", json=True)
    async with harness(infra, database_url, outbox_retention_hours=0, outbox_cleanup_seconds=0.2) as h:
        topic = h.settings.topic(Probe.topic)
        await create_small_topic(infra.kafka, topic, max_bytes=2048)
        too_large = probe(key="same", note="x" * 5000)
        # Behind it: events with its key (same partition, same producer batch) and with other keys.
        later = [probe(key="same"), probe(key="other"), probe(key="same"), probe(key="third")]
        app = http_app(h.runtime, title="harness", description="")
        async with running(h.runtime), httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                                         base_url="http://harness") as http:
            await stage(h, too_large, *later[:2])
            await stage(h, *later[2:])
            records = await collect(infra.kafka, topic, until=len(later), timeout=60)
            parked = await eventually(lambda: _parked(http), timeout=30)
            # Published rows expire (retention 0 here); the parked one stays until someone acts on it.
            assert await eventually(lambda: _only_parked_left(h), timeout=30)
            assert (await http.get("/operations/outbox/parked", headers={"Authorization": "Bearer dev-oost"})
                    ).status_code == 403
            assert (await http.get("/operations/outbox/parked")).status_code == 401
            assert (await http.post("/operations/outbox/parked/999999999/release", headers=COORDINATOR)
                    ).status_code == 404
    assert sorted(Probe.from_json(r.value).id for r in records) == sorted(e.id for e in later)
    same_key = [Probe.from_json(r.value).id for r in sorted(records, key=lambda r: r.offset) if r.key == b"same"]
    assert same_key == [later[0].id, later[2].id], "events of one key left out of order"
    assert parked["service"] == "harness" and parked["total"] == 1
    row = parked["items"][0]
    assert row["event_id"] == str(too_large.id) and row["attempts"] == 3 and row["topic"] == topic
    assert "MessageSizeTooLarge" in row["last_error"]
    logged = capfd.readouterr()
    lines = [json.loads(line) for line in (logged.out + logged.err).splitlines() if line.startswith("{")]
    report = [line for line in lines if line["event"] == "outbox_row_parked"]
    assert len(report) == 1 and report[0]["seq"] == row["seq"]
    assert report[0]["error_class"] == "MessageSizeTooLargeError"


async def test_a_released_row_is_tried_again(infra, database_url):
    async with harness(infra, database_url) as h:
        topic = h.settings.topic(Probe.topic)
        await create_small_topic(infra.kafka, topic, max_bytes=2048)
        too_large = probe(note="x" * 5000)
        app = http_app(h.runtime, title="harness", description="")
        async with running(h.runtime), httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                                         base_url="http://harness") as http:
            await stage(h, too_large)
            seq = (await eventually(lambda: _parked(http), timeout=30))["items"][0]["seq"]
            released = await http.post(f"/operations/outbox/parked/{seq}/release", headers=COORDINATOR)
            assert released.status_code == 200 and released.json() == {"seq": seq, "released": True}
            # Still too large: three more attempts, then parked again (positive signal: attempts back at 3).
            again = await eventually(lambda: _parked(http, attempts=3), timeout=30)
            assert again["items"][0]["seq"] == seq


async def _parked(http, attempts: int | None = None) -> dict | None:
    body = (await http.get("/operations/outbox/parked", headers=COORDINATOR)).json()
    if not body["total"] or (attempts is not None and body["items"][0]["attempts"] != attempts):
        return None
    return body


async def _only_parked_left(h) -> bool:
    t = h.runtime.outbox.table
    async with h.runtime.sessions() as session:
        rows = (await session.execute(select(t.c.parked_at.is_not(None), func.count()).group_by(
            t.c.parked_at.is_not(None)))).all()
    return dict(rows) == {True: 1}
