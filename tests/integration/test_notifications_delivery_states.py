"""The delivery state machine on real PostgreSQL: claims with a lease, sending before and sent after each mail."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select, update

from services.notifications import repository
from services.notifications.orm import delivery
from shared.db import transaction

pytestmark = pytest.mark.integration


@pytest.fixture
def sessions(notifications_sessions):
    return notifications_sessions


async def record(sessions, n: int) -> None:
    async with transaction(sessions) as session:
        for i in range(n):
            await repository.add_delivery(session, event_id=uuid.uuid4(), case_id=uuid.uuid4(),
                                          recipient_code="GM0153", email="a@enschede.example",
                                          template="match_proposed", context={"n": i})


async def states(sessions) -> dict[int, str]:
    async with transaction(sessions) as session:
        return dict((await session.execute(select(delivery.c.id, delivery.c.status))).all())


async def claim(sessions, *, lease: float, limit: int = 10):
    token = uuid.uuid4()
    async with transaction(sessions) as session:
        rows = await repository.claim_due(session, limit, claim=token, lease=lease)
    return token, [r["id"] for r in rows]


async def hand_over(sessions, token, *, sent=None, sending=None, lease: float = 30) -> bool:
    async with transaction(sessions) as session:
        return await repository.hand_over(session, sent=sent, sending=sending, claim=token, lease=lease)


async def test_a_claim_holds_its_mails_and_each_is_sending_before_and_sent_after(sessions):
    await record(sessions, 3)
    token, ids = await claim(sessions, lease=30)
    assert len(ids) == 3
    assert (await claim(sessions, lease=30))[1] == []  # held by the first sender's lease
    assert await hand_over(sessions, token, sending=ids[0])
    assert list((await states(sessions)).values()).count("sending") == 1
    assert await hand_over(sessions, token, sent=ids[0], sending=ids[1])
    got = await states(sessions)
    assert (got[ids[0]], got[ids[1]], got[ids[2]]) == ("sent", "sending", "pending")


async def test_after_a_crash_the_mail_of_unknown_fate_goes_again_once_the_lease_ends(sessions):
    await record(sessions, 2)
    dead_sender, ids = await claim(sessions, lease=0.5)
    assert await hand_over(sessions, dead_sender, sending=ids[0], lease=0.5)  # then it dies, 250 or not
    await asyncio.sleep(0.6)  # the lease is the only signal a dead sender gives
    heir, again = await claim(sessions, lease=30)
    assert again == ids
    async with transaction(sessions) as session:
        rows = (await session.execute(select(delivery).where(delivery.c.id.in_(ids)))).mappings().all()
    assert {r["id"]: r["status"] for r in rows} == {ids[0]: "sending", ids[1]: "pending"}
    # The dead sender's claim no longer counts: a late wake-up of it could not mark (and so not send) the mail.
    assert not await hand_over(sessions, dead_sender, sending=ids[1])
    assert await hand_over(sessions, heir, sending=ids[0])


async def test_a_held_digest_takes_no_more_items(sessions):
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC) - timedelta(days=1)
    async def add(case) -> bool:
        async with transaction(sessions) as session:
            return await repository.add_to_digest(session, recipient_code="GM0153", email="a@enschede.example",
                                                  period_start=start, due_at=start, event_id=uuid.uuid4(),
                                                  case_id=case, context={})
    assert await add(uuid.uuid4())
    _, ids = await claim(sessions, lease=30)
    assert len(ids) == 1  # the digest, due at the end of its period
    assert not await add(uuid.uuid4()), "an item added after the sender took the digest would never be mailed"
    async with transaction(sessions) as session:
        await session.execute(update(delivery).values(claim=None))
    assert await add(uuid.uuid4())
