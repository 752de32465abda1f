"""What reporting keeps of each event: the facts its figures need, and never a company's identity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.contracts import (
    CaseClosed,
    CaseOpened,
    Envelope,
    LeadRegistered,
    LeadUpdated,
    MatchProposed,
    ProposalDecided,
    RelocationRealised,
)


@dataclass(frozen=True, slots=True)
class Fact:
    """One event as reporting stores it (a row of the `fact` table)."""

    event_id: UUID
    topic: str
    occurred_at: datetime
    subject: str
    body: dict[str, Any]


def _lead_registered(d) -> dict:
    return {"lead_id": str(d.lead_id), "company_ref": d.company_ref, "stage": d.stage.value,
            "domains": [t.value for t in d.technology_domains], "origin_region": d.origin.region.value,
            "demand_types": list(d.demand_types), "investment_eur": d.investment_eur,
            "investment_status": d.investment_status.value, "eligible": d.eligible,
            "case_id": str(d.case_id) if d.case_id else None, "joined_existing_case": d.joined_existing_case}


def _lead_updated(d) -> dict:
    return {"lead_id": str(d.lead_id), "case_id": str(d.case_id) if d.case_id else None, "stage": d.stage.value,
            "domains": [t.value for t in d.technology_domains], "demand_types": d.demand.types(),
            "investment_eur": d.investment_eur, "investment_status": d.investment_status.value,
            "eligible": d.eligible}


def _case_opened(d) -> dict:
    return {"case_id": str(d.case_id), "lead_id": str(d.lead_id), "company_ref": d.company_ref,
            "stage": d.stage.value, "domains": [t.value for t in d.technology_domains],
            "origin_region": d.origin.region.value, "demand_types": d.demand.types(),
            "investment_eur": d.investment_eur, "investment_status": d.investment_status.value,
            "signalled_at": d.signalled_at}


def _match_proposed(d) -> dict:
    return {"case_id": str(d.case_id), "origin_region": d.origin_region.value,
            "proposal_regions": [p.region.value for p in d.proposals], "no_proposition": d.no_proposition,
            "blocking": {region: list(constraints) for region, constraints in d.blocking.items()}}


def _relocation_realised(d) -> dict:
    return {"case_id": str(d.case_id), "origin_region": d.origin.region.value,
            "destination_region": d.destination.region.value,
            "investment_retained_eur": d.investment_retained_eur, "investment_status": d.investment_status.value,
            "jobs": d.jobs, "new_scale_up": d.new_scale_up}


def _case_closed(d) -> dict:
    return {"case_id": str(d.case_id), "outcome": d.outcome.value, "origin_region": d.origin_region.value}


def _proposal_decided(d) -> dict:
    return {"case_id": str(d.case_id), "decision": d.decision}


# Events not listed (lead-signalled, consent-granted...) are only counted: their payload may carry a
# company's name and KvK number, which reporting must never hold.
EXTRACTORS: dict[type[Envelope], Callable[[Any], dict]] = {
    LeadRegistered: _lead_registered, LeadUpdated: _lead_updated, CaseOpened: _case_opened,
    MatchProposed: _match_proposed, RelocationRealised: _relocation_realised, CaseClosed: _case_closed,
    ProposalDecided: _proposal_decided,
}
PROJECTED_TOPICS = tuple(model.topic for model in EXTRACTORS)


def fact_of(evt: Envelope) -> Fact:
    """The fact reporting keeps of an event."""
    extract = EXTRACTORS.get(type(evt))
    return Fact(event_id=evt.id, topic=evt.topic, occurred_at=evt.time, subject=evt.subject,
                body=extract(evt.data) if extract else {})
