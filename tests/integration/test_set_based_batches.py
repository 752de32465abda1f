"""One set-based transaction per batch: a batch of N events costs the same number of SQL statements as a batch
of two, on real PostgreSQL, through the consumer runtime's BatchApplier as production runs it."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import replace

import pytest
from aiokafka.structs import ConsumerRecord
from sqlalchemy import event, func, select

from services.matching import orm as matching_orm
from services.matching.bootstrap import bootstrap as matching_bootstrap
from services.matching.config import MatchingSettings
from tests.factories import case_opened_event, demand

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
_OFFSETS = itertools.count()


@contextlib.contextmanager
def statements(engine) -> Iterator[list[str]]:
    """The SQL statements sent to PostgreSQL meanwhile (a multi-row executemany counts once per round trip)."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


def items(events, topic: str) -> list:
    return [(ConsumerRecord(topic, 0, next(_OFFSETS), 0, 0, e.key, e.to_json(), None, 0, 0, []), e)
            for e in events]


async def _no_dead_letters(record, failure, attempts) -> None:
    raise AssertionError(f"dead-lettered: {failure.reason}")


@pytest.fixture
async def matching(infra, run_id):
    from tests.integration.conftest import fresh_sessions

    async with fresh_sessions(infra, run_id, "matching") as sessions:
        deps = matching_bootstrap(MatchingSettings(load_reference_sites=False))
        yield deps, sessions


async def test_a_batch_of_cases_costs_matching_the_same_statements_as_two(matching):
    deps, sessions = matching
    applier = replace(deps.runtime.appliers["matching"], sessions=sessions)
    engine = sessions.kw["bind"]
    counts = []
    for n in (2, 20):
        cases = [case_opened_event(demand=demand(floor_space_m2=1000)) for _ in range(n)]
        with statements(engine) as sent:
            await applier(items(cases, "case-opened"), _no_dead_letters)
        counts.append(len(sent))
    async with sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(matching_orm.case_match))
        queued = await session.scalar(select(func.count()).select_from(matching_orm.outbox))
    assert (stored, queued) == (22, 22)
    assert counts[0] == counts[1], f"statements per batch grow with its size: {counts}"

