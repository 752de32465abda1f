"""The ministry's and the coordinator's views of a few hand-made figures: what each may see, worked out by hand.

tests/unit/test_disclosure_attacks.py attacks generated histories; these pin down the views' shape and values.
"""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.disclosure import releases as rel
from services.reporting.disclosure.views import (
    Disclosure,
    csv_rows,
    dimension,
    full_view,
    future_points,
    group_cells,
    multi_valued,
)
from services.reporting.domain.figures import assemble

D1, D2 = date(2026, 6, 30), date(2026, 12, 31)
M = 1e6


def figures(as_of: date, *, leads=5, investment=(3, 350 * M), estimated=(3, 350 * M), verified=(0, 0.0),
            largest=(130 * M, 120 * M), verified_largest=(), regions=None, lead_days=None, more=None):
    """Figures as the projection assembles them from summed contributions ((contributors, amount) per cell)."""
    sums = {("leads", ""): (leads, 0.0), ("cases", ""): (4, 0.0), ("cases_open", ""): (4, 0.0),
            ("investment", ""): investment, ("investment_estimated", ""): estimated,
            ("investment_verified", ""): verified, ("cases_by_origin_region", "oost"): (4, 0.0),
            ("multi_region", ""): (1, 0.0), ("no_proposition_now", ""): (1, 0.0),
            ("bottleneck", "zuid|grid_mw"): (3, 0.0), ("decisions", "accepted"): (2, 0.0)}
    sums |= {("leads_by_origin_region", k): (n, 0.0) for k, n in (regions or {"oost": 3, "zuid": 2}).items()}
    sums |= {("lead_time:signal_to_case", str(d)): (n, float(d * n)) for d, n in (lead_days or {10: 2, 40: 1}).items()}
    sums |= more or {}
    return assemble(as_of, sums, {("investment", ""): largest, ("investment_estimated", ""): largest,
                                  ("investment_verified", ""): verified_largest})


def rows_by_indicator(view):
    return {r.indicator: r for r in view.impact}


def test_the_ministry_sees_headline_counts_exact_with_targets_and_amounts_as_bands():
    now = figures(D1)
    view = Disclosure({D1: now}).publish(now)
    assert view.reader == "ministry" and view.as_of == D1 and view.release_moments == [D1]
    impact = rows_by_indicator(view)
    assert [r.indicator for r in view.impact] == [
        "leads_in_portfolio", "cases_in_execution", "realised_other_region", "new_scale_ups",
        "investment_retained_eur", "investment_retained_estimated_eur", "investment_retained_verified_eur",
        "realised_own_region", "cases_open"]
    leads = impact["leads_in_portfolio"]
    assert (leads.value, leads.suppressed, leads.band) == (5, False, None)
    assert (leads.target_pro_rata, leads.target_2028, leads.share_of_pro_rata) == (14.95, 40, 0.334)
    total = impact["investment_retained_eur"]
    assert total.value is None and (total.band.low, total.band.high) == (350 * M, 360 * M)
    assert total.released_as_of == D1 and total.share_of_pro_rata == round(355 * M / total.target_pro_rata, 3)
    verified = impact["investment_retained_verified_eur"]
    assert (verified.band.low, verified.band.high, verified.target_pro_rata) == (0, 0, None)  # zero: nobody
    assert impact["cases_open"].value == 4 and impact["cases_open"].target_pro_rata is None
    assert "p = 20%" in view.policy and "at least 3 companies" in view.policy


def test_a_breakdown_too_thin_to_show_is_merged_and_a_lead_time_of_three_cases_is_released():
    now = figures(D1)
    view = Disclosure({D1: now}).publish(now)
    (cell,) = view.groups["leads_by_origin_region"].cells
    assert (cell.key, cell.value, cell.members) == (rel.OTHER, 5, ["oost", "zuid"])
    assert view.groups["leads_by_origin_region"].dimension == "region"
    assert [(c.key, c.value) for c in view.groups["bottlenecks"].cells] == [("zuid: grid_mw", 3)]
    time = view.lead_times_days["signal_to_case"]
    assert (time.cases, time.median, time.mean, time.released_as_of) == (3, 10, 20, D1)
    no_cases = view.lead_times_days["case_to_proposal"]  # zero cases stand for nobody: released, empty
    assert (no_cases.cases, no_cases.median, no_cases.mean) == (0, None, None)
    assert view.no_proposition == {"cases_now": 1, "cases_ever": 0} and view.proposal_decisions == {"accepted": 2}
    assert (view.ecosystem.cases, view.ecosystem.multi_region, view.ecosystem.multi_region_share) == (4, 1, 0.25)


def test_a_move_of_one_company_keeps_the_amount_as_last_released_while_counts_move():
    history = {D1: figures(D1), D2: figures(D2, leads=6, investment=(4, 360 * M), estimated=(4, 360 * M))}
    view = Disclosure(history).publish(history[D2])
    impact = rows_by_indicator(view)
    assert impact["leads_in_portfolio"].value == 6
    total = impact["investment_retained_eur"]
    assert (total.band.low, total.band.high, total.released_as_of) == (350 * M, 360 * M, D1)
    assert view.release_moments == [D1, D2]
    earlier = Disclosure(history).publish(figures(date(2026, 3, 1)))
    assert rows_by_indicator(earlier)["investment_retained_eur"].suppressed  # before the first release moment
    assert earlier.release_moments == []


