"""SIGKILL notifications while it is mailing, restart it: every mail arrives, and a repeat is the same mail.

The one window the design admits: killed after the SMTP server accepted a mail and before the row was marked
sent, that mail goes again after the restart, with the same Message-ID (so a receiving system can drop it).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from services.intake.domain import case_id, lead_id
from services.notifications.config import NotificationsSettings
from services.notifications.domain import load_directory
from shared.contracts import MatchProposed
from tests.chaos.mail_crash import run_mail_crash
from tests.factories import lead_payload
from tests.kafka import collect, eventually, produce
from tests.settle import pipeline_settled

pytestmark = pytest.mark.e2e
LEADS = 60
CODE_BY_EMAIL = {r.email: code for code, r in load_directory(NotificationsSettings().recipients_file).items()}


# The repeated-kill test below attacks the same guarantee harder and in a third of the time; this walk through the
# whole running system is a fault variant (`make fault`).
@pytest.mark.fault
async def test_sigkill_while_mailing_loses_no_mail_and_repeats_only_the_same_mail(system, smtp, infra, topic_prefix,
                                                                                 service_env):
    before = len(smtp.messages)
    leads = [lead_payload() for _ in range(LEADS)]
    ours = {case_id(lead_id(lead["data"]["organisation"], lead["data"]["reference"])) for lead in leads}
    await produce(infra.kafka, f"{topic_prefix}lead-signalled", [json.dumps(lead).encode() for lead in leads],
                  keys=[lead["subject"].encode() for lead in leads])

    async def proposals() -> dict:
        records = await collect(infra.kafka, f"{topic_prefix}match-proposed", until=10**6, timeout=1)
        events = (MatchProposed.from_json(r.value) for r in records)
        return {e.data.code_name: e for e in events if e.data.case_id in ours}

    def our_mails(codes) -> list:
        return [m for m in smtp.messages if m["Subject"].split("case ")[-1] in codes]

    # Tests run one at a time: the next mails are ours. Kill notifications as soon as they start to arrive.
    assert await eventually(lambda: asyncio.sleep(0, len(smtp.messages) > before), timeout=60, interval=0.02)
    system.procs["notifications"].kill()
    at_kill = len(smtp.messages) - before
    # kill() returned once the process was gone: restart at once, as a supervisor would.
    await asyncio.to_thread(system.procs["notifications"].start)

    by_code = await eventually(lambda: _complete(proposals), timeout=60)
    assert by_code and len(by_code) == LEADS, "not every lead was matched"
    expected = {(code, m) for code, e in by_code.items() for m in {p.municipality_code for p in e.data.proposals}}
    await eventually(lambda: asyncio.sleep(0, len({_key(m) for m in our_mails(by_code)}) >= len(expected)),
                     timeout=90)
    # Every mail is sent (or dead) and notifications has handled all proposals: a repeat would be in by now.
    await pipeline_settled(infra.kafka, service_env["DATABASE_URL"], topic_prefix, mails=True)
    mails = our_mails(by_code)
    assert at_kill < len(expected), "the kill came after the last mail"
    assert {_key(m) for m in mails} == expected, "a mail is missing or went to the wrong municipality"
    repeats = Counter(_key(m) for m in mails)
    for key, times in repeats.items():
        ids = {m["Message-ID"] for m in mails if _key(m) == key}
        assert len(ids) == 1, f"{key} was sent {times} times as different mails"


def _key(mail) -> tuple[str, str]:
    return mail["Subject"].split("case ")[-1], CODE_BY_EMAIL[mail["To"].addresses[0].addr_spec]


async def _complete(proposals):
    found = await proposals()
    return found if len(found) == LEADS else None


@pytest.mark.timeout(300)
async def test_repeated_sigkill_while_hundreds_of_mails_flow_repeats_at_most_the_mail_in_flight(infra, artifacts):
    """Each mail is marked `sending` before and `sent` after its own SMTP transaction: a kill repeats at most the
    one mail per connection whose 250 came before its mark, with the same Message-ID; nothing else repeats."""
    result = await run_mail_crash(kafka=infra.kafka, server_url=infra.database_url, mails=200, kills=2,
                                  connections=1, logs=artifacts / "logs")
    assert result.mid_flow == result.kills, "a kill came when no mail was left to send"
    assert result.lost == 0
    assert result.different_mails_same_id == 0
    assert result.repeats <= result.kills, f"{result.repeats} repeats after {result.kills} kills: {result.repeated}"
