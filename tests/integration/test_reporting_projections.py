"""The incremental projections (real PostgreSQL) equal figures computed from the whole history at once.

A synthetic history arrives in shuffled batches — so most facts are late for some entity, and a case's match
may come before its opening — through the live path (`project_batch`); as of every half-year end the stored
sums must give exactly the figures of the in-memory reference, and a rebuild (`store_history`) into fresh
tables exactly the same rows. Two batches about the same case committing concurrently must not fold it from a
stale view.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from services.reporting.domain.facts import fact_of
from services.reporting.domain.figures import Cell
from services.reporting.domain.periods import programme_periods
from services.reporting.domain.projection import figures_from_facts
from services.reporting.projections import Projections, project_batch
from services.reporting.rebuild import project_stored_facts, store_history
from services.reporting.repository import PROJECTION_LOCK
from services.reporting.synthetic import case_closed, case_opened, history, lead_registered, match_proposed
from services.reporting.synthetic import relocation_realised as realised
from shared.db import transaction
from tests.kafka import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

DATES = [p.end for p in programme_periods()] + [date(2026, 3, 31), date(2029, 12, 31)]


def utc(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


def synthetic_facts(n: int, seed: int) -> list:
    """Facts of a synthetic history; each arrived on time, days later, over a year later (after its half-year
    ended) or with its producer's clock a day ahead (clamped to its arrival)."""
    rng = random.Random(seed)
    delays = [timedelta(0), timedelta(days=2), timedelta(days=400), timedelta(days=-1)]
    return [fact_of(e, arrived_at=e.time + rng.choice(delays)) for e in history(n, seed=seed)]


async def rows(sessions, table: str) -> list:
    async with sessions() as session:
        raw = (await (await session.connection()).get_raw_connection()).driver_connection
        key = "grain, bucket, metric, key" if table == "figure_delta" else "entity, metric, key, since"
        found = await raw.fetch(f"SELECT * FROM reporting.{table} WHERE n <> 0 OR amount <> 0 ORDER BY {key}"
                                if table == "figure_delta" else f"SELECT * FROM reporting.{table} ORDER BY {key}")
        return [tuple(r) for r in found]


async def test_shuffled_live_batches_give_the_figures_of_the_whole_history_and_a_rebuild_the_same_rows(
        reporting_sessions, tmp_path):
    facts = synthetic_facts(1200, seed=21)
    shuffled = random.Random(3).sample(facts, len(facts))
    for start in range(0, len(shuffled), 37):
        async with transaction(reporting_sessions) as session:
            await project_batch(session, shuffled[start:start + 37])
    async with transaction(reporting_sessions) as session:  # a redelivered batch changes nothing
        assert await project_batch(session, shuffled[:37]) == 0

    stored = await Projections(reporting_sessions).figures(DATES)
    assert stored == figures_from_facts(facts, DATES)
    assert stored[date(2028, 12, 31)].impact["cases_in_execution"].value > 100  # the history did count
    assert sum(stored[date(2029, 12, 31)].timing.late_events.values()) > 0
    assert stored[date(2029, 12, 31)].timing.clamped_events > 0
    live = await rows(reporting_sessions, "figure_delta"), await rows(reporting_sessions, "amount_step")

    async with transaction(reporting_sessions) as session:
        raw = (await (await session.connection()).get_raw_connection()).driver_connection
        for table in ("fact", "figure_delta", "amount_step"):
            await raw.execute(f"DELETE FROM reporting.{table}")
        await store_history(session, facts, processes=3)  # the entities folded in three forked workers
    assert (await rows(reporting_sessions, "figure_delta"), await rows(reporting_sessions, "amount_step")) == live
    assert await Projections(reporting_sessions).figures(DATES) == stored


async def test_a_rebuild_from_the_stored_facts_gives_the_live_paths_rows(reporting_sessions):
    facts = synthetic_facts(900, seed=8)
    shuffled = random.Random(5).sample(facts, len(facts))
    for start in range(0, len(shuffled), 41):
        async with transaction(reporting_sessions) as session:
            await project_batch(session, shuffled[start:start + 41])
    live = await rows(reporting_sessions, "figure_delta"), await rows(reporting_sessions, "amount_step")
    figures = await Projections(reporting_sessions).figures(DATES)
    assert figures[date(2028, 12, 31)].impact["investment_retained_eur"].value > 0  # amounts did count
    async with reporting_sessions() as session:
        stored = await session.scalar(text("SELECT count(*) FROM reporting.fact"))

    for processes in (1, 3):  # in this process, and in three workers each reading its own share of the facts
        async with transaction(reporting_sessions) as session:
            raw = (await (await session.connection()).get_raw_connection()).driver_connection
            await raw.execute("UPDATE reporting.figure_delta SET n = n + 1")  # projections gone wrong: replaced
            assert await project_stored_facts(session, processes=processes) == stored == len(facts)
        assert (await rows(reporting_sessions, "figure_delta"),
                await rows(reporting_sessions, "amount_step")) == live, processes
        assert await Projections(reporting_sessions).figures(DATES) == figures
    async with reporting_sessions() as session:  # the facts themselves stay as they were
        assert await session.scalar(text("SELECT count(*) FROM reporting.fact")) == stored


