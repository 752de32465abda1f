"""The outlook's fold, step by step on plain event bodies: what a site offers by a date, which needs count where."""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.outlook.domain import Outlook, Row, outlook_of, rows, supply_by

END_2027 = date(2027, 12, 31)
SITE = {"region": "zuid", "floor_space_m2": 3000, "planned_floor_space_m2": 5000,
        "planned_available_from": "2027-06-01", "cleanroom_m2": 400, "grid_mw_available": 2.0,
        "grid_reinforcement_date": "2028-03-01", "grid_mw_after_reinforcement": 12.0}


@pytest.mark.parametrize("constraint, end, offered", [
    ("floor_space_m2", date(2026, 12, 31), 3000.0), ("floor_space_m2", date(2027, 6, 1), 8000.0),
    ("cleanroom_m2", END_2027, 400.0),
    ("grid_mw", END_2027, 2.0), ("grid_mw", date(2028, 3, 1), 12.0),
])
def test_a_site_offers_what_it_has_plus_what_is_planned_by_then(constraint, end, offered):
    assert supply_by(SITE, constraint, end) == offered


def test_a_site_offers_nothing_before_it_is_available_and_from_that_day_on():
    later = SITE | {"available_from": "2027-01-01T00:00:00Z"}
    assert [supply_by(later, c, date(2026, 12, 31)) for c in ("floor_space_m2", "cleanroom_m2", "grid_mw")] == [0, 0, 0]
    assert supply_by(later, "floor_space_m2", date(2027, 1, 1)) == 3000.0


def test_a_reinforcement_never_lowers_the_grid_and_missing_quantities_are_zero():
    assert supply_by({"grid_mw_available": 5.0, "grid_reinforcement_date": "2027-01-01",
                      "grid_mw_after_reinforcement": 3.0}, "grid_mw", END_2027) == 5.0
    assert supply_by({"grid_reinforcement_date": "2027-01-01"}, "grid_mw", END_2027) == 0.0
    assert supply_by({"planned_floor_space_m2": 100}, "floor_space_m2", END_2027) == 0.0  # planned, but when?
    assert supply_by({"planned_available_from": "2027-01-01"}, "floor_space_m2", END_2027) == 0.0
    assert supply_by({"available_from": "not a date", "cleanroom_m2": 10}, "cleanroom_m2", END_2027) == 10.0


def case(case_id="c1", region="zuid", company="ref-1", **demand) -> dict:
    return {"case_id": case_id, "lead_id": f"lead-{case_id}", "origin_region": region, "company_ref": company,
            "demand": demand}


def fold(*facts) -> Outlook:
    state = Outlook()
    for topic, body in facts:
        state.apply(topic, body)
    return state


def test_a_need_counts_each_quantity_only_with_its_date():
    state = fold(("case-opened", case(floor_space_m2=1000, cleanroom_m2=200, floor_space_by="2027-05-01",
                                      grid_mw=3, grid_by="2028-01-01T10:00:00+01:00")),
                 ("case-opened", case("c2", floor_space_m2=500, grid_mw=2, grid_by="someday")),
                 ("case-opened", case("c3", floor_space_m2=0, floor_space_by="2027-05-01")))
    assert state.needs["c1"].amounts == {"floor_space_m2": (1000.0, date(2027, 5, 1)),
                                         "cleanroom_m2": (200.0, date(2027, 5, 1)),
                                         "grid_mw": (3.0, date(2028, 1, 1))}
    assert state.needs["c2"].amounts == {} and state.needs["c3"].amounts == {}


def test_a_case_takes_over_its_leads_need_and_a_closed_case_never_counts_again():
    lead = {"lead_id": "L", "origin_region": "oost", "company_ref": "ref-9",
            "demand": {"floor_space_m2": 100, "floor_space_by": "2027-01-01"}}
    state = fold(("lead-updated", lead))
    assert set(state.needs) == {"lead:L"} and state.needs["lead:L"].company == "ref-9"
    opened = case("c1", region="oost", company="ref-9", floor_space_m2=100, floor_space_by="2027-01-01") | {
        "lead_id": "L"}
    state.apply("case-opened", opened)
    assert set(state.needs) == {"c1"}
    state.apply("case-closed", {"case_id": "c1"})
    state.apply("lead-updated", opened)  # a late update of the closed case
    assert state.needs == {} and state.closed == {"c1"}
    state.apply("relocation-realised", {"case_id": "c2"})
    state.apply("case-opened", case("c2", floor_space_m2=5, floor_space_by="2027-01-01"))
    assert state.needs == {}


