"""The regional outlook: open demand against supply per region, constraint and year, from events only."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from services.reporting.domain.facts import fact_of
from services.reporting.outlook.domain import outlook_of
from services.reporting.outlook.views import outlook_view
from services.reporting.synthetic import case_closed, case_opened
from shared.contracts import SiteChanged, SiteChangedData

T0 = datetime(2026, 1, 10, 12, tzinfo=UTC)


def site(at: datetime, site_id: str, **changed) -> SiteChanged:
    return SiteChanged(source="/test", subject=site_id, time=at,
                       data=SiteChangedData(site_id=site_id, changed=changed, changed_by="test"))


def opened(at: datetime, region: str, m2: float, mw: float, by: str, company: str | None = None):
    evt = case_opened(at, case_id=uuid.uuid4(), lead_id=uuid.uuid4(), company=company or uuid.uuid4().hex,
                      signalled_at=at, region=region, demand_types=("floor_space", "energy"))
    need, demand = date.fromisoformat(by), evt.data.demand
    floor = demand.floor_space.model_copy(update={"floor_space_m2": m2, "needed_by": need})
    energy = demand.energy.model_copy(update={"grid_connection_mw": mw, "needed_by": need})
    data = evt.data.model_copy(update={"demand": demand.model_copy(update={"floor_space": floor, "energy": energy})})
    return evt.model_copy(update={"data": data})


def facts(events):
    return [(f.occurred_at, f.topic, f.body) for f in map(fact_of, sorted(events, key=lambda e: e.time))]


def test_demand_meets_supply_by_year_with_planned_space_and_grid_reinforcement():
    events = [site(T0, "zuid-a", region="zuid", floor_space_m2=3000, planned_floor_space_m2=5000,
                   planned_available_from="2027-06-01", grid_mw_available=2.0, grid_reinforcement_date="2028-03-01",
                   grid_mw_after_reinforcement=12.0, name="Campus A"),
              opened(T0 + timedelta(days=1), "zuid", 6000, 8, "2027-09-01"),
              opened(T0 + timedelta(days=2), "zuid", 1000, 1, "2026-12-01")]
    got = {(r.constraint, r.year): r for r in outlook_of(((t, b) for _, t, b in facts(events)), [2026, 2027, 2028])
           if r.region == "zuid"}
    assert got[("floor_space_m2", 2026)].demand == 1000 and got[("floor_space_m2", 2026)].supply == 3000
    assert got[("floor_space_m2", 2027)].gap == 7000 - 8000  # planned space counts from June 2027
    assert got[("grid_mw", 2027)].gap == 9 - 2 and got[("grid_mw", 2028)].gap == 9 - 12  # the reinforcement


def test_a_closed_case_leaves_the_demand_and_a_deleted_site_the_supply():
    case = opened(T0, "oost", 2000, 1, "2027-01-01")
    events = [site(T0, "oost-a", region="oost", floor_space_m2=500), case,
              case_closed(T0 + timedelta(days=5), case_id=case.data.case_id, outcome="stayed", origin="oost"),
              site(T0 + timedelta(days=6), "oost-a", deleted=True)]
    assert outlook_of(((t, b) for _, t, b in facts(events)), [2027]) == []


def test_the_ministry_sees_a_demand_only_from_three_companies_as_a_band_and_as_of_a_half_year_end():
    base = [site(T0, "west-a", region="west", floor_space_m2=10_000)]
    two = [opened(T0 + timedelta(days=i), "west", 2000 + 100 * i, 1, "2027-06-01") for i in range(2)]
    third = [opened(datetime(2026, 8, 1, tzinfo=UTC), "west", 2500, 1, "2027-06-01")]
    stored = facts(base + two + third)
    moments = [date(2026, 6, 30), date(2026, 12, 31)]
    june = {(r.constraint, r.year): r for r in outlook_view(stored, date(2026, 6, 30), "ministry", moments)}
    assert not june[("floor_space_m2", 2027)].released and june[("floor_space_m2", 2027)].demand is None
    assert june[("floor_space_m2", 2027)].supply == 10_000  # supply is public: the catalogue
    autumn = {(r.constraint, r.year): r for r in outlook_view(stored, date(2026, 11, 1), "ministry", moments)}
    assert not autumn[("floor_space_m2", 2027)].released  # a third company arrived, but no release moment yet
    december = {(r.constraint, r.year): r for r in outlook_view(stored, date(2026, 12, 31), "ministry", moments)}
    row = december[("floor_space_m2", 2027)]
    assert row.released and row.demand is None and (row.demand_band.low, row.demand_band.high) == (6600, 6700)
    exact = {(r.constraint, r.year): r for r in outlook_view(stored, date(2026, 11, 1), "coordinator", moments)}
    assert exact[("floor_space_m2", 2027)].demand == 6600
