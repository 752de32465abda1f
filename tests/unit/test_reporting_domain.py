"""Reporting's pure logic: periods and pro-rata targets, the "as of" fold, disclosure control."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest

from services.reporting.disclosure import releases as rel
from services.reporting.disclosure.views import Disclosure, csv_rows
from services.reporting.domain.facts import Fact, fact_of
from services.reporting.domain.figures import Cell
from services.reporting.domain.periods import cutoff, dutch_today, parse_period, pro_rata_target, programme_periods
from services.reporting.domain.projection import figures_from_facts
from services.reporting.repository import _fact_record
from services.reporting.synthetic import case_opened, lead_registered, match_proposed, relocation_realised
from tests.factories import lead_event


def cell(n: int) -> Cell:
    return Cell(n, n)


def test_half_years_and_their_reporting_moments():
    periods = programme_periods()
    assert [p.name for p in periods][:3] == ["2025-H1", "2025-H2", "2026-H1"] and len(periods) == 8
    assert parse_period("2026-H1").end == date(2026, 6, 30) and parse_period("2026-H2").moment == "December"
    with pytest.raises(ValueError, match="YYYY-H1"):
        parse_period("2026-07")


def test_targets_are_pro_rata_by_day_from_2025_and_complete_at_the_end_of_2028():
    assert pro_rata_target("leads_in_portfolio", date(2028, 12, 31)) == 40
    assert pro_rata_target("cases_in_execution", date(2024, 12, 31)) == 0
    assert pro_rata_target("investment_retained_eur", date(2026, 12, 31)) == pytest.approx(1.5e9 * 730 / 1461)


def test_as_of_a_date_ends_at_midnight_in_the_netherlands():
    assert cutoff(date(2025, 6, 30)).isoformat() == "2025-07-01T00:00:00+02:00"


def test_the_fold_counts_only_what_happened_by_each_date():
    company, lead, case = "ref-a", uuid.uuid4(), uuid.uuid4()
    t = [datetime.fromisoformat(f"2025-{m:02d}-01T12:00:00+00:00") for m in (2, 5, 9)]
    facts = [fact_of(e) for e in (
        lead_registered(t[0], company=company, lead_id=lead, case_id=case),
        case_opened(t[1], case_id=case, lead_id=lead, company=company, signalled_at=t[0]),
        match_proposed(t[2], case_id=case, regions=(), blocking={"zuid": ["grid_capacity"]}))]
    got = figures_from_facts(facts, [date(2025, 3, 1), date(2025, 6, 30), date(2025, 12, 31)])
    assert [got[d].impact["cases_in_execution"].value for d in sorted(got)] == [0, 1, 1]
    assert [got[d].no_proposition["cases_now"].value for d in sorted(got)] == [0, 0, 1]
    assert got[date(2025, 6, 30)].lead_times["signal_to_case"].histogram == {89: 1}
    assert got[date(2025, 6, 30)].lead_times["signal_to_case"].mean == 89.0


def test_reporting_never_keeps_a_company_identity():
    evt = lead_event()
    assert fact_of(evt).body == {}


def test_small_categories_join_the_merged_cell_so_that_no_shown_cell_or_total_reveals_them():
    moment = date(2025, 12, 31)
    released = rel.release_groups([(moment, {"a": (5, 5), "b": (2, 2), "c": (4, 4), "d": (0, 0)})])[-1]
    assert "b" not in released.standalone  # 2 companies: never a cell of its own
    shown = {k: released.values[k] for k in released.standalone}
    assert shown.get("a") == 5 and released.values[rel.OTHER] == sum([5, 2, 4]) - sum(shown.values())
    assert released.values[rel.OTHER] >= 3  # the merged cell, the total minus the visible parts, is safe too


def test_the_ministrys_view_holds_no_company_reference_and_the_csv_only_what_it_shows():
    company, lead, case = "ref-secret", uuid.uuid4(), uuid.uuid4()
    at = datetime.fromisoformat("2025-02-01T12:00:00+00:00")
    events = (lead_registered(at, company=company, lead_id=lead, case_id=case),
              case_opened(at, case_id=case, lead_id=lead, company=company, signalled_at=at),
              relocation_realised(at, case_id=case, origin="oost", destination="zuid", investment=42e6))
    moment = date(2025, 12, 31)
    figures = figures_from_facts(map(fact_of, events), [date(2025, 6, 30), moment])
    view = Disclosure(figures).publish(figures[moment])
    rows = csv_rows(view)
    text = view.model_dump_json() + str(rows)
    assert company not in text and str(case) not in text and str(lead) not in text
    impact = {r.indicator: r for r in view.impact}
    assert impact["leads_in_portfolio"].value == 1  # a national headline count identifies no company
    assert all(not g.cells for g in view.groups.values())  # one company: no breakdown is released
    assert ("impact", "investment_retained_eur", "status", "not released yet") in rows  # one company's amount
    assert not [r for r in rows if "42" in r[3]]


def test_a_relocation_whose_case_opening_was_not_seen_still_counts_and_merges_when_it_arrives():
    company, lead, case = "ref-b", uuid.uuid4(), uuid.uuid4()
    t = [datetime.fromisoformat(f"2025-{m:02d}-01T12:00:00+00:00") for m in (3, 4, 8)]
    moved = relocation_realised(t[1], case_id=case, origin="oost", destination="zuid", investment=5e6)
    opened = case_opened(t[2], case_id=case, lead_id=lead, company=company, signalled_at=t[0])
    got = figures_from_facts(map(fact_of, (moved, opened)), [date(2025, 6, 30), date(2025, 12, 31)])
    assert got[date(2025, 6, 30)].impact["realised_other_region"].value == 1
    late = got[date(2025, 12, 31)]
    assert late.impact["realised_other_region"] == Cell(1, 1)
    assert late.impact["cases_in_execution"].value == 1
    assert late.breakdowns["cases_by_stage"] == {"scale-up": Cell(1, 1)}  # the opening's stage, not "unknown"


def test_a_fact_body_with_an_integer_beyond_64_bits_is_still_stored_as_json():
    """orjson writes the bodies (the rebuild's hot path) but refuses such integers: the standard library takes them."""
    huge = 2**70
    fact = Fact(uuid.uuid4(), "site-changed", datetime.fromisoformat("2026-01-01T12:00:00+00:00"), "site-1",
                {"site_id": "site-1", "changed": {"floor_space_m2": huge}})
    assert json.loads(_fact_record(fact)[4]) == fact.body


def test_today_is_the_dutch_day_even_when_the_server_s_clock_is_still_on_yesterday_in_utc():
    # 23:30 UTC on 1 December is 00:30 on 2 December in the Netherlands: the day's first events count "today".
    assert dutch_today(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)) == date(2026, 12, 2)
    assert dutch_today(datetime(2026, 6, 30, 21, 59, tzinfo=UTC)) == date(2026, 6, 30)  # CEST: 23:59
    assert dutch_today(datetime(2026, 6, 30, 22, 0, tzinfo=UTC)) == date(2026, 7, 1)
