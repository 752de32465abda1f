"""What reporting keeps of each event it reads: exactly the fields its figures and the outlook need, and nothing
that names a company (the fact table is reporting's event store, so every field is checked, not only some)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from services.reporting.domain import REPORTED, empty_counts
from services.reporting.domain.facts import SUPPLY_FIELDS, fact_of
from services.reporting.domain.figures import event_counts
from services.reporting.domain.periods import pro_rata_target
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
from shared.contracts import LeadUpdated, ProposalDecided, SiteChanged

NOW = datetime.now(UTC).replace(microsecond=0)
DOMAINS = ("optical-systems-integrated-photonics", "quantum-technologies")
LEAD, CASE = uuid.uuid4(), uuid.uuid4()


def test_a_registered_lead_keeps_its_reference_stage_domains_region_demand_types_and_scope():
    evt = lead_registered(NOW, company="ref-a", lead_id=LEAD, case_id=CASE, region="zuid", joined=True,
                          domains=DOMAINS, demand_types=("floor_space", "talent"))
    assert fact_of(evt).body == {
        "lead_id": str(LEAD), "company_ref": "ref-a", "organisation": "oost-nl", "stage": "scale-up",
        "domains": list(DOMAINS), "origin_region": "zuid", "demand_types": ["floor_space", "talent"],
        "eligible": True, "in_scope": True, "case_id": str(CASE), "joined_existing_case": True}
    alone = fact_of(lead_registered(NOW, company="ref-a", lead_id=LEAD, eligible=False)).body
    assert alone["case_id"] is None and alone["eligible"] is False and alone["in_scope"] is False


def test_an_updated_lead_keeps_its_quantities_and_need_dates_and_what_later_versions_carry():
    evt = lead_updated(NOW, lead_id=LEAD, case_id=CASE, stage="startup", demand_types=("floor_space",))
    assert fact_of(evt).body == {
        "lead_id": str(LEAD), "case_id": str(CASE), "company_ref": None, "organisation": None, "stage": "startup",
        "domains": ["semiconductor-technologies"], "demand_types": ["floor_space"], "eligible": True,
        "in_scope": True, "origin_region": None,
        "demand": {"floor_space_m2": 2000.0, "cleanroom_m2": 0.0, "floor_space_by": "2028-01-01"}}
    data = evt.data.model_dump(mode="json") | {
        "case_id": None, "company_ref": "ref-b", "organisation": "bom", "in_scope": False, "eligible": False,
        "origin": {"municipality_code": "GM0772", "province": "Noord-Brabant", "region": "zuid"},
        "demand": {"energy": {"grid_connection_mw": 4.5, "needed_by": "2029-03-01"},
                   "floor_space": {"floor_space_m2": 900, "cleanroom_m2": 120, "cleanroom_iso_class": 6,
                                   "needed_by": "2028-06-01"}}}
    body = fact_of(_envelope(LeadUpdated, NOW, str(LEAD), data)).body
    assert (body["case_id"], body["company_ref"], body["organisation"], body["in_scope"], body["origin_region"]) \
        == (None, "ref-b", "bom", False, "zuid")
    assert body["demand"] == {"floor_space_m2": 900.0, "cleanroom_m2": 120.0, "floor_space_by": "2028-06-01",
                              "grid_mw": 4.5, "grid_by": "2029-03-01"}
    assert sorted(body["demand_types"]) == ["energy", "floor_space"]


def test_an_opened_case_keeps_when_it_was_signalled_and_its_demand():
    evt = case_opened(NOW, case_id=CASE, lead_id=LEAD, company="ref-a", signalled_at=NOW - timedelta(days=3),
                      region="west", demand_types=("floor_space",))
    assert fact_of(evt).body == {
        "case_id": str(CASE), "lead_id": str(LEAD), "company_ref": "ref-a", "organisation": "oost-nl",
        "stage": "scale-up", "domains": ["semiconductor-technologies"], "origin_region": "west",
        "demand_types": ["floor_space"], "signalled_at": (NOW - timedelta(days=3)).isoformat(),
        "demand": {"floor_space_m2": 2000.0, "cleanroom_m2": 0.0, "floor_space_by": "2028-01-01"}}


def test_a_proposal_keeps_its_regions_and_what_blocked_the_others():
    evt = match_proposed(NOW, case_id=CASE, origin="oost", regions=("oost", "zuid"),
                         blocking={"west": ["grid_capacity", "cleanroom"]})
    assert fact_of(evt).body == {"case_id": str(CASE), "origin_region": "oost",
                                 "proposal_regions": ["oost", "zuid"], "no_proposition": False,
                                 "blocking": {"west": ["grid_capacity", "cleanroom"]}}
    assert fact_of(match_proposed(NOW, case_id=CASE, regions=())).body["no_proposition"] is True


def test_a_relocation_keeps_destination_amount_status_jobs_and_whether_it_is_a_new_scale_up():
    evt = relocation_realised(NOW, case_id=CASE, origin="oost", destination="zuid", investment=42e6,
                              status="verified", new_scale_up=True, jobs=31)
    assert fact_of(evt).body == {
        "case_id": str(CASE), "origin_region": "oost", "destination_region": "zuid",
        "destination_municipality": "GM0772", "investment_retained_eur": 42e6, "investment_status": "verified",
        "jobs": 31, "new_scale_up": True}


def test_a_closed_case_and_a_decided_proposal_keep_only_outcome_and_decision():
    assert fact_of(case_closed(NOW, case_id=CASE, outcome="left-country", origin="noord")).body == {
        "case_id": str(CASE), "outcome": "left-country", "origin_region": "noord"}
    decided = _envelope(ProposalDecided, NOW, str(CASE), {
        "case_id": CASE, "site_id": "site-1", "decision": "declined", "reason": "te ver", "decided_by": "c-1"})
    assert fact_of(decided).body == {"case_id": str(CASE), "decision": "declined"}


def test_a_changed_site_keeps_only_the_supply_fields_and_whether_it_is_gone():
    changed = {"region": "oost", "floor_space_m2": 5000, "name": "Campus X", "contact": "a@b.nl"}
    evt = _envelope(SiteChanged, NOW, "site-1", {"site_id": "site-1", "changed": changed, "changed_by": "x"})
    assert fact_of(evt).body == {"site_id": "site-1", "changed": {"region": "oost", "floor_space_m2": 5000}}
    gone = _envelope(SiteChanged, NOW, "site-1", {"site_id": "site-1", "changed": {"retired": True},
                                                  "changed_by": "x", "deleted": True})
    assert fact_of(gone).body == {"site_id": "site-1", "changed": {"deleted": True}}
    assert "deleted" in SUPPLY_FIELDS and "name" not in SUPPLY_FIELDS


def test_a_fact_is_placed_by_its_own_time_unless_that_lies_beyond_the_skew_bound_after_arrival():
    evt = case_closed(NOW, case_id=CASE, outcome="stayed")
    late = fact_of(evt, arrived_at=NOW + timedelta(days=30))
    assert (late.occurred_at, late.clamped, late.arrived_at) == (NOW, False, NOW + timedelta(days=30))
    early = fact_of(evt, arrived_at=NOW - timedelta(hours=1), max_skew=timedelta(minutes=5))
    assert (early.occurred_at, early.clamped) == (NOW - timedelta(hours=1), True)
    assert (early.event_id, early.topic, early.subject) == (evt.id, "case-closed", str(CASE))


def test_every_event_type_reporting_reads_starts_at_zero_and_the_identities_are_not_among_them():
    counts = empty_counts()
    assert counts == {topic: 0 for topic in REPORTED} and set(counts.values()) == {0}
    assert {"lead-registered", "case-opened", "match-proposed"} <= set(counts)
    assert not {"lead-signalled", "consent-granted", "identity-erased"} & set(counts)


def test_event_counts_are_the_events_cells_only():
    sums = {("events", "case-opened"): (3, 0.0), ("events", "lead-registered"): (5, 0.0),
            ("cases", "total"): (9, 0.0)}
    assert event_counts(sums) == {"case-opened": 3, "lead-registered": 5}


def test_the_target_beside_a_figure_is_the_pro_rata_target_of_its_indicator_and_none_without_one():
    as_of = date(NOW.year, 6, 30)
    figures = figures_from_facts([fact_of(case_closed(NOW, case_id=CASE, outcome="stayed"))], [as_of])[as_of]
    assert figures.target("leads_in_portfolio") == pro_rata_target("leads_in_portfolio", as_of)
    assert figures.target("cases_in_execution") == pro_rata_target("cases_in_execution", as_of)
    assert figures.target("leads_in_portfolio") != figures.target("cases_in_execution")
    assert figures.target("no such indicator") is None
