"""What reporting keeps of each event: the facts its figures need, and never a company's identity.

A fact is placed by when it happened (the CloudEvent `time`), not when it arrived. A producer's clock can be
wrong: a `time` more than the clock-skew bound after the event's arrival (its Kafka timestamp) is clamped to
the arrival and the fact says so (`clamped`), so a figure never counts something "in the future".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    SiteChanged,
)

DEFAULT_MAX_SKEW = timedelta(minutes=5)
# Before `in_scope` travelled in lead events, the one in-scope reason for not being eligible was the horizon.
_BEYOND_HORIZON = "space first needed by"


@dataclass(frozen=True, slots=True)
class Fact:
    """One event as reporting stores it (a row of the `fact` table)."""

    event_id: UUID
    topic: str
    occurred_at: datetime  # event time, clamped to arrival + skew bound
    subject: str
    body: dict[str, Any]
    arrived_at: datetime | None = None  # the Kafka timestamp (None: unknown, e.g. in pure tests)
    clamped: bool = False  # its `time` lay too far after its arrival

    @property
    def case_id(self) -> str | None:
        """The case this fact tells something about (its entity as a case)."""
        return self.body.get("case_id") if self.topic in CASE_TOPICS else None

    @property
    def company_ref(self) -> str | None:
        """The company whose leads this fact is about (lead-registered, lead-updated)."""
        return self.body.get("company_ref") if self.topic in LEAD_TOPICS else None


def _in_scope(d) -> bool:
    """In scope of the programme (deeptech, not excluded), whatever the horizon of its need."""
    if getattr(d, "in_scope", None) is not None:
        return d.in_scope
    return d.eligible or d.triage_reason.startswith(_BEYOND_HORIZON)


def _demand(demand) -> dict:
    """The quantities and need dates of a demand (for the regional outlook): no company detail beyond them."""
    out: dict[str, Any] = {}
    if demand.floor_space:
        out |= {"floor_space_m2": demand.floor_space.floor_space_m2,
                "cleanroom_m2": demand.floor_space.cleanroom_m2 or 0.0,
                "floor_space_by": demand.floor_space.needed_by.isoformat()}
    if demand.energy:
        out |= {"grid_mw": demand.energy.grid_connection_mw, "grid_by": demand.energy.needed_by.isoformat()}
    return out


# The fields of site-changed the outlook reads: supply, never a company (sites are public places).
SUPPLY_FIELDS = ("region", "available_from", "floor_space_m2", "planned_floor_space_m2", "planned_available_from",
                 "cleanroom_m2", "grid_mw_available", "grid_reinforcement_date", "grid_mw_after_reinforcement",
                 "deleted")


def _site_changed(d) -> dict:
    changed = {k: v for k, v in d.changed.items() if k in SUPPLY_FIELDS}
    if getattr(d, "deleted", False):
        changed["deleted"] = True
    return {"site_id": d.site_id, "changed": changed}


def _lead_registered(d) -> dict:
    return {"lead_id": str(d.lead_id), "company_ref": d.company_ref, "organisation": d.organisation,
            "stage": d.stage.value, "domains": [t.value for t in d.technology_domains],
            "origin_region": d.origin.region.value, "demand_types": list(d.demand_types),
            "eligible": d.eligible, "in_scope": _in_scope(d),
            "case_id": str(d.case_id) if d.case_id else None, "joined_existing_case": d.joined_existing_case}


def _lead_updated(d) -> dict:
    return {"lead_id": str(d.lead_id), "case_id": str(d.case_id) if d.case_id else None,
            "company_ref": getattr(d, "company_ref", None), "organisation": getattr(d, "organisation", None),
            "stage": d.stage.value, "domains": [t.value for t in d.technology_domains],
            "demand_types": d.demand.types(), "eligible": d.eligible, "in_scope": _in_scope(d),
            "origin_region": d.origin.region.value if d.origin else None, "demand": _demand(d.demand)}


def _case_opened(d) -> dict:
    return {"case_id": str(d.case_id), "lead_id": str(d.lead_id), "company_ref": d.company_ref,
            "organisation": d.organisation, "stage": d.stage.value,
            "domains": [t.value for t in d.technology_domains], "origin_region": d.origin.region.value,
            "demand_types": d.demand.types(), "signalled_at": d.signalled_at.isoformat(), "demand": _demand(d.demand)}


def _match_proposed(d) -> dict:
    return {"case_id": str(d.case_id), "origin_region": d.origin_region.value,
            "proposal_regions": [p.region.value for p in d.proposals], "no_proposition": d.no_proposition,
            "blocking": {region: list(constraints) for region, constraints in d.blocking.items()}}


def _relocation_realised(d) -> dict:
    return {"case_id": str(d.case_id), "origin_region": d.origin.region.value,
            "destination_region": d.destination.region.value,
            "destination_municipality": d.destination.municipality_code,
            "investment_retained_eur": d.investment_retained_eur, "investment_status": d.investment_status.value,
            "jobs": d.jobs, "new_scale_up": d.new_scale_up}


def _case_closed(d) -> dict:
    return {"case_id": str(d.case_id), "outcome": d.outcome.value, "origin_region": d.origin_region.value}


def _proposal_decided(d) -> dict:
    return {"case_id": str(d.case_id), "decision": d.decision}


# Events not listed (recipient-replied) are only counted; reporting does not
# read the two that carry a company's name and KvK number at all (IDENTITY_TOPICS).
EXTRACTORS: dict[type[Envelope], Callable[[Any], dict]] = {
    LeadRegistered: _lead_registered, LeadUpdated: _lead_updated, CaseOpened: _case_opened,
    MatchProposed: _match_proposed, RelocationRealised: _relocation_realised, CaseClosed: _case_closed,
    ProposalDecided: _proposal_decided, SiteChanged: _site_changed,
}
PROJECTED_TOPICS = tuple(model.topic for model in EXTRACTORS)
LEAD_TOPICS = ("lead-registered", "lead-updated")
# Facts that tell something about a case (those with a case id in their body; a lead's names the case it is in).
CASE_TOPICS = ("lead-registered", "lead-updated", "case-opened", "match-proposed", "relocation-realised",
               "case-closed")


def placed_at(time: datetime, arrived_at: datetime | None, max_skew: timedelta) -> tuple[datetime, bool]:
    """When a fact counts: its own time, unless that lies more than `max_skew` after its arrival."""
    if arrived_at is not None and time > arrived_at + max_skew:
        return arrived_at, True
    return time, False


def fact_of(evt: Envelope, *, arrived_at: datetime | None = None, max_skew: timedelta = DEFAULT_MAX_SKEW) -> Fact:
    """The fact reporting keeps of an event that arrived at `arrived_at`."""
    extract = EXTRACTORS.get(type(evt))
    occurred, clamped = placed_at(evt.time, arrived_at, max_skew)
    return Fact(event_id=evt.id, topic=evt.topic, occurred_at=occurred, subject=evt.subject,
                body=extract(evt.data) if extract else {}, arrived_at=arrived_at, clamped=clamped)
