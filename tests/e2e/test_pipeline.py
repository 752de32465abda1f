"""A lead published to Kafka by any client ends as case-opened, match-proposed, an email, and counts."""

from __future__ import annotations

import asyncio
import json

import pytest

from services.intake.domain import lead_id
from shared.contracts import CaseOpened, MatchProposed
from tests.factories import lead_payload
from tests.kafka import collect, eventually, produce

pytestmark = pytest.mark.e2e


async def test_one_lead_flows_through_all_four_services(system, smtp, infra, topic_prefix):
    before = system.counts()
    raw = lead_payload()
    company = raw["data"]["company"]
    # Plain JSON bytes, exactly what kcat or a ROM system in any language would send.
    await produce(infra.kafka, f"{topic_prefix}lead-signalled", [json.dumps(raw).encode()],
                  keys=[raw["subject"].encode()])

    opened = await eventually(lambda: _case_for(infra, topic_prefix, raw["data"]["reference"]), timeout=30)
    assert opened, "no case-opened for the lead"
    case_id = opened.data.case_id
    assert company["kvk_number"] not in opened.to_json().decode()
    assert company["name"] not in opened.to_json().decode()

    proposed = await eventually(lambda: _proposal_for(infra, topic_prefix, case_id), timeout=30)
    assert proposed and proposed.data.proposals and not proposed.data.no_proposition

    expected = {p.municipality_code for p in proposed.data.proposals}

    def mails_of_case():
        return [m for m in smtp.messages if opened.data.code_name in m["Subject"]]
    # One mail per municipality concerned; they go out one by one, so wait for all of them, not the first.
    await eventually(lambda: asyncio.sleep(0, len(mails_of_case()) >= len(expected)), timeout=60)
    mails = mails_of_case()
    assert len(mails) == len(expected)
    for mail in mails:
        assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
        assert company["name"] not in mail.as_string() and company["kvk_number"] not in mail.as_string()

    after = await eventually(lambda: asyncio.to_thread(lambda: (c := system.counts())["match-proposed"]
                                                       > before["match-proposed"] and c), timeout=30)
    assert after["lead-registered"] == before["lead-registered"] + 1
    assert after["case-opened"] == before["case-opened"] + 1
    assert after["match-proposed"] == before["match-proposed"] + 1


async def test_invalid_lead_is_dead_lettered_and_the_pipeline_carries_on(system, infra, topic_prefix):
    bad = lead_payload()
    bad["data"]["company"]["kvk_number"] = "12AB"
    good = lead_payload()
    await produce(infra.kafka, f"{topic_prefix}lead-signalled", [json.dumps(bad).encode(), json.dumps(good).encode()])
    dead = await eventually(lambda: _dead_letter_for(infra, topic_prefix, bad["id"]), timeout=30)
    assert dead is not None
    reason = dict(dead.headers)["dlq-reason"].decode()
    assert reason.startswith("data.company.kvk_number:")
    assert await eventually(lambda: _case_for(infra, topic_prefix, good["data"]["reference"]), timeout=30)


async def _case_for(infra, prefix, reference, organisation="oost-nl"):
    """The case-opened event for a lead, found by the lead id intake derives from (organisation, reference)."""
    wanted = lead_id(organisation, reference)
    for r in await collect(infra.kafka, f"{prefix}case-opened", until=10**6, timeout=1):
        evt = CaseOpened.from_json(r.value)
        if evt.data.lead_id == wanted:
            return evt
    return None


async def _proposal_for(infra, prefix, case_id):
    for r in await collect(infra.kafka, f"{prefix}match-proposed", until=10**6, timeout=1):
        evt = MatchProposed.from_json(r.value)
        if evt.data.case_id == case_id:
            return evt
    return None


async def _dead_letter_for(infra, prefix, event_id):
    for r in await collect(infra.kafka, f"{prefix}lead-signalled.dlq", until=10**6, timeout=1):
        if event_id.encode() in r.value:
            return r
    return None
