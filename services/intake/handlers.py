"""What intake does on each event."""

from __future__ import annotations

from datetime import date

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import domain, repository
from services.intake.config import IntakeSettings
from shared.contracts import CaseOpened, CaseOpenedData, LeadSignalled
from shared.runtime import Runtime

log = structlog.get_logger()
SOURCE = "/groeiruimte/intake"


def case_opened_for(evt: LeadSignalled, *, lead_id, company_ref: str) -> CaseOpened:
    lead = evt.data
    case = domain.case_id(lead_id)
    return CaseOpened(source=SOURCE, subject=str(case), data=CaseOpenedData(
        case_id=case, lead_id=lead_id, code_name=domain.code_name(case), organisation=lead.organisation,
        company_ref=company_ref, stage=lead.stage, technology_domains=lead.technology_domains,
        origin=lead.location, demand=lead.demand, investment_eur=lead.investment_eur,
        investment_status=lead.investment_status, signalled_at=evt.time.isoformat()))


async def open_case_for_eligible_lead(session: AsyncSession, evt: LeadSignalled, *, runtime: Runtime,
                                      settings: IntakeSettings) -> None:
    """Store the lead once; when it is eligible, open its case (case-opened via the outbox)."""
    lead = evt.data
    lid = domain.lead_id(lead.organisation, lead.reference)
    ref = domain.company_ref(lead.company.kvk_number, settings.kvk_hash_key.get_secret_value().encode())
    verdict = domain.triage(lead, today=date.today(), horizon_years=settings.horizon_years)
    opened = case_opened_for(evt, lead_id=lid, company_ref=ref) if verdict.eligible else None

    added = await repository.add_lead(
        session, id=lid, organisation=lead.organisation, reference=lead.reference, company_ref=ref,
        payload=lead.model_dump(mode="json"), status="case-opened" if opened else "portfolio",
        triage_reason=verdict.reason, case_id=opened.data.case_id if opened else None,
        source_event_id=evt.id, signalled_at=evt.time)
    if not added:
        log.info("lead_already_known", lead_id=str(lid))
        return
    if opened:
        await runtime.outbox.add(session, opened)
        log.info("case_opened", lead_id=str(lid), case_id=opened.subject)
    else:
        log.info("lead_kept_in_portfolio", lead_id=str(lid), reason=verdict.reason)