def test_an_update_keeps_the_region_and_company_it_does_not_repeat():
    state = fold(("case-opened", case(floor_space_m2=100, floor_space_by="2027-01-01")),
                 ("lead-updated", {"case_id": "c1", "demand": {"floor_space_m2": 300, "floor_space_by": "2027-01-01"}}))
    need = state.needs["c1"]
    assert (need.region, need.company, need.amounts["floor_space_m2"][0]) == ("zuid", "ref-1", 300.0)


def test_a_need_with_no_region_known_is_left_out_and_a_company_defaults_to_its_key():
    state = fold(("lead-updated", {"lead_id": "L", "demand": {"floor_space_m2": 1, "floor_space_by": "2027-01-01"}}),
                 ("case-opened", {"case_id": "c5", "origin_region": "west", "demand": {}}),
                 ("case-opened", {"case_id": "c6", "origin_region": "west"}))  # no demand at all: nothing to fold
    assert set(state.needs) == {"c5"} and state.needs["c5"].company == "c5"


def test_site_changes_merge_and_a_deletion_removes_the_site():
    state = fold(("site-changed", {"site_id": "s", "changed": {"region": "zuid", "floor_space_m2": 10}}),
                 ("site-changed", {"site_id": "s", "changed": {"floor_space_m2": 20, "cleanroom_m2": 5}}),
                 ("site-changed", {"site_id": "t", "changed": {"region": "oost"}}),
                 ("site-changed", {"site_id": "t", "changed": {"deleted": True}}),
                 ("site-changed", {"site_id": "never-seen", "changed": {"deleted": True}}))
    assert state.sites == {"s": {"region": "zuid", "floor_space_m2": 20, "cleanroom_m2": 5}}


def test_rows_sum_per_company_by_year_end_with_the_two_largest_and_leave_out_empty_cells():
    facts = [("site-changed", {"site_id": "s", "changed": {"region": "zuid", "floor_space_m2": 1000}}),
             ("case-opened", case("c1", company="A", floor_space_m2=400, floor_space_by="2027-03-01")),
             ("case-opened", case("c2", company="A", floor_space_m2=100, floor_space_by="2027-12-31")),
             ("case-opened", case("c3", company="B", floor_space_m2=300, floor_space_by="2027-06-01")),
             ("case-opened", case("c4", company="C", floor_space_m2=50, floor_space_by="2027-06-01")),
             ("case-opened", case("c5", company="D", floor_space_m2=999, floor_space_by="2028-01-01")),
             ("case-opened", case("c6", region="noord", company="E", grid_mw=4, grid_by="2027-01-01"))]
    got = outlook_of(facts, [2027])
    assert got == [Row("noord", "grid_mw", 2027, 4.0, 1, (4.0,), 0.0),
                   Row("zuid", "floor_space_m2", 2027, 850.0, 3, (500.0, 300.0), 1000.0)]
    assert got[1].gap == -150.0
    assert [(r.region, r.year, r.demand) for r in outlook_of(facts, [2028]) if r.constraint == "floor_space_m2"] == [
        ("zuid", 2028, 1849.0)]


def test_a_region_with_only_supply_or_only_a_site_without_region_shows_what_it_has():
    state = fold(("site-changed", {"site_id": "s", "changed": {"region": "west", "cleanroom_m2": 10}}),
                 ("site-changed", {"site_id": "x", "changed": {"floor_space_m2": 10}}))
    assert rows(state, [2026, 2027]) == [Row("west", "cleanroom_m2", 2026, 0.0, 0, (), 10.0),
                                         Row("west", "cleanroom_m2", 2027, 0.0, 0, (), 10.0)]
