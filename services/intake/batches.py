"""Intake's Kafka batches, set-based: the common case (a new lead of a company with no case and no earlier leads)
costs one statement per table for the whole batch; everything rarer takes the per-lead path in handlers.py.

The outcome is the same as applying the batch's events one after the other (handlers.receive_lead): a lead
whose id or company occurs twice in the batch, a lead already known, a company with a case or with earlier
leads, each goes through receive_lead / register after the set-based part, in the batch's order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID

import structlog

from services.intake import domain, messages
from services.intake.handlers import Deps, _Context, kafka_via, receive_lead
from services.intake.repository import NewLead
from services.intake.unit_of_work import IntakeUnitOfWork
from shared.contracts.envelope import Envelope
from shared.contracts.events import ConsentStatus, LeadSignalled, MatchProposedOutline

log = structlog.get_logger()


@dataclass
class _New:
    """A submission of the batch, the lead id it registers and the case id that lead would open."""

    ctx: _Context
    lead_id: UUID
    case_id: UUID = field(init=False)

    def __post_init__(self) -> None:
        self.case_id = domain.case_id(self.lead_id)


async def receive_signalled_leads(uow: IntakeUnitOfWork, events: list[LeadSignalled], *, deps: Deps) -> None:
    """A batch of lead-signalled events: new leads registered set-based, the rest one by one (same outcome)."""
    deps.activity.note()
    subs = [_New(_Context(uow, deps.settings, kafka_via(evt), evt), _lead_id(evt)) for evt in events]
    lone, crowded = _apart(subs)
    known = await _register_new(uow, lone)
    for sub in known:
        await sub.ctx.update(await uow.leads.lock_lead(lead_id=sub.lead_id))
    for sub in crowded:
        await receive_lead(uow, sub.ctx.evt, via=sub.ctx.via, deps=deps)


async def record_cases_matched(uow: IntakeUnitOfWork, events: list[MatchProposedOutline], *,
                               deps: Deps) -> None:
    """A batch of match-proposed events: each case's latest match, in one statement (in the events' order, so an
    older revision never overwrites a newer one)."""
    deps.activity.note()
    await uow.batches.record_matches([
        dict(case_id=e.data.case_id, revision=e.data.revision, sites=len(e.data.proposals),
             no_proposition=e.data.no_proposition, at=e.time) for e in events])


def _lead_id(evt: LeadSignalled) -> UUID:
    return domain.lead_id(evt.data.organisation, evt.data.reference)


def _apart(subs: list[_New]) -> tuple[list[_New], list[_New]]:
    """Submissions whose lead and company occur once in the batch, and the others (applied one after another)."""
    leads = Counter(s.lead_id for s in subs)
    companies = Counter(s.ctx.ref for s in subs)
    lone = [s for s in subs if leads[s.lead_id] == 1 and companies[s.ctx.ref] == 1]
    return lone, [s for s in subs if not (leads[s.lead_id] == 1 and companies[s.ctx.ref] == 1)]


async def _register_new(uow: IntakeUnitOfWork, subs: list[_New]) -> list[_New]:
    """Insert the batch's leads; register the new ones. Returns the submissions of leads already known."""
    if not subs:
        return []
    inserted = await uow.batches.insert_new_leads(
        [s.ctx.new_lead_row(s.lead_id) for s in subs],
        [dict(lead_id=s.lead_id, actor=s.ctx.via.actor, channel=s.ctx.via.channel, event_id=s.ctx.evt.id,
              changes={"new": s.ctx.payload}) for s in subs])
    new = [s for s in subs if s.lead_id in inserted]
    # Earlier leads of the company join the case it opens: the per-lead path does that.
    plain = [s for s in new if not inserted[s.lead_id]]
    opened = await uow.batches.open_cases([_case_row(s) for s in plain if s.ctx.verdict.eligible])
    with_case = await uow.batches.companies_with_a_case([s.ctx.ref for s in plain if not s.ctx.verdict.eligible])
    placed = [s for s in plain if s.case_id in opened or (not s.ctx.verdict.eligible and s.ctx.ref not in with_case)]
    await _finish(uow, placed, opened)
    rest = {id(s) for s in placed}
    for s in new:
        if id(s) not in rest:  # the company has a case already, or earlier leads: as handlers.receive_lead does
            await s.ctx.register(s.lead_id, NewLead(inserted[s.lead_id]))
    return [s for s in subs if s.lead_id not in inserted]


def _case_row(s: _New) -> dict:
    lead = s.ctx.lead
    return dict(case_id=s.case_id, company_ref=s.ctx.ref, code_name=domain.code_name(s.case_id),
                opened_by=s.lead_id, organisation=lead.organisation, reference=lead.reference)


async def _finish(uow: IntakeUnitOfWork, subs: list[_New], opened: set[UUID]) -> None:
    """What register() does after placing each lead, for the batch at once: consent, events. (Their names wait
    for the look-alike job, look_alikes.py.)"""
    consenting = [s.case_id for s in subs if s.case_id in opened and s.ctx.lead.consent is ConsentStatus.CONSENTED]
    granted = await uow.batches.mark_consents_granted(consenting)
    keys = await uow.batches.new_identity_keys([c for c in consenting if c in granted])
    caused = [(s.ctx.evt, e) for s in subs for e in _events(s, s.case_id in opened, keys.get(s.case_id))]
    await uow.outbox.add_many([e for _, e in caused], caused_by=[cause for cause, _ in caused])


def _events(s: _New, opened: bool, identity_key: tuple[UUID, bytes] | None) -> list[Envelope]:
    """The events of one registered lead, in the order register() emits them; `identity_key`: the sealing key of
    its case when the lead's consent is released now."""
    ctx, lid = s.ctx, s.lead_id
    cid = s.case_id if opened else None
    out: list[Envelope] = []
    if opened:
        out.append(messages.case_opened(ctx.lead, lead_id=lid, case_id=cid, code_name=domain.code_name(cid),
                                        company_ref=ctx.ref, signalled_at=ctx.evt.time.isoformat()))
        log.info("case_opened", lead_id=str(lid), case_id=str(cid))
    out.append(messages.lead_registered(ctx.lead, lead_id=lid, company_ref=ctx.ref, name_digests=ctx.name_digests,
                                        verdict=ctx.verdict, case_id=cid, joined=False, signalled_at=ctx.evt.time))
    if identity_key is not None:
        key_id, key = identity_key
        out.append(messages.consent_granted(ctx.lead, case_id=cid, key_id=key_id, key=key))
        log.info("consent_granted", case_id=str(cid))
    status = "case-opened" if opened else "portfolio"
    log.info("lead_registered", lead_id=str(lid), status=status, reason=ctx.verdict.reason, channel=ctx.via.channel)
    return out
