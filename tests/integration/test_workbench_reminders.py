"""The daily follow-up mail on real PostgreSQL and a real SMTP server (aiosmtpd) on loopback: exactly one mail per
due reminder per day, however often the job runs, and a failed send is tried again by the next run."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from services.workbench import accounts
from services.workbench import casework_repository as store
from services.workbench.config import WorkbenchSettings
from services.workbench.reminders import send_due_reminders
from shared.db import make_engine, make_sessionmaker, transaction

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
DAY = date(2027, 3, 1)


class Inbox:
    """aiosmtpd handler: keeps every accepted message; refuses every mail while `refusing` (a 451)."""

    def __init__(self) -> None:
        self.messages: list = []
        self.refusing = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refusing:
            return "451 try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def inbox():
    with socket.socket() as s:  # a free loopback port
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture
async def job(database_url, tmp_path, inbox):
    for username, email in (("marit", "marit@example.nl"), ("joost", "joost@example.nl"), ("kees", "")):
        accounts.create(tmp_path / "accounts.json", username=username, name=username.title(), role="coordinator",
                        organisation="taskforce", password="a password long enough", email=email)
    settings = WorkbenchSettings(database_url=database_url, accounts_file=tmp_path / "accounts.json",
                                 smtp_host="127.0.0.1", smtp_port=inbox.port)
    engine = make_engine(database_url, pool_size=4)
    db = make_sessionmaker(engine)

    async def run(today: date = DAY):
        return await send_due_reminders(db, settings, accounts.load(settings.accounts_file), today)

    run.db = db
    yield run
    await engine.dispose()


async def reminder(db, *, due_on: date, owner: str | None, by: str = "marit", text: str = "Offerte nabellen"):
    case_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with transaction(db) as session:
        if owner:
            await store.assign(session, case_id=case_id, owner=owner, by=by, now=now)
        return case_id, await store.add_reminder(session, case_id=case_id, due_on=due_on, text=text, by=by, now=now)


def of(inbox: Inbox, reminder_id: uuid.UUID) -> list:
    return [m for m in inbox.messages if str(reminder_id) in m["Message-ID"]]


async def test_a_due_reminder_is_mailed_to_the_owner_once_a_day_even_when_the_job_runs_twice(job, inbox):
    case_id, due = await reminder(job.db, due_on=DAY, owner="joost")
    _, overdue = await reminder(job.db, due_on=DAY - timedelta(days=3), owner=None, by="marit")  # nobody owns it
    _, later = await reminder(job.db, due_on=DAY + timedelta(days=1), owner="joost")

    first = await job()
    assert first.sent >= 2
    (mail,) = of(inbox, due)
    assert mail["To"].addresses[0].addr_spec == "joost@example.nl"
    assert f"/cases/{case_id}" in mail.get_content() and "Offerte nabellen" in mail.get_content()
    assert "vandaag" in mail.get_content() and "due today" in mail.get_content()  # Dutch first, English below
    (late,) = of(inbox, overdue)
    assert late["To"].addresses[0].addr_spec == "marit@example.nl"  # no owner: whoever set the reminder
    assert "te laat sinds 2027-02-26" in late.get_content()
    assert of(inbox, later) == []

    again, together = await job(), await asyncio.gather(job(), job())  # the same day: twice more, two at once
    assert again.sent == 0 and [r.sent for r in together] == [0, 0]
    assert len(of(inbox, due)) == 1 and len(of(inbox, overdue)) == 1

    await job(DAY + timedelta(days=1))  # the next day: each open reminder once more, the later one now too
    assert len(of(inbox, due)) == 2 and len(of(inbox, later)) == 1


async def test_a_refused_send_is_tried_again_by_the_next_run_and_a_done_reminder_is_not_mailed(job, inbox):
    case_id, refused = await reminder(job.db, due_on=DAY, owner="marit")
    done_case, done = await reminder(job.db, due_on=DAY, owner="marit")
    async with transaction(job.db) as session:
        await store.finish_reminder(session, case_id=done_case, reminder_id=done, by="marit",
                                    now=datetime.now(UTC))
    inbox.refusing = True
    assert (await job()).refused >= 1
    inbox.refusing = False
    await job()
    assert len(of(inbox, refused)) == 1 and of(inbox, done) == []


async def test_an_owner_without_an_address_gets_no_mail_and_is_counted(job, inbox):
    _, silent = await reminder(job.db, due_on=DAY, owner="kees")
    result = await job()
    assert result.no_address >= 1 and of(inbox, silent) == []
