"""Facts get their sequence numbers in commit order, so a reader's "newest seq" watermark never skips one."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from services.reporting import repository
from services.reporting.domain.facts import fact_of
from services.reporting.orm import fact
from services.reporting.synthetic import lead_registered

pytestmark = pytest.mark.integration


@pytest.fixture
def sessions(reporting_sessions):
    return reporting_sessions


async def test_a_later_commit_never_gets_an_earlier_seq(sessions):
    first, second = (fact_of(e) for e in (_event(), _event()))
    committed: list = []
    slow = sessions()
    await slow.begin()
    await repository.add_facts(slow, [first])  # inserted first, committed last

    async def quick():
        async with sessions() as session, session.begin():
            await repository.add_facts(session, [second])
        committed.append(second.event_id)

    racing = asyncio.create_task(quick())
    await asyncio.sleep(0.5)
    await slow.commit()
    committed.append(first.event_id)
    await slow.close()
    await racing
    async with sessions() as session:
        by_seq = (await session.execute(select(fact.c.event_id).order_by(fact.c.seq))).scalars().all()
    assert by_seq == committed


def _event():
    return lead_registered(datetime(2026, 3, 1, tzinfo=UTC), company=uuid.uuid4().hex)