async def test_a_late_fact_changes_its_own_half_year_and_what_its_case_contributed_after_it(reporting_sessions):
    case_id, lead_id, company = uuid.uuid4(), uuid.uuid4(), "ref-late"
    arrived = datetime(2026, 12, 1, tzinfo=UTC)
    on_time = [lead_registered(utc("2025-02-01"), company=company, lead_id=lead_id, case_id=case_id),
               case_opened(utc("2025-02-10"), case_id=case_id, lead_id=lead_id, company=company,
                           signalled_at=utc("2025-02-01")),
               match_proposed(utc("2026-02-01"), case_id=case_id, regions=("zuid",), blocking={}),
               realised(utc("2026-09-01"), case_id=case_id, origin="oost", destination="zuid", investment=9e6)]
    late = match_proposed(utc("2025-04-01"), case_id=case_id, regions=(), blocking={"oost": ["grid_capacity"]})
    async with transaction(reporting_sessions) as session:
        await project_batch(session, [fact_of(e, arrived_at=e.time) for e in on_time])
    projections = Projections(reporting_sessions)
    before = await projections.figures([date(2025, 6, 30), date(2025, 12, 31), date(2026, 12, 31)])
    async with transaction(reporting_sessions) as session:
        await project_batch(session, [fact_of(late, arrived_at=arrived)])
    after = await projections.figures([date(2025, 6, 30), date(2025, 12, 31), date(2026, 12, 31)])

    h1, h2 = after[date(2025, 6, 30)], after[date(2025, 12, 31)]
    assert h1.no_proposition["cases_now"].value == 1 and h1.bottlenecks == {"oost": {"grid_capacity": Cell(1, 1)}}
    assert before[date(2025, 6, 30)].no_proposition["cases_now"].value == 0
    assert h2.no_proposition["cases_ever"].value == 1 and h1.timing.late_events == {"2025-H1": 1}
    # The match of February 2026 still replaced it (the latest match counts), and the first proposal is still
    # that one: the lead time from case to proposal did not change.
    assert after[date(2026, 12, 31)].no_proposition["cases_now"].value == 0
    assert after[date(2026, 12, 31)].lead_times == before[date(2026, 12, 31)].lead_times
    everything = [fact_of(e, arrived_at=e.time) for e in on_time] + [fact_of(late, arrived_at=arrived)]
    assert after == figures_from_facts(everything, after)


async def test_two_batches_about_one_case_committing_at_once_never_fold_it_from_a_stale_view(reporting_sessions):
    case_id, lead_id = uuid.uuid4(), uuid.uuid4()
    opened = fact_of(case_opened(utc("2026-02-01"), case_id=case_id, lead_id=lead_id, company="ref-x",
                                 signalled_at=utc("2026-01-20")))
    matched = fact_of(match_proposed(utc("2026-02-05"), case_id=case_id, regions=("west",)))
    closed = fact_of(case_closed(utc("2026-03-01"), case_id=case_id, outcome="stayed"))
    slow = reporting_sessions()
    await slow.begin()
    await project_batch(slow, [opened])  # holds the projections' lock until it commits

    async def other(fact):
        async with transaction(reporting_sessions) as session:
            await project_batch(session, [fact])

    racing = [asyncio.create_task(other(matched)), asyncio.create_task(other(closed))]

    async def both_wait_for_the_lock():  # rather than read the case as it was before the opening
        async with reporting_sessions() as session:
            waiting = await session.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = :key "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"key": PROJECTION_LOCK})
        return waiting == 2
    assert await eventually(both_wait_for_the_lock, timeout=10)
    await slow.commit()
    await slow.close()
    await asyncio.gather(*racing)
    got = (await Projections(reporting_sessions).figures([date(2026, 12, 31)]))[date(2026, 12, 31)]
    assert got == figures_from_facts([opened, matched, closed], [date(2026, 12, 31)])[date(2026, 12, 31)]
    assert got.impact["cases_in_execution"].value == 1 and got.outcomes["stayed"].value == 1
