"""Intake's HTTP use cases: a submission goes through the same validation and handler as a Kafka message,
and the lead, its audit entry and its events commit in one transaction (events via the outbox)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import structlog
from pydantic import ValidationError

from services.intake import domain, messages, repository, views
from services.intake.handlers import JOINED_CASE, Deps, Via, receive_lead
from shared import sealing
from shared.auth import Caller
from shared.contracts.events import LeadSignalled, LeadSignalledData
from shared.db import transaction
from shared.messaging import Rejected

log = structlog.get_logger()


class LeadNotFound(LookupError):
    """No such lead for this organisation (another organisation's lead is "not found" too)."""


class CaseNotFound(LookupError):
    """No such case."""


class ReviewNotFound(LookupError):
    """No open name review with this id."""


class KeyNotFound(LookupError):
    """No identity key with this id."""


class KeyErased(LookupError):
    """The identity key existed and was destroyed by an erasure."""


class InvalidLead(ValueError):
    def __init__(self, errors: list[dict]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['reason']}" for e in errors))
        self.errors = errors


def _event(data: LeadSignalledData, *, channel: str) -> LeadSignalled:
    return LeadSignalled(source=f"/{channel}/{data.organisation}", subject=data.reference, data=data)


async def submit(deps: Deps, data: LeadSignalledData, *, channel: str = "http",
                 dry_run: bool = False) -> tuple[str, views.LeadDetail]:
    """Register or update a lead; returns the outcome and the lead as stored.

    `dry_run`: the same handler decides (so a reference taken by another organisation or a changed KvK number is
    refused as it would be), in a transaction that is rolled back instead of committed: nothing is stored or sent.
    """
    evt = _event(data, channel=channel)
    async with deps.new_unit_of_work() as uow:
        try:
            outcome = await receive_lead(uow, evt, via=Via(f"{data.organisation} ({channel})", channel), deps=deps)
        except Rejected as err:
            raise InvalidLead(views.rejection_error(str(err))) from err
        detail = await _detail(uow.session, outcome.lead_id)
        if not dry_run:
            await uow.commit()
        return outcome.result, detail


def as_lead(organisation: str, body: views.LeadSubmission) -> LeadSignalledData:
    """The caller's submission as a lead of the caller's organisation."""
    if body.organisation not in (None, organisation):
        raise InvalidLead([{"field": "organisation", "reason": f"must be your own organisation ({organisation})"}])
    return LeadSignalledData.model_validate(body.model_dump(mode="json") | {"organisation": organisation})


async def patch(deps: Deps, organisation: str, lead_id: UUID, changes: dict[str, Any]) -> tuple[str, views.LeadDetail]:
    """Apply a JSON merge patch to one of the caller's leads."""
    async with deps.runtime.sessions() as session:
        row = await _own(session, organisation, lead_id)
    for fixed in ("organisation", "reference"):
        if fixed in changes and changes[fixed] != row.payload[fixed]:
            raise InvalidLead([{"field": fixed, "reason": "cannot change; signal a new lead instead"}])
    try:
        data = LeadSignalledData.model_validate(domain.patched_lead(row.payload, changes))
    except ValidationError as err:
        raise InvalidLead(views.field_errors(err)) from err
    return await submit(deps, data)


async def own_leads(deps: Deps, organisation: str, *, limit: int, offset: int,
                    status: views.RomStatus | None = None) -> list[views.LeadSummary]:
    in_case = None if status is None else status == "case-opened"
    async with deps.runtime.sessions() as session:
        rows = await repository.leads_of(session, organisation=organisation, limit=limit, offset=offset,
                                         in_case=in_case)
    return [views.summary(r) for r in rows]


async def own_lead(deps: Deps, organisation: str, lead_id: UUID) -> views.LeadDetail:
    async with deps.runtime.sessions() as session:
        await _own(session, organisation, lead_id)
        return await _detail(session, lead_id)


async def own_audit(deps: Deps, organisation: str, lead_id: UUID) -> list[views.AuditEntry]:
    async with deps.runtime.sessions() as session:
        await _own(session, organisation, lead_id)
        rows = await repository.audit_trail(session, lead_id=lead_id)
    # "joined-case" is the taskforce's record that another lead opened the company's case: not the ROM's to see.
    return [views.AuditEntry(at=r.at, actor=r.actor, channel=r.channel, action=r.action, changes=r.changes)
            for r in rows if r.action != JOINED_CASE]


async def open_reviews(deps: Deps) -> list[views.NameReview]:
    async with deps.runtime.sessions() as session:
        rows = await repository.open_reviews(session)
        ids = {r.lead_id for r in rows} | {r.similar_lead_id for r in rows}
        leads = {r.id: views.reviewed_lead(r) for r in await repository.reviewed_leads(session, lead_ids=ids)}
    return [views.review(r, leads) for r in rows]


async def case_origins(deps: Deps, case_id: UUID) -> views.CaseOrigins:
    async with deps.runtime.sessions() as session:
        found = await repository.get_case(session, case_id=case_id)
        if found is None:
            raise CaseNotFound(case_id)
        rows = await repository.origins(session, case_id=case_id)
    return views.CaseOrigins(case_id=found.id, code_name=found.code_name, opened_at=found.opened_at,
                             origins=[views.Origin(organisation=r.organisation, reference=r.reference,
                                                   lead_id=r.lead_id, joined_at=r.joined_at) for r in rows])


async def taskforce_cases(deps: Deps, *, status: str | None, limit: int,
                          offset: int) -> list[views.TaskforceCase]:
    async with deps.runtime.sessions() as session:
        rows = await repository.cases_with_opening_lead(session, status=status, limit=limit, offset=offset)
    return [views.taskforce_case(r) for r in rows]


async def board_cases(deps: Deps, query: views.BoardQuery) -> views.BoardCases:
    async with deps.runtime.sessions() as session:
        kept, open_cases, rows = await repository.board_cases(session, query)
    return views.BoardCases(kept=kept, open_cases=open_cases, cases=[views.taskforce_case(r) for r in rows])


async def case_dossier(deps: Deps, case_id: UUID) -> views.CaseDossier:
    async with deps.runtime.sessions() as session:
        found = await repository.case_with_opening_lead(session, case_id=case_id)
        if found is None:
            raise CaseNotFound(case_id)
        origins = await repository.origins(session, case_id=case_id)
    lead = LeadSignalledData.from_stored(found.payload)
    return views.CaseDossier(
        case_id=found.id, code_name=found.code_name, opened_at=found.opened_at,
        consent_granted_at=found.consent_granted_at, case_status=views.taskforce_status(found), outcome=found.outcome,
        company=views.CaseCompany(name=lead.company.name, kvk_number=lead.company.kvk_number), lead=lead,
        origins=[views.Origin(organisation=r.organisation, reference=r.reference, lead_id=r.lead_id,
                              joined_at=r.joined_at) for r in origins])


async def decide_review(deps: Deps, decided_by: str, review_id: int,
                        decision: views.ReviewDecision) -> views.NameReview:
    """Close an open name review with a person's finding (who and when are kept on the review).

    Not in the leads' audit trails: their ROMs read those, and must not learn of each other's leads.
    """
    async with transaction(deps.runtime.sessions) as session:
        row = await repository.decide_review(session, review_id=review_id, status=decision.decision,
                                             decided_by=decided_by, note=decision.note)
    if row is None:
        raise ReviewNotFound(review_id)
    return views.review(row)


async def erase_identity(deps: Deps, caller: Caller, lead_id: UUID) -> views.Erasure:
    """Erase the identity of the lead's company on request (GDPR art. 17): in every lead of the company (whichever
    ROM signalled it), their audit trails and the outbox's published copies, and destroy the key that seals it in
    consent-granted, so every copy Kafka keeps is unreadable. identity-erased tells notifications to drop its copy.
    What the figures need stays (the keyed company hash, stage, demand...). A ROM may ask for its own leads,
    the coordinator for any."""
    actor = caller.person or caller.organisation
    async with transaction(deps.runtime.sessions) as session:
        asked = await repository.get_lead(session, lead_id=lead_id)
        if asked is None or (caller.role != "coordinator" and asked.organisation != caller.organisation):
            raise LeadNotFound(lead_id)
        leads = await repository.leads_of_company(session, company_ref=asked.company_ref)
        await repository.erase_leads(session, {r.id: domain.erased_payload(r.payload) for r in leads})
        entries = await repository.audit_entries_of(session, lead_ids=[r.id for r in leads])
        scrubbed = {e.id: c for e in entries if (c := domain.erased_changes(e.changes)) != e.changes}
        await repository.rewrite_audit_changes(session, scrubbed)
        case_id = next((r.case_id for r in leads if r.case_id is not None), None)
        destroyed = case_id is not None and await repository.destroy_identity_key(session, case_id=case_id)
        if case_id is not None:
            await repository.forget_published_consents(session, case_id=case_id)
        evt = messages.identity_erased(case_id=case_id, lead_ids=[r.id for r in leads],
                                       requested_by=caller.organisation)
        for r in leads:
            # Another ROM's lead of the company says only that intake erased it: not who asked.
            await repository.audit(session, lead_id=r.id, actor=actor if r.id == lead_id else "intake",
                                   channel="http" if r.id == lead_id else "intake", action="erased",
                                   event_id=evt.id, changes={})
        await deps.runtime.outbox.add(session, evt)
    log.info("identity_erased", lead_id=str(lead_id), case_id=str(case_id), leads=len(leads), key_destroyed=destroyed)
    return views.Erasure(lead_id=lead_id, key_destroyed=destroyed)


async def identity_key(deps: Deps, key_id: UUID) -> views.IdentityKey:
    async with deps.runtime.sessions() as session:
        row = await repository.identity_key_of(session, key_id=key_id)
    if row is None:
        raise KeyNotFound(key_id)
    if row.key is None:
        raise KeyErased(key_id)
    return views.IdentityKey(key_id=row.key_id, case_id=row.case_id, key=sealing.encode_key(row.key))


async def _own(session, organisation: str, lead_id: UUID):
    row = await repository.get_lead(session, lead_id=lead_id)
    if row is None or row.organisation != organisation:
        raise LeadNotFound(lead_id)
    return row


async def _detail(session, lead_id: UUID) -> views.LeadDetail:
    # No hint of look-alike reviews here: that would tell a ROM another organisation signalled a similar name.
    return views.detail(await repository.lead_with_case(session, lead_id=lead_id))
