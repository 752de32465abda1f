"""The fold's rules for each kind of fact, seen through the figures: a case known only from a later fact still
counts, "ever without a proposition" stays true, the first proposal is the first with a site, a relocation's
amount is split by its status, an outcome closes a case, and a lead's update changes its breakdowns."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from services.reporting.domain.facts import fact_of
from services.reporting.domain.projection import figures_from_facts
from services.reporting.synthetic import (
    _envelope,
    case_closed,
    case_opened,
    lead_registered,
    lead_updated,
    match_proposed,
    relocation_realised,
)
from shared.contracts import LeadUpdated

START = datetime(datetime.now(UTC).year - 1, 1, 5, 12, tzinfo=UTC)  # a whole year in the past
AS_OF = date(START.year, 12, 31)


def figures(*events):
    return figures_from_facts([fact_of(e) for e in events], [AS_OF])[AS_OF]


def day(n: int) -> datetime:
    return START + timedelta(days=n)


def test_a_case_known_only_from_its_proposal_or_its_closing_still_counts_in_its_origin_region():
    case_a, case_b = uuid.uuid4(), uuid.uuid4()
    got = figures(match_proposed(day(1), case_id=case_a, origin="zuid", regions=()),
                  case_closed(day(2), case_id=case_b, outcome="stayed", origin="noord"))
    assert got.impact["cases_in_execution"].value == 2
    assert {k: c.value for k, c in got.ecosystem.signalled.items()} == {"zuid": 1, "noord": 1}
    assert {k: c.value for k, c in got.outcomes.items()} == {"stayed": 1}
    assert got.impact["cases_open"].value == 1 and got.no_proposition["cases_now"].value == 1


def test_once_without_a_proposition_a_case_stays_counted_as_ever_without_one():
    case, lead = uuid.uuid4(), uuid.uuid4()
    got = figures(case_opened(day(0), case_id=case, lead_id=lead, company="ref-a", signalled_at=day(0)),
                  match_proposed(day(10), case_id=case, regions=()),
                  match_proposed(day(20), case_id=case, regions=("oost",)),
                  match_proposed(day(30), case_id=case, regions=("oost", "zuid")))
    assert got.no_proposition["cases_now"].value == 0
    assert got.no_proposition["cases_ever"].value == 1


def test_the_time_to_a_proposal_ends_at_the_first_proposal_with_a_site_not_at_a_match_without_one():
    case, lead = uuid.uuid4(), uuid.uuid4()
    got = figures(case_opened(day(0), case_id=case, lead_id=lead, company="ref-a", signalled_at=day(0)),
                  match_proposed(day(10), case_id=case, regions=()),
                  match_proposed(day(20), case_id=case, regions=("oost",)),
                  match_proposed(day(30), case_id=case, regions=("zuid",)))
    assert got.lead_times["case_to_proposal"].histogram == {20: 1}
    assert got.lead_times["case_to_proposal"].mean == 20.0


def test_a_relocations_amount_counts_under_its_own_status_and_the_first_realisation_ends_the_lead_time():
    estimated, verified, lead_a, lead_b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    got = figures(
        case_opened(day(0), case_id=estimated, lead_id=lead_a, company="ref-a", signalled_at=day(0)),
        match_proposed(day(5), case_id=estimated, regions=("zuid",)),
        relocation_realised(day(15), case_id=estimated, origin="oost", destination="zuid", investment=10e6),
        relocation_realised(day(40), case_id=estimated, origin="oost", destination="zuid", investment=12e6),
        case_opened(day(0), case_id=verified, lead_id=lead_b, company="ref-b", signalled_at=day(0)),
        relocation_realised(day(3), case_id=verified, origin="oost", destination="oost", investment=5e6,
                            status="verified"))
    assert got.impact["investment_retained_estimated_eur"].value == 12e6  # the latest word on the amount
    assert got.impact["investment_retained_verified_eur"].value == 5e6
    assert got.impact["investment_retained_eur"].value == 17e6
    assert got.lead_times["proposal_to_realisation"].histogram == {10: 1}


def test_an_outcome_moves_a_case_from_open_to_its_outcome():
    case, lead = uuid.uuid4(), uuid.uuid4()
    opened = case_opened(day(0), case_id=case, lead_id=lead, company="ref-a", signalled_at=day(0))
    assert figures(opened).impact["cases_open"].value == 1
    got = figures(opened, case_closed(day(9), case_id=case, outcome="left-country"))
    assert got.impact["cases_open"].value == 0
    assert {k: c.value for k, c in got.outcomes.items()} == {"left-country": 1}


def test_an_update_changes_the_leads_breakdowns_and_keeps_its_region_unless_it_names_a_new_one():
    lead, other = uuid.uuid4(), uuid.uuid4()
    registered = lead_registered(day(0), company="ref-a", lead_id=lead, region="oost")
    moved = lead_updated(day(5), lead_id=lead, stage="grown-up").data.model_dump(mode="json") | {
        "origin": {"municipality_code": "GM0772", "province": "Noord-Brabant", "region": "zuid"}}
    got = figures(registered, lead_updated(day(3), lead_id=lead, stage="grown-up"),
                  lead_updated(day(4), lead_id=other, stage="startup"))  # a lead never registered: ignored
    assert {k: c.value for k, c in got.breakdowns["leads_by_stage"].items()} == {"grown-up": 1}
    assert {k: c.value for k, c in got.breakdowns["leads_by_origin_region"].items()} == {"oost": 1}
    assert got.impact["leads_in_portfolio"].value == 1
    got = figures(registered, _envelope(LeadUpdated, day(5), str(lead), moved))
    assert {k: c.value for k, c in got.breakdowns["leads_by_origin_region"].items()} == {"zuid": 1}


def test_a_new_scale_up_in_another_region_counts_and_its_hotspot_is_its_destination_municipality():
    moved, stayed = uuid.uuid4(), uuid.uuid4()
    got = figures(
        relocation_realised(day(1), case_id=moved, origin="oost", destination="zuid", investment=1e6,
                            new_scale_up=True),
        relocation_realised(day(2), case_id=stayed, origin="west", destination="west", investment=1e6,
                            new_scale_up=True))  # a scale-up that stayed in its region is not a new one elsewhere
    assert got.impact["new_scale_ups"].value == 1 and got.impact["realised_other_region"].value == 1
    assert {k: c.value for k, c in got.breakdowns["realised_by_origin_region"].items()} == {"oost": 1, "west": 1}
    assert {k: c.value for k, c in got.ecosystem.hotspots.items()} == {"GM0772": 1, "GM0503": 1}


def test_a_relocation_fact_stored_before_facts_named_the_municipality_counts_under_no_hotspot():
    fact = fact_of(relocation_realised(day(1), case_id=uuid.uuid4(), origin="oost", destination="zuid",
                                       investment=1e6))
    del fact.body["destination_municipality"]
    got = figures_from_facts([fact], [AS_OF])[AS_OF]
    assert {k: c.value for k, c in got.ecosystem.hotspots.items()} == {"": 1}
