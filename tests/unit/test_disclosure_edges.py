"""Edges of the disclosure views and rules that the worked examples left open (found by mutation testing:
each test here fails on a mutant that survived the others)."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.disclosure import releases as rel
from services.reporting.disclosure.rules import band
from services.reporting.disclosure.views import Disclosure, csv_rows, full_view, future_points
from tests.unit.test_disclosure_views import D1, D2, M, figures, rows_by_indicator

ROM = {("investment_by_destination_rom", "bom"): (3, 350 * M)}


@pytest.mark.parametrize("amount, shown", [(1, (1.0, 1.1)), (0.5, (0.5, 0.51))])
def test_amounts_of_a_euro_or_less_still_get_their_band(amount, shown):
    assert band(amount) == pytest.approx(shown)


def test_a_move_is_counted_in_companies_not_in_contributions():
    # (value, contributors): where a company sits in several categories the two differ.
    assert rel.safe_move({"a": (1, 1)}, {"a": (2, 5)}, ["a"], False) is False  # one more company
    assert rel.safe_move({"a": (1, 5)}, {"a": (4, 4)}, ["a"], False) is True  # three more


def test_an_amount_not_released_yet_still_shows_its_target_and_a_released_one_is_not_suppressed():
    history = {D1: figures(D1)}
    before = rows_by_indicator(Disclosure(history).publish(figures(date(2026, 3, 1))))["investment_retained_eur"]
    assert before.suppressed and before.band is None
    assert (before.target_2028, before.share_of_pro_rata) == (1_500_000_000, None) and before.target_pro_rata > 0
    released = rows_by_indicator(Disclosure(history).publish(history[D1]))["investment_retained_eur"]
    assert released.suppressed is False and released.band is not None


def test_an_amount_per_rom_that_appears_only_later_is_released_from_then_on():
    # The total moves by three companies at D2, so amounts may move then.
    later = figures(D2, investment=(6, 700 * M), estimated=(6, 700 * M), more=ROM)
    disclosure = Disclosure({D1: figures(D1), D2: later})
    assert disclosure.amount_group("investment_by_destination_rom", D1).cells == []
    (cell,) = disclosure.amount_group("investment_by_destination_rom", D2).cells
    assert (cell.key, cell.band.low) == ("bom", 350 * M)


def test_a_breakdown_or_lead_time_the_figures_never_had_is_simply_not_released():
    disclosure = Disclosure({D1: figures(D1)})
    assert (disclosure.group("no_such_breakdown", D1).released_as_of, disclosure.group("no_such_breakdown", D1).cells
            ) == (None, [])
    assert disclosure.lead_time("no_such_span", D1).cases is None


def test_a_merged_cell_of_domains_counts_its_largest_member_not_the_sum_of_them():
    # Two domains of two companies each may be the same two companies: their merged cell is not safe.
    domains = {("cases_by_technology_domain", "photonics"): (2, 0.0),
               ("cases_by_technology_domain", "quantum"): (2, 0.0)}
    stages = {("cases_by_stage", "scale-up"): (2, 0.0), ("cases_by_stage", "start-up"): (2, 0.0)}
    now = figures(D1, more=domains | stages)
    disclosure = Disclosure({D1: now})
    assert disclosure.group("cases_by_technology_domain", D1).released_as_of is None
    (merged,) = disclosure.group("cases_by_stage", D1).cells  # a company has one stage: four companies
    assert (merged.key, merged.value) == (rel.OTHER, 4)


def test_the_coordinator_s_view_is_exact_unsuppressed_and_dated_everywhere():
    day = date(2026, 5, 5)
    view = full_view(figures(day, more=ROM))
    assert not any(r.suppressed for r in view.impact)
    leads = rows_by_indicator(view)["leads_in_portfolio"]
    assert leads.share_of_pro_rata == round(5 / leads.target_pro_rata, 3)
    span = view.lead_times_days["signal_to_case"]
    assert (span.cases, span.median, span.mean) == (3, 10, 20)
    group = view.amount_groups["investment_by_destination_rom"]
    assert group.released_as_of == day
    assert [(c.key, c.value, c.band) for c in group.cells] == [("bom", 350 * M, None)]


def test_the_csv_leaves_an_unknown_statistic_empty():
    now = figures(D1)
    rows = csv_rows(Disclosure({D1: now}).publish(now))
    span = ("lead_time_days", "case_to_proposal")
    assert [r for r in rows if r[:2] == span] == [(*span, "cases", "0"), (*span, "median", ""), (*span, "mean", "")]


def test_the_half_year_that_begins_today_is_not_in_the_future_and_future_targets_are_not_suppressed():
    assert future_points(date(2028, 7, 1)) == []
    (last,) = future_points(date(2028, 6, 30))
    assert last.period == "2028-H2" and not any(r.suppressed for r in last.impact)
