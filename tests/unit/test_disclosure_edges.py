"""Edges of the disclosure views and rules that the worked examples left open (found by mutation testing:
each test here fails on a mutant that survived the others)."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.disclosure import releases as rel
from services.reporting.disclosure import rules
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


D3 = date(2027, 6, 30)


def test_one_contribution_alone_is_dominant_only_when_the_others_are_under_p_percent_of_it():
    assert rules.dominated(120.0, [100.0]) is False  # the others give exactly 20 % of it
    assert rules.dominated(119.0, [100.0]) is True


def test_the_share_of_multi_region_cases_is_given_to_three_decimals():
    now = figures(D1, more={("cases", ""): (3, 0.0), ("multi_region", ""): (1, 0.0)})
    assert full_view(now).ecosystem.multi_region_share == 0.333


def test_the_coordinator_s_lead_times_are_dated_the_day_they_are_asked_for():
    day = date(2026, 5, 5)
    assert full_view(figures(day)).lead_times_days["signal_to_case"].released_as_of == day


def test_a_category_that_is_gone_from_the_figures_counts_as_empty():
    releases = rel.release_groups([(D1, {"a": (3, 3), "b": (3, 3)}), (D2, {"a": (6, 6)})])
    assert [(r.at, dict(r.values)) for r in releases] == [(D1, {"a": 3, "b": 3}), (D2, {"a": 6, "b": 0})]


def test_a_move_of_domains_spread_over_categories_is_not_released_though_its_sum_would_be():
    # Two and one more in two domains: perhaps two companies, so the merged move is not safe for domains.
    moments = [(D1, {"a": (3, 3), "b": (3, 3)}), (D2, {"a": (5, 5), "b": (4, 4)})]
    assert [r.at for r in rel.release_groups(moments, multi_valued=True)] == [D1]
    assert [(r.at, r.values.get(rel.OTHER)) for r in rel.release_groups(moments)] == [(D1, None), (D2, 9)]


def test_parts_are_released_at_a_later_allowed_moment_and_never_when_one_company_dominates_one():
    ok = (100.0, 3, (40.0, 30.0))
    moments = [(D1, {"estimated": ok}), (D2, {"estimated": ok}), (D3, {"estimated": (300.0, 6, (40.0, 30.0))})]
    assert [r.at for r in rel.release_parts(moments, allowed={D3})] == [D3]
    dominated = [(D1, {"estimated": (100.0, 3, (90.0, 5.0))})]
    assert rel.release_parts(dominated, allowed={D1}) == []


def test_a_statistic_with_more_cases_moves_even_if_its_total_did_not_and_one_unchanged_moment_stops_nothing():
    moved = rel.release_stats([(D1, 3, 30.0, "a"), (D2, 6, 30.0, "b")])
    assert [(r.at, r.cases, r.total) for r in moved] == [(D1, 3, 30.0), (D2, 6, 30.0)]
    later = rel.release_stats([(D1, 3, 30.0, "a"), (D2, 3, 30.0, "b"), (D3, 6, 60.0, "c")])
    assert [r.shown for r in later] == ["a", "c"]


def test_a_merged_category_that_is_gone_from_the_figures_counts_as_empty_in_its_cell():
    # b left: the merged cell would drop by one company, so the breakdown keeps its last release.
    moments = [(D1, {"a": (3, 3), "b": (1, 1), "c": (2, 2)}), (D2, {"a": (3, 3), "c": (2, 2)})]
    releases = rel.release_groups(moments)
    assert [(r.at, dict(r.values), r.merged) for r in releases] == [(D1, {"a": 3, rel.OTHER: 3}, ("b", "c"))]
