"""Figures folded on from a checkpoint equal a full replay of every fact (real PostgreSQL).

A synthetic history is stored as facts; figures are computed (leaving half-year checkpoints and a head), then
more facts arrive — live ones dated after everything, and late ones dated before a checkpoint — and each time
the figures from the checkpoints must be exactly those of a fresh full replay.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest

from services.reporting import repository
from services.reporting.checkpoints import HALF_YEAR_ENDS
from services.reporting.domain.facts import fact_of
from services.reporting.domain.periods import cutoff
from services.reporting.projections import Projections
from services.reporting.synthetic import case_closed, case_opened, history, lead_registered, match_proposed
from services.reporting.synthetic import relocation_realised as realised
from shared.db import transaction

pytestmark = pytest.mark.integration

DATES = [date(2025, 6, 30), date(2025, 12, 31), date(2026, 6, 30), date(2026, 12, 31), date(2027, 6, 30),
         date(2027, 12, 31), date(2028, 6, 30), date(2028, 12, 31), date(2029, 12, 31)]


@pytest.fixture
def sessions(reporting_sessions):
    return reporting_sessions


async def store(sessions, events) -> None:
    async with transaction(sessions) as session:
        await repository.bulk_add_facts(session, [fact_of(e) for e in events])


async def full_replay(sessions, dates):
    """What a fresh process computes: every fact folded from the start."""
    return await Projections(sessions).figures(dates)


def utc(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00")


def corrections_for(case_id: uuid.UUID, company: str, day: str) -> list:
    """A company's whole story on one day: lead, case, match, relocation, closure."""
    lead_id = uuid.uuid4()
    return [lead_registered(utc(day, 9), company=company, lead_id=lead_id, region="noord", case_id=case_id),
            case_opened(utc(day, 10), case_id=case_id, lead_id=lead_id, company=company, region="noord",
                        signalled_at=utc(day, 9)),
            match_proposed(utc(day, 11), case_id=case_id, origin="noord", regions=("zuid",)),
            realised(utc(day, 12), case_id=case_id, origin="noord", destination="zuid", investment=7e6),
            case_closed(utc(day, 12), case_id=case_id, outcome="relocated", origin="noord")]


async def test_figures_from_checkpoints_equal_a_full_replay_after_live_and_late_facts(sessions):
    await store(sessions, history(1500, seed=11))
    projections = Projections(sessions)
    first = await projections.figures(DATES)
    assert first == await full_replay(sessions, DATES)
    assert set(projections.checkpoints.frozen) == set(HALF_YEAR_ENDS)
    assert projections.checkpoints.head.limit == cutoff(DATES[-1])

    # A live fact, dated after every other: folded on from the head, which stays the only thing refolded.
    head = projections.checkpoints.head
    case_id = uuid.uuid4()
    await store(sessions, [case_closed(utc("2029-12-30"), case_id=case_id, outcome="withdrew")])
    live = await projections.figures([date(2029, 12, 31)])
    assert live == await full_replay(sessions, [date(2029, 12, 31)])
    assert projections.checkpoints.head.portfolio is head.portfolio  # the same portfolio, folded on

    # A look at a past date not cached yet is folded on from a half-year checkpoint and leaves the head alone.
    head = projections.checkpoints.head
    past = await projections.figures([date(2027, 3, 31)])
    assert past == await full_replay(sessions, [date(2027, 3, 31)])
    assert projections.checkpoints.head is head

    # Late facts, dated in 2026-H2 (before the checkpoints at the ends of 2026-H2 .. 2028-H2): those stay valid
    # only up to 2026-H1, and every figure still equals a full replay.
    late = corrections_for(uuid.uuid4(), "ref-late-company", "2026-09-15")
    await store(sessions, late)
    corrected = await projections.figures(DATES)
    assert corrected == await full_replay(sessions, DATES)
    assert corrected[date(2026, 12, 31)] != first[date(2026, 12, 31)]  # the late facts did count
    assert corrected[date(2026, 6, 30)] == first[date(2026, 6, 30)]
    assert set(projections.checkpoints.frozen) == set(HALF_YEAR_ENDS)  # rebuilt from the one before it

    # A late fact dated before the latest fact of a checkpoint (same half-year, earlier day) invalidates it and
    # the later ones; the one at the end of 2027 is what the figures are folded on from.
    end_2027, end_2028_h1 = (projections.checkpoints.frozen[HALF_YEAR_ENDS[i]] for i in (5, 6))
    await store(sessions, [realised(utc("2028-01-02"), case_id=case_id, origin="west", destination="oost",
                                    investment=3e6)])
    after = await projections.figures([date(2028, 3, 31), date(2029, 12, 31)])
    assert after == await full_replay(sessions, [date(2028, 3, 31), date(2029, 12, 31)])
    assert projections.checkpoints.frozen[HALF_YEAR_ENDS[5]] is end_2027
    assert projections.checkpoints.frozen[HALF_YEAR_ENDS[6]] is not end_2028_h1


async def test_a_fact_at_the_very_time_of_the_latest_one_folds_after_it_like_a_full_replay(sessions):
    """Same event time, stored later: the fold orders it after (by seq), from a checkpoint as from scratch."""
    case_id = uuid.uuid4()
    moment = utc("2026-03-01")
    await store(sessions, [*history(300, seed=5),
                           realised(moment, case_id=case_id, origin="oost", destination="west", investment=5e6)])
    projections = Projections(sessions)
    await projections.figures([date(2026, 12, 31)])
    await store(sessions, [realised(moment, case_id=case_id, origin="oost", destination="zuid", investment=9e6,
                                    status="verified")])
    again = await projections.figures([date(2026, 12, 31)])
    assert again == await full_replay(sessions, [date(2026, 12, 31)])
    flows = again[date(2026, 12, 31)].breakdowns["realised_flows"]
    assert "oost -> zuid" in flows and flows["oost -> zuid"].companies >= {f"case:{case_id}"}