def test_parts_of_an_older_release_are_not_shown_beside_a_newer_total():
    later = figures(D2, investment=(6, 700 * M), estimated=(3, 350 * M), verified=(2, 350 * M),
                    verified_largest=(200 * M, 150 * M))
    view = Disclosure({D1: figures(D1), D2: later}).publish(later)
    impact = rows_by_indicator(view)
    assert impact["investment_retained_eur"].released_as_of == D2
    assert (impact["investment_retained_eur"].band.low, impact["investment_retained_eur"].band.high) == (
        700 * M, 710 * M)
    for part in ("investment_retained_estimated_eur", "investment_retained_verified_eur"):
        assert impact[part].suppressed and impact[part].band is None and impact[part].value is None


def test_amounts_per_rom_are_released_with_their_total_as_bands():
    rom = {("investment_by_destination_rom", "bom"): (3, 350 * M)}
    now = figures(D1, more=rom)
    view = Disclosure({D1: now}).publish(now)
    group = view.amount_groups["investment_by_destination_rom"]
    assert group.released_as_of == D1
    assert [(c.key, c.value, c.band.low, c.band.high) for c in group.cells] == [("bom", None, 350 * M, 360 * M)]
    assert Disclosure({D1: now}).amount_group("investment_by_destination_rom", date(2026, 1, 1)).cells == []


def test_the_coordinator_sees_every_figure_exact_as_of_the_day():
    now = figures(date(2026, 5, 5))
    view = full_view(now)
    impact = rows_by_indicator(view)
    assert view.reader == "coordinator" and view.policy == "unsuppressed" and view.release_moments == []
    assert impact["investment_retained_eur"].value == 350 * M and impact["investment_retained_eur"].band is None
    assert impact["leads_in_portfolio"].target_2028 == 40
    region = view.groups["leads_by_origin_region"]
    assert region.released_as_of == date(2026, 5, 5)
    assert [(c.key, c.value) for c in region.cells] == [("oost", 3), ("zuid", 2)]
    assert view.lead_times_days["signal_to_case"].cases == 3
    assert view.ecosystem.multi_region_share == 0.25


def test_the_csv_holds_what_the_view_shows_and_nothing_else():
    now = figures(D1, lead_days={10: 2, 40: 1})
    rows = csv_rows(Disclosure({D1: now}).publish(now))
    assert ("impact", "leads_in_portfolio", "value", "5") in rows
    assert ("impact", "leads_in_portfolio", "target_pro_rata", "14.95") in rows
    assert ("impact", "investment_retained_eur", "band_low", "350000000") in rows
    assert ("impact", "investment_retained_eur", "band_high", "360000000") in rows
    assert ("impact", "investment_retained_eur", "released_as_of", "2026-06-30") in rows
    assert ("breakdown", "leads_by_origin_region", rel.OTHER, "5") in rows
    assert ("released_as_of", "leads_by_origin_region", "", "2026-06-30") in rows
    span = ("lead_time_days", "signal_to_case")
    assert [r for r in rows if r[:2] == span] == [(*span, "cases", "3"), (*span, "median", "10"), (*span, "mean", "20")]
    assert ("no_proposition", "cases", "cases_now", "1") in rows
    assert ("breakdown", "cases_by_origin_region", "oost", "4") in rows  # four companies: it stands alone
    assert not [r for r in rows if r[1] == "leads_by_origin_region" and r[2] in ("oost", "zuid")]  # merged
    before = csv_rows(Disclosure({D1: now}).publish(figures(date(2026, 3, 1))))
    assert ("impact", "investment_retained_eur", "status", "not released yet") in before


def test_the_future_half_years_carry_only_their_targets():
    (last,) = future_points(date(2028, 1, 15))
    assert (last.period, last.as_of, last.future) == ("2028-H2", date(2028, 12, 31), True)
    assert {r.indicator: (r.value, r.target_pro_rata) for r in last.impact}["leads_in_portfolio"] == (None, 40)
    assert len(future_points(date(2027, 1, 15))) == 3 and future_points(date(2029, 1, 1)) == []


@pytest.mark.parametrize("name, shown_as", [
    ("leads_by_origin_region", "region"), ("realised_by_destination_region", "region"),
    ("cases_by_technology_domain", "domain"), ("no_proposition_by_demand_type", "demand_type"),
    ("cases_by_stage", "stage"), ("proposed_flows", "flow"), ("outcomes", "outcome"),
    ("bottlenecks", "constraint"), ("leads_by_origin_rom", "rom"), ("signalled", "region"),
    ("hotspots_received", "hotspot"), ("decisions", "category"),
])
def test_each_breakdown_names_what_its_merged_cell_holds(name, shown_as):
    assert dimension(name) == shown_as


def test_companies_can_sit_in_several_categories_of_only_some_breakdowns():
    assert all(map(multi_valued, ("cases_by_technology_domain", "leads_by_demand_type", "bottlenecks",
                                  "realised_by_origin_rom", "proposed_flows")))
    assert not any(map(multi_valued, ("leads_by_origin_region", "cases_by_stage", "outcomes", "signalled")))


def test_group_cells_gather_every_count_breakdown_and_leave_amounts_out():
    cells = group_cells(figures(D1, more={("outcomes", "relocated"): (1, 0.0), ("hotspots", "GM0772"): (1, 0.0),
                                          ("no_proposition_by_stage", "scale-up"): (1, 0.0)}))
    assert cells["bottlenecks"]["zuid: grid_mw"].value == 3 and cells["outcomes"]["relocated"].value == 1
    assert cells["hotspots_received"]["GM0772"].value == 1
    assert cells["no_proposition_by_stage"]["scale-up"].value == 1
    assert cells["signalled"]["oost"].value == 4
    assert "cases_by_origin_rom" in cells and not [n for n in cells if n.startswith("investment")]
