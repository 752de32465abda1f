"""Portfolio leads are triaged again as time passes: a need date beyond the horizon comes within it."""

from __future__ import annotations

import asyncio
from datetime import date

import structlog

from services.intake import domain, repository
from services.intake.handlers import Deps, Via, receive_lead
from shared.contracts.events import LeadSignalled, LeadSignalledData

log = structlog.get_logger()
SOURCE = "/groeiruimte/intake/retriage"
VIA = Via(actor="intake (scheduled triage)", channel="schedule")


async def retriage_portfolio(deps: Deps, *, organisation: str | None = None) -> int:
    """Apply today's triage to the leads kept in the portfolio (of one organisation, or all); returns how many
    became eligible. Each goes through the same handler as a submission: case, audit and lead-updated."""
    async with deps.runtime.sessions() as session:
        rows = await repository.portfolio_leads(session, organisation=organisation)
    became = 0
    for row in rows:
        lead = LeadSignalledData.from_stored(row.payload)
        if not domain.triage(lead, today=date.today(), horizon_years=deps.settings.horizon_years).eligible:
            continue
        async with deps.new_unit_of_work() as uow:
            evt = LeadSignalled(source=SOURCE, subject=lead.reference, data=lead)
            outcome = await receive_lead(uow, evt, via=VIA, deps=deps)
            await uow.commit()
        became += outcome.result == "updated"
    if became:
        log.info("portfolio_retriaged", became_eligible=became)
    return became


async def retriage_periodically(deps: Deps) -> None:
    """Worker: retriage_portfolio every INTAKE_RETRIAGE_SECONDS, until cancelled."""
    while True:
        await asyncio.sleep(deps.settings.retriage_seconds)
        try:
            await retriage_portfolio(deps)
        except Exception:  # a passing fault (database restart...): try again next round
            log.exception("portfolio_retriage_failed")
