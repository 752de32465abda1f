"""Leads a ROM signals with what it does not know yet (no investment, no province, no technology domain) make
events that every consumer still reads: reporting's facts and figures, matching's scoring."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from services.intake import domain, messages
from services.matching.domain import Catalogue, Weights, case_of, match
from services.matching.domain.sites import Site
from services.matching.repository import reference_sites
from services.reporting.domain.facts import fact_of
from services.reporting.domain.periods import dutch_today
from services.reporting.domain.projection import figures_from_facts
from shared.contracts import EVENT_TYPES
from shared.contracts.events import LeadSignalledData
from tests.factories import intake_lead_payload


def sparse_lead(**data) -> LeadSignalledData:
    raw = intake_lead_payload()["data"] | data
    del raw["investment_eur"], raw["location"]["province"]
    return LeadSignalledData.model_validate(raw)


def events_of(lead: LeadSignalledData) -> list:
    """What intake publishes for a new lead: lead-registered, and case-opened when eligible."""
    lid = domain.lead_id(lead.organisation, lead.reference)
    verdict = domain.triage(lead, today=date.today())
    cid = domain.case_id(lid) if verdict.eligible else None
    ref = "ref-" + lead.reference
    out = [messages.lead_registered(lead, lead_id=lid, company_ref=ref, name_digests=frozenset(), verdict=verdict,
                                    case_id=cid, joined=False, signalled_at=datetime.now(UTC))]
    if cid:
        out.append(messages.case_opened(lead, lead_id=lid, case_id=cid, code_name="Code",
                                        signalled_at="2026-01-01T09:00:00+00:00", company_ref=ref))
        out.append(messages.lead_updated(lead, lead_id=lid, case_id=cid, verdict=verdict, changed=("stage",),
                                         company_ref=ref))
    return out


def test_events_without_investment_or_province_travel_as_none_and_the_derived_province():
    evts = events_of(sparse_lead(technology_domains=["strategic-autonomy"], sector="space"))
    assert [e.topic for e in evts] == ["lead-registered", "case-opened", "lead-updated"]
    for evt in evts:
        again = EVENT_TYPES[evt.topic].from_json(evt.to_json())  # as a consumer parses it off Kafka
        assert again.data.investment_eur is None
        origin = again.data.origin
        assert (origin.municipality_code, origin.province) == ("GM0153", "Overijssel")


def test_reporting_counts_such_leads_and_cases():
    leads = [sparse_lead(), sparse_lead(technology_domains=[], sector="retail"),
             sparse_lead(technology_domains=["strategic-autonomy"], sector="space")]
    facts = [fact_of(evt) for lead in leads for evt in events_of(lead)]
    figures = figures_from_facts(facts, [dutch_today()])[dutch_today()]
    assert figures.impact["cases_in_execution"].value == 2  # the retail lead is turned away
    assert figures.impact["leads_in_portfolio"].value == 2  # and is not in the programme's scope
    assert figures.breakdowns["cases_by_technology_domain"]["strategic-autonomy"].value == 1


def test_matching_scores_a_case_without_investment():
    (case_opened,) = [e for e in events_of(sparse_lead()) if e.topic == "case-opened"]
    sites = [Site.model_validate(row) for row in reference_sites()]
    result = match(case_of(case_opened.data), Catalogue.of(sites), Weights(), top_n=3)
    assert result.proposals or result.blocking
    assert uuid.UUID(str(case_opened.data.case_id))
