"""SIGKILL a service mid-stream, restart it: nothing is lost and nothing is done twice."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from shared.contracts import MatchProposed
from tests.factories import lead_payload
from tests.kafka import collect_all, eventually, produce
from tests.settle import pipeline_settled

pytestmark = pytest.mark.e2e
LEADS = 150


# Killing matching tests a consumer that reads, writes and relays; intake is the same runtime (`make fault`).
@pytest.mark.parametrize("victim", ["matching", pytest.param("intake", marks=pytest.mark.fault)])
async def test_sigkill_mid_stream_loses_and_duplicates_nothing(victim, system, smtp, infra, topic_prefix, service_env):
    before = system.counts()
    leads = [lead_payload() for _ in range(LEADS)]
    await produce(infra.kafka, f"{topic_prefix}lead-signalled", [json.dumps(lead).encode() for lead in leads],
                  keys=[lead["subject"].encode() for lead in leads])

    # Kill the victim once the stream is visibly under way, then bring it back.
    await eventually(lambda: asyncio.to_thread(
        lambda: system.counts()["match-proposed"] > before["match-proposed"]), timeout=60, interval=0.05)
    system.procs[victim].kill()
    at_kill = system.counts()
    assert at_kill["match-proposed"] < before["match-proposed"] + LEADS, "the kill came after the stream ended"
    # kill() returned once the process was gone: restart at once, as a supervisor would.
    await asyncio.to_thread(system.procs[victim].start)

    target = before["match-proposed"] + LEADS
    after = await eventually(lambda: asyncio.to_thread(lambda: (c := system.counts())["match-proposed"] >= target
                                                       and c), timeout=120)
    assert after, f"only {system.counts()['match-proposed'] - before['match-proposed']} of {LEADS} leads matched"
    # Done when every stage has handled all its input and published all it emits; a duplicate would be in by then.
    await pipeline_settled(infra.kafka, service_env["DATABASE_URL"], topic_prefix)
    after = system.counts()
    for event in ("lead-registered", "case-opened", "match-proposed"):
        assert after[event] - before[event] == LEADS, event

    # On the topic an event may appear twice (a crash between publish and marking the outbox) but always
    # under one id; every case got exactly one distinct proposal event.
    records = await collect_all(infra.kafka, f"{topic_prefix}match-proposed")
    events = {e.id: e for e in (MatchProposed.from_json(r.value) for r in records)}
    per_case = Counter(e.data.case_id for e in events.values())
    assert max(per_case.values()) == 1

    # Every proposal's municipalities got their email exactly once.
    from services.intake.domain import case_id, lead_id
    ours = {case_id(lead_id(lead["data"]["organisation"], lead["data"]["reference"])) for lead in leads}
    proposals = [e for e in events.values() if e.data.case_id in ours]
    assert len(proposals) == LEADS
    expected = Counter(e.data.code_name for e in proposals
                       for _ in {p.municipality_code for p in e.data.proposals})
    wanted_mails = sum(expected.values())

    def our_mails():
        return Counter(m["Subject"].split("case ")[-1] for m in smtp.messages
                       if m["Subject"].split("case ")[-1] in expected)

    await eventually(lambda: asyncio.sleep(0, sum(our_mails().values()) >= wanted_mails), timeout=60)
    await pipeline_settled(infra.kafka, service_env["DATABASE_URL"], topic_prefix, mails=True)
    assert our_mails() == expected
