"""The raw figures from the seed's definitions: event time and its skew bound, leads ever in scope, credit per ROM,
the ecosystem view (flows, cases across regions, hotspots), lead-time statistics and report dates."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from services.intake import messages
from services.intake.domain import triage
from services.reporting.domain.facts import fact_of
from services.reporting.domain.figures import Cell, Stat
from services.reporting.domain.periods import parse_period, report_date
from services.reporting.domain.projection import figures_from_facts
from services.reporting.synthetic import case_opened, lead_registered, lead_updated, match_proposed
from services.reporting.synthetic import relocation_realised as realised
from tests.factories import demand, lead_event

END_2026 = date(2026, 12, 31)


def utc(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


def figures(events, *, on: date = END_2026, arrived: dict | None = None):
    facts = [fact_of(e, arrived_at=(arrived or {}).get(e.id)) for e in events]
    return figures_from_facts(facts, [on])[on]


def test_an_event_time_beyond_the_skew_bound_after_arrival_is_placed_at_arrival_and_counted():
    arrival = utc("2026-03-01")
    ahead = lead_registered(arrival + timedelta(days=200), company="ref-a")
    within = lead_registered(arrival + timedelta(minutes=4), company="ref-b")
    fact = fact_of(ahead, arrived_at=arrival)
    assert fact.occurred_at == arrival and fact.clamped
    assert not fact_of(within, arrived_at=arrival).clamped
    got = figures([ahead, within], on=date(2026, 3, 1), arrived={ahead.id: arrival, within.id: arrival})
    assert got.impact["leads_in_portfolio"].value == 2  # the clamped lead counts now, not in September
    assert got.timing.clamped_events == 1


def test_a_late_event_counts_in_its_own_half_year_and_is_counted_late_there():
    may = lead_registered(utc("2026-05-10"), company="ref-late")
    got = figures([may], on=date(2026, 6, 30), arrived={may.id: utc("2026-12-01")})
    assert got.impact["leads_in_portfolio"].value == 1
    assert got.timing.late_events == {"2026-H1": 1}


def test_intake_places_a_lead_at_the_time_the_rom_signalled_it_and_says_it_is_in_scope_beyond_the_horizon():
    far = lead_event(demand=demand(floor_space_m2=4000, grid_connection_mw=1.5, needed_by="2035-01-01")).data
    verdict = triage(far, today=date(2026, 12, 1))
    assert not verdict.eligible and verdict.in_scope
    registered = messages.lead_registered(far, lead_id=uuid.uuid4(), company_ref="ref-x", name_digests=frozenset(),
                                          verdict=verdict, case_id=None, joined=False, signalled_at=utc("2026-05-01"))
    assert registered.time == utc("2026-05-01") and registered.data.in_scope is True
    assert not triage(far.model_copy(update={"low_value_production": True}), today=date(2026, 12, 1)).in_scope


def test_leads_in_portfolio_counts_every_company_ever_in_scope_whatever_its_horizon_once():
    beyond = lead_registered(utc("2026-01-10"), company="ref-1", eligible=False)
    beyond = beyond.model_copy(update={"data": beyond.data.model_copy(update={"in_scope": True})})
    out = lead_registered(utc("2026-01-11"), company="ref-2", eligible=False)  # "out of scope"
    twice = [lead_registered(utc("2026-02-01"), company="ref-3", organisation="oost-nl"),
             lead_registered(utc("2026-02-02"), company="ref-3", organisation="bom", region="zuid")]
    dropped_id = uuid.uuid4()
    dropped = [lead_registered(utc("2026-03-01"), company="ref-4", lead_id=dropped_id),
               lead_updated(utc("2026-04-01"), lead_id=dropped_id, eligible=False)]
    old_style = lead_registered(utc("2026-01-12"), company="ref-5", eligible=False)
    old_style = old_style.model_copy(update={"data": old_style.data.model_copy(update={
        "triage_reason": "space first needed by 2031-01-01, beyond the 3-year horizon (2029-01-12)"})})
    got = figures([beyond, out, *twice, *dropped, old_style])
    assert got.impact["leads_in_portfolio"] == Cell(4, 4)  # ref-1, ref-3 once, ref-4 (ever), ref-5
    assert got.credit["leads_by_origin_rom"] == {"bom": Cell(1, 1), "oost-nl": Cell(4, 4)}
    assert got.breakdowns["leads_by_origin_region"] == {"oost": Cell(4, 4), "zuid": Cell(1, 1)}


def test_credit_goes_to_every_origin_rom_and_to_the_rom_of_the_destination_region():
    case_id, lead_id = uuid.uuid4(), uuid.uuid4()
    events = [lead_registered(utc("2026-01-05"), company="ref-c", lead_id=lead_id, case_id=case_id),
              case_opened(utc("2026-01-10"), case_id=case_id, lead_id=lead_id, company="ref-c",
                          signalled_at=utc("2026-01-05")),
              lead_registered(utc("2026-01-20"), company="ref-c", case_id=case_id, organisation="bom",
                              region="zuid", joined=True),
              match_proposed(utc("2026-02-01"), case_id=case_id, regions=("west", "midden")),
              realised(utc("2026-06-01"), case_id=case_id, origin="oost", destination="west", investment=40e6)]
    got = figures(events)
    credit = got.credit
    assert credit["cases_by_origin_rom"] == {"bom": Cell(1, 1), "oost-nl": Cell(1, 1)}
    assert credit["realised_other_region_by_origin_rom"] == {"bom": Cell(1, 1), "oost-nl": Cell(1, 1)}
    assert credit["realised_by_destination_rom"] == {"innovationquarter": Cell(1, 1)}
    assert credit["investment_by_destination_rom"] == {"innovationquarter": Cell(40e6, 1, (40e6,))}
    eco = got.ecosystem
    assert eco.proposed_flows == {"oost -> midden": Cell(1, 1), "oost -> west": Cell(1, 1)}
    assert eco.realised_flows == {"oost -> west": Cell(1, 1)}
    assert eco.multi_region == Cell(1, 1) and eco.multi_region_share == 1.0
    assert eco.hotspots == {"GM0503": Cell(1, 1)}  # the destination municipality (Delft in the synthetic set)


def test_a_case_that_stays_in_its_own_region_is_not_multi_regional_and_amounts_know_their_largest():
    events = []
    for i, amount in enumerate((5e6, 30e6, 12e6)):
        case_id, lead_id = uuid.uuid4(), uuid.uuid4()
        events += [case_opened(utc("2026-01-10"), case_id=case_id, lead_id=lead_id, company=f"ref-{i}",
                               signalled_at=utc("2026-01-01")),
                   match_proposed(utc("2026-02-01"), case_id=case_id, regions=("oost",)),
                   realised(utc("2026-03-01"), case_id=case_id, origin="oost", destination="oost", investment=amount)]
    got = figures(events)
    assert got.ecosystem.multi_region == Cell(0, 0) and got.ecosystem.multi_region_share == 0
    assert got.impact["investment_retained_eur"] == Cell(47e6, 3, (30e6, 12e6))
    assert got.impact["realised_own_region"] == Cell(3, 3)


def test_lead_times_median_from_whole_days_and_mean_exact():
    assert Stat({3: 1, 10: 2}, 23.5).median == 10 and Stat({3: 1, 10: 2}, 23.5).mean == 7.8
    assert Stat({2: 1, 4: 1}, 6.0).median == 3.0 and Stat().median is None and Stat().cases == 0


def test_a_half_year_under_way_is_reported_as_of_today_never_a_later_date():
    december = parse_period("2026-H2")
    assert report_date(december, date(2026, 12, 1)) == date(2026, 12, 1)
    assert report_date(december, date(2027, 1, 5)) == date(2026, 12, 31)
