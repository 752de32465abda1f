"""Facts get their sequence numbers in commit order, so a reader's "newest seq" watermark never skips one."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from deploy.databases import create_database, drop_database
from services.reporting import repository
from services.reporting.domain.facts import fact_of
from services.reporting.orm import fact
from services.reporting.synthetic import lead_registered
from shared.db import make_engine, make_sessionmaker

pytestmark = pytest.mark.integration


@pytest.fixture
async def sessions(infra, run_id):
    name = f"groeiruimte_test_{run_id}_reporting_order_{uuid.uuid4().hex[:6]}"
    url = await create_database(infra.database_url, name, services=["reporting"])
    engine = make_engine(url, pool_size=3)
    yield make_sessionmaker(engine)
    await engine.dispose()
    await drop_database(infra.database_url, name)


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
