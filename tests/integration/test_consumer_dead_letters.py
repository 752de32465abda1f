"""Nothing blocks a partition: Runtime.consume as production runs it, on real Kafka and PostgreSQL.

Invalid messages and events the database refuses are dead-lettered with the reason (within three
attempts), passing faults are retried, and the events around them are processed meanwhile.
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import text

from shared.logging import configure_logging
from tests.kafka import collect, eventually, produce
from tests.lifecycle import running
from tests.runtime_harness import Probe, harness, probe

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def headers(record) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def test_events_the_database_refuses_are_dead_lettered_and_the_rest_flows_within_5s(infra, database_url,
                                                                                         capfd):
    """NUL in a text column, a name whose normalised key overflows varchar(200), a duplicate unique key."""
    configure_logging("harness", "INFO", json=True)
    async with harness(infra, database_url) as h:
        h.runtime.consume(Probe, group="harness", effect=h.store_effect())
        topic = h.settings.topic(Probe.topic)
        async with running(h.runtime):
            warm = probe(unique_key="taken")
            await produce(infra.kafka, topic, [warm.to_json()], keys=[b"warm"])
            assert await eventually(lambda: _has(h, warm.id), timeout=60), "the consumer never started"

            poison = [probe("Poison\u0000geheim B.V.", key="p0", note="12345678"),
                      probe("Ⅷ" * 200, key="p1"),
                      probe("Dubbel B.V.", key="p2", unique_key="taken")]
            # Valid events behind each poison on its partition (same key), and on the others.
            valid = [probe(key=k) for k in ("p0", "p1", "p2", "a", "b", "c", "d")]
            records = [poison[0], valid[0], poison[1], valid[1], poison[2], *valid[2:]]
            started = time.monotonic()
            await produce(infra.kafka, topic, [e.to_json() for e in records], keys=[e.key for e in records])
            ids = {e.id for e in valid}
            assert await eventually(lambda: _has(h, *ids), timeout=30, interval=0.05)
            elapsed = time.monotonic() - started
            dead = await collect(infra.kafka, topic + ".dlq", until=3, timeout=30)
    assert elapsed < 5, f"valid events waited {elapsed:.1f} s behind the poison"
    by_id = {json.loads(r.value)["id"]: headers(r) for r in dead}
    assert set(by_id) == {str(e.id) for e in poison}
    classes = {by_id[str(e.id)]["dlq-error-class"] for e in poison}
    assert classes == {"CharacterNotInRepertoireError", "StringDataRightTruncationError", "UniqueViolationError"}
    for h_ in by_id.values():
        assert 1 <= int(h_["dlq-attempts"]) <= 3
        assert h_["dlq-reason"].startswith("database refused it:")
        assert h_["dlq-consumer-group"] == "harness"
    assert by_id[str(poison[2].id)]["dlq-reason"].endswith("constraint uq_received_unique_key")
    out = capfd.readouterr()
    logged = out.out + out.err
    assert logged.count('"message_dead_lettered"') == 3 and all(str(e.id) in logged for e in poison)
    for secret in ("Poison", "geheim", "Ⅷ", "VIII", "viii", "12345678", "Dubbel", "taken"):
        assert secret not in logged, f"a log line carries payload text {secret!r}"


async def test_invalid_messages_are_dead_lettered_with_the_field_and_reason(infra, database_url):
    async with harness(infra, database_url) as h:
        h.runtime.consume(Probe, group="harness", effect=h.store_effect())
        topic = h.settings.topic(Probe.topic)
        good = [probe(), probe()]
        wrong = good[0].model_dump(mode="json")
        wrong["id"] = "not-a-uuid"
        await produce(infra.kafka, topic, [good[0].to_json(), b"{not json", json.dumps(wrong).encode(),
                                           good[1].to_json()])
        async with running(h.runtime):
            assert await eventually(lambda: _has(h, *(e.id for e in good)), timeout=60)
            dead = await collect(infra.kafka, topic + ".dlq", until=2, timeout=30)
    reasons = {headers(r)["dlq-reason"]: headers(r) for r in dead}
    assert len(reasons) == 2
    invalid_id = next(v for k, v in reasons.items() if k.startswith("id:"))
    assert invalid_id["dlq-field"] == "id" and invalid_id["dlq-error-class"] == "ValidationError"
    assert any("json" in reason.lower() for reason in reasons)
    assert all(v["dlq-source-topic"] == topic and v["dlq-attempts"] == "1" for v in reasons.values())


async def test_a_lost_database_connection_is_retried_not_dead_lettered(infra, database_url):
    """A real transient fault: the effect's connection is terminated twice, then the event goes through."""
    async with harness(infra, database_url, consumer_retry_max_seconds=0.5) as h:
        evt = probe()
        kills: list = []

        async def lose_connection_twice(session, _evt) -> None:
            if len(kills) < 2:
                kills.append(_evt.id)
                await session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

        h.runtime.consume(Probe, group="harness", effect=h.store_effect(before=lose_connection_twice))
        await produce(infra.kafka, h.settings.topic(Probe.topic), [evt.to_json()])
        async with running(h.runtime):
            assert await eventually(lambda: _has(h, evt.id), timeout=60)
        assert h.calls == [evt.id] * 3
        assert await h.processed_count(evt.id) == 1


async def _has(h, *ids) -> bool:
    return set(ids) <= await h.stored()
