"""The events intake publishes, built from a lead. Only case-opened's code name and the keyed KvK hash
identify the company outside intake (and lead-registered's keyed name digests, which only reporting can compare
with); consent-granted is the one event that carries its identity, sealed (shared/sealing.py)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.intake.domain import Triage
from shared import sealing
from shared.contracts.events import (
    CaseOpened,
    CaseOpenedData,
    ConsentGranted,
    ConsentGrantedData,
    IdentityErased,
    IdentityErasedData,
    LeadRegistered,
    LeadRegisteredData,
    LeadSignalledData,
    LeadUpdated,
    LeadUpdatedData,
)

SOURCE = "/groeiruimte/intake"


def _likelihood(lead: LeadSignalledData):
    return lead.leaving_risk.likelihood if lead.leaving_risk else None


def case_opened(lead: LeadSignalledData, *, lead_id: UUID, case_id: UUID, code_name: str, company_ref: str,
                signalled_at: str) -> CaseOpened:
    return CaseOpened(source=SOURCE, subject=str(case_id), data=CaseOpenedData(
        case_id=case_id, lead_id=lead_id, code_name=code_name, organisation=lead.organisation,
        company_ref=company_ref, stage=lead.stage, technology_domains=lead.technology_domains,
        origin=lead.location.as_location(), demand=lead.demand, investment_eur=lead.investment_eur,
        investment_status=lead.investment_status, signalled_at=signalled_at))


def lead_registered(lead: LeadSignalledData, *, lead_id: UUID, company_ref: str, name_digests: frozenset[str],
                    verdict: Triage, case_id: UUID | None, joined: bool, signalled_at: datetime) -> LeadRegistered:
    # The lead happened when the ROM signalled it, not when intake got to it: reporting places it by this time.
    return LeadRegistered(source=SOURCE, subject=str(lead_id), time=signalled_at, data=LeadRegisteredData(
        lead_id=lead_id, organisation=lead.organisation, company_ref=company_ref, stage=lead.stage,
        technology_domains=lead.technology_domains, origin=lead.location.as_location(),
        demand_types=tuple(lead.demand.types()),
        investment_eur=lead.investment_eur, investment_status=lead.investment_status, eligible=verdict.eligible,
        triage_reason=verdict.reason, case_id=case_id, joined_existing_case=joined,
        organisation_kind=lead.organisation_kind, life_phase=lead.life_phase, leaving_likelihood=_likelihood(lead),
        in_scope=verdict.in_scope, name_digests=tuple(sorted(name_digests))))


def lead_updated(lead: LeadSignalledData, *, lead_id: UUID, case_id: UUID | None, verdict: Triage,
                 changed: tuple[str, ...], company_ref: str) -> LeadUpdated:
    return LeadUpdated(source=SOURCE, subject=str(lead_id), data=LeadUpdatedData(
        lead_id=lead_id, case_id=case_id, stage=lead.stage, technology_domains=lead.technology_domains,
        demand=lead.demand, investment_eur=lead.investment_eur, investment_status=lead.investment_status,
        eligible=verdict.eligible, triage_reason=verdict.reason, changed=changed,
        origin=lead.location.as_location(), life_phase=lead.life_phase, leaving_likelihood=_likelihood(lead),
        in_scope=verdict.in_scope, company_ref=company_ref, organisation=lead.organisation))


def consent_granted(lead: LeadSignalledData, *, case_id: UUID, key_id: UUID, key: bytes) -> ConsentGranted:
    """The identity sealed with the case's own key: erasure destroys the key, and with it every copy in Kafka."""
    sealed = sealing.seal(key, key_id=key_id, case_id=case_id, company_name=lead.company.name,
                          kvk_number=lead.company.kvk_number)
    return ConsentGranted(source=SOURCE, subject=str(case_id), data=ConsentGrantedData(case_id=case_id,
                                                                                       identity=sealed))


def identity_erased(*, case_id: UUID | None, lead_ids: list[UUID], requested_by: str) -> IdentityErased:
    return IdentityErased(source=SOURCE, subject=str(case_id or lead_ids[0]), data=IdentityErasedData(
        case_id=case_id, lead_ids=tuple(lead_ids), requested_by=requested_by))
