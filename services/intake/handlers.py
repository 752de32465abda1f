"""What intake does with a lead, whichever channel (Kafka, HTTP, CSV) it came through.

Use cases take a unit of work (unit_of_work.py) and never commit: the caller that opened it does.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import structlog
from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import domain, messages
from services.intake.config import IntakeSettings
from services.intake.look_alikes import Activity
from services.intake.repository import NewLead
from services.intake.unit_of_work import IntakeUnitOfWork, SqlIntakeUnitOfWork
from shared.contracts.events import (
    CaseClosed,
    ConsentStatus,
    LeadSignalled,
    LeadSignalledData,
    MatchProposed,
    MatchProposedOutline,
)
from shared.messaging import Rejected
from shared.names import name_digests
from shared.runtime import Runtime
from shared.unit_of_work import opened

log = structlog.get_logger()
JOINED_CASE = "joined-case"  # audit action: an earlier lead became an origin of a case another lead opened


@dataclass
class Deps:
    """What every intake use case and handler needs, built once in bootstrap."""

    settings: IntakeSettings
    runtime: Runtime
    # When this process last took in a batch of leads or of case progress: the look-alike job waits for quiet.
    activity: Activity = field(default_factory=Activity)

    def unit_of_work(self, session: AsyncSession) -> SqlIntakeUnitOfWork:
        """The unit of work over a transaction someone else owns (a consumer's batch)."""
        return SqlIntakeUnitOfWork(session, self.runtime.outbox)

    def new_unit_of_work(self) -> AbstractAsyncContextManager[SqlIntakeUnitOfWork]:
        """A unit of work in its own transaction (HTTP, CSV, schedule): commit it, or it rolls back."""
        return opened(self.runtime.sessions, self.unit_of_work)


@dataclass(frozen=True)
class Via:
    """Who submitted a lead and through which channel: the audit trail's "who"."""

    actor: str
    channel: str


@dataclass(frozen=True)
class Outcome:
    lead_id: UUID
    result: str  # registered | updated | unchanged | stale
    case_id: UUID | None = None


@dataclass(frozen=True)
class Placement:
    case_id: UUID | None
    opened: bool = False

    @property
    def status(self) -> str:
        return "portfolio" if self.case_id is None else "case-opened" if self.opened else "case-joined"


async def receive_signalled_lead(session: AsyncSession, evt: LeadSignalled, *, deps: Deps) -> None:
    """Kafka: a lead-signalled event, handled like any other submission (the batch's transaction commits it)."""
    await receive_lead(deps.unit_of_work(session), evt, via=kafka_via(evt), deps=deps)


def kafka_via(evt: LeadSignalled) -> Via:
    """Who a lead that came over Kafka is from: its organisation and the event's source."""
    return Via(actor=f"{evt.data.organisation} ({evt.source})"[:100], channel="kafka")


def refuse_other_organisation(record: ConsumerRecord, evt: LeadSignalled, *, prefix: str) -> None:
    """A lead on organisation X's topic must be X's: X's principal is the only one that can write there."""
    topic_organisation = record.topic.removeprefix(prefix)
    if evt.data.organisation != topic_organisation:
        raise Rejected(f"data.organisation: the lead claims organisation {evt.data.organisation!r}, but it was "
                       f"published on the topic of {topic_organisation!r}", field="data.organisation")


async def record_case_matched(session: AsyncSession, evt: MatchProposed | MatchProposedOutline, *,
                              deps: Deps) -> None:
    """match-proposed: keep the case's latest match so its ROM sees the case's status."""
    await keep_case_matched(deps.unit_of_work(session), evt)


async def record_case_closed(session: AsyncSession, evt: CaseClosed, *, deps: Deps) -> None:
    """case-closed: the case's outcome, for its ROM."""
    await keep_case_closed(deps.unit_of_work(session), evt)


async def keep_case_matched(uow: IntakeUnitOfWork, evt: MatchProposed | MatchProposedOutline) -> None:
    """The case's latest match (an older revision arriving late never overwrites a newer one)."""
    m = evt.data
    await uow.leads.record_match(case_id=m.case_id, revision=m.revision, sites=len(m.proposals),
                                 no_proposition=m.no_proposition, at=evt.time)


async def keep_case_closed(uow: IntakeUnitOfWork, evt: CaseClosed) -> None:
    await uow.leads.record_closed(case_id=evt.data.case_id, outcome=evt.data.outcome, at=evt.time)


async def receive_lead(uow: IntakeUnitOfWork, evt: LeadSignalled, *, via: Via, deps: Deps) -> Outcome:
    """Register a new lead, or apply a changed one; the same lead sent again changes nothing."""
    lead = evt.data
    lid = domain.lead_id(lead.organisation, lead.reference)
    ctx = _Context(uow, deps.settings, via, evt)
    # Insert first: a new lead (the common case) costs one statement, which also reads what registering it needs;
    # a known one is then locked and compared.
    new = await uow.leads.insert_new_lead(**ctx.new_lead_row(lid), audit_as=dict(
        actor=via.actor, channel=via.channel, event_id=evt.id, changes={"new": ctx.payload}))
    if new is not None:
        return await ctx.register(lid, new)
    return await ctx.update(await uow.leads.lock_lead(lead_id=lid))


class _Context:
    """One submission being applied inside one transaction."""

    def __init__(self, uow: IntakeUnitOfWork, settings: IntakeSettings, via: Via, evt: LeadSignalled) -> None:
        self.uow, self.leads, self.settings, self.via, self.evt = uow, uow.leads, settings, via, evt
        self.lead: LeadSignalledData = evt.data
        self.ref = domain.company_ref(self.lead.company.kvk_number, settings.kvk_hash_key.get_secret_value().encode())
        self.name_digests = frozenset(name_digests(self.lead.company.name, settings.name_hash_key.get_secret_value()
                                                   .encode()))
        self.verdict = domain.triage(self.lead, today=date.today(), horizon_years=settings.horizon_years)
        self.payload = self.lead.model_dump(mode="json")

    def new_lead_row(self, lid: UUID) -> dict:
        # An eligible lead is inserted as opening its own case (the common outcome, saving an update after it);
        # register() corrects the row when the company turns out to have a case already.
        opens = self.expected_placement(lid)
        return dict(id=lid, organisation=self.lead.organisation, reference=self.lead.reference,
                    company_ref=self.ref, payload=self.payload, status=opens.status,
                    triage_reason=self.verdict.reason, triage=self.verdict.facts, eligible=self.verdict.eligible,
                    case_id=opens.case_id,
                    source_event_id=self.evt.id, signalled_at=self.evt.time, changed_at=self.evt.time,
                    name_key=domain.name_key(self.lead.company.name))

    def expected_placement(self, lid: UUID) -> Placement:
        return Placement(domain.case_id(lid), opened=True) if self.verdict.eligible else Placement(None)

    async def register(self, lid: UUID, new: NewLead) -> Outcome:
        placed = await self.place_in_case(lid, signalled_at=self.evt.time.isoformat(),
                                          has_unplaced_siblings=new.has_unplaced_siblings)
        if placed != self.expected_placement(lid):
            await self.leads.set_case(lead_id=lid, case_id=placed.case_id, status=placed.status)
        # Its "registered" audit row was written with it (repository.insert_new_lead); its name waits for the
        # look-alike job (look_alikes.py).
        await self.uow.outbox.add(messages.lead_registered(
            self.lead, lead_id=lid, company_ref=self.ref, name_digests=self.name_digests, verdict=self.verdict,
            case_id=placed.case_id,
            joined=placed.case_id is not None and not placed.opened, signalled_at=self.evt.time))
        await self.share_identity_if_consented(placed.case_id)
        log.info("lead_registered", lead_id=str(lid), status=placed.status, reason=self.verdict.reason,
                 channel=self.via.channel)
        return Outcome(lid, "registered", placed.case_id)

    async def update(self, existing) -> Outcome:
        if getattr(existing, "erased_at", None) is not None:
            # Its identity was erased on request: taking this one in would bring the erased identity back.
            raise Rejected("data.reference: this lead's company identity was erased on request; a new signal of "
                           "the company needs a new reference")
        if existing.changed_at and self.evt.time < existing.changed_at:
            log.info("stale_lead_ignored", lead_id=str(existing.id), event_id=str(self.evt.id))
            return Outcome(existing.id, "stale", existing.case_id)
        if (existing.organisation, existing.reference) != (self.lead.organisation, self.lead.reference):
            # Lead ids hash "organisation/reference": "a/b" + "c" and "a" + "b/c" name the same id. Never let
            # one organisation's submission touch another's lead.
            raise Rejected("data.reference: collides with another organisation's lead identifier; use another")
        if existing.company_ref != self.ref:
            raise Rejected("data.company.kvk_number: differs from this lead's KvK number; a lead cannot change "
                           "company, signal it under a new reference")
        changes = domain.changed_fields(existing.payload, self.payload)
        # Same content may still triage differently as time passes (a far-off need date comes within the horizon).
        if not changes and self.verdict.eligible == existing.eligible:
            return Outcome(existing.id, "unchanged", existing.case_id)
        return await self._apply_changes(existing, changes)

    async def _apply_changes(self, existing, changes: dict) -> Outcome:
        placed = Placement(existing.case_id)
        if placed.case_id is None:  # triaged again: it may open (or join) a case now
            placed = await self.place_in_case(existing.id, signalled_at=existing.signalled_at.isoformat())
        status = existing.status if existing.case_id else placed.status
        key = domain.name_key(self.lead.company.name)
        await self.leads.update_lead(
            lead_id=existing.id, payload=self.payload, status=status, case_id=placed.case_id,
            triage_reason=self.verdict.reason, triage=self.verdict.facts, eligible=self.verdict.eligible,
            changed_at=self.evt.time, source_event_id=self.evt.id, name_key=key,
            # A new name waits for the look-alike job again (look_alikes.py).
            **({"names_checked": None} if key != existing.name_key else {}))
        triage_change = {"eligible": {"old": existing.eligible, "new": self.verdict.eligible}} \
            if existing.eligible != self.verdict.eligible else {}
        case_change = {"case_id": {"old": None, "new": str(placed.case_id)}} if placed.case_id != existing.case_id \
            else {}
        await self.leads.audit(lead_id=existing.id, actor=self.via.actor, channel=self.via.channel,
                               action="updated", event_id=self.evt.id, changes=changes | triage_change | case_change)
        changed = tuple(changes) + tuple(triage_change) + tuple(case_change)
        await self.uow.outbox.add(messages.lead_updated(
            self.lead, lead_id=existing.id, case_id=placed.case_id, verdict=self.verdict, changed=changed,
            company_ref=self.ref))
        await self.share_identity_if_consented(placed.case_id)
        log.info("lead_updated", lead_id=str(existing.id), changed=changed, status=status)
        return Outcome(existing.id, "updated", placed.case_id)

    async def place_in_case(self, lid: UUID, *, signalled_at: str, has_unplaced_siblings: bool = True) -> Placement:
        """Join the company's case if it has one; else open one when the lead is eligible."""
        if self.verdict.eligible and await self._open_case(lid, signalled_at=signalled_at,
                                                           has_unplaced_siblings=has_unplaced_siblings):
            return Placement(domain.case_id(lid), opened=True)
        found = await self.leads.case_for_company(company_ref=self.ref)
        if found is None:
            return Placement(None)
        await self._add_origin(found.id, lid)
        log.info("lead_joined_case", lead_id=str(lid), case_id=str(found.id))
        return Placement(found.id)

    async def _open_case(self, lid: UUID, *, signalled_at: str, has_unplaced_siblings: bool) -> bool:
        """Open the company's case named after this lead; False when the company already has one."""
        cid = domain.case_id(lid)
        code = domain.code_name(cid)
        if not await self.leads.open_case(case_id=cid, company_ref=self.ref, code_name=code,
                                          opened_by=lid, organisation=self.lead.organisation,
                                          reference=self.lead.reference):
            return False
        await self.uow.outbox.add(messages.case_opened(
            self.lead, lead_id=lid, case_id=cid, code_name=code, company_ref=self.ref, signalled_at=signalled_at))
        log.info("case_opened", lead_id=str(lid), case_id=str(cid))
        if has_unplaced_siblings:
            await self._bring_company_leads_into(cid, lid)
        return True

    async def _bring_company_leads_into(self, cid: UUID, opened_by: UUID) -> None:
        """Earlier leads for the same company (kept in the portfolio) join the case that just opened."""
        for other in await self.leads.unplaced_leads_of_company(company_ref=self.ref,
                                                                 other_than=opened_by):
            await self.leads.set_case(lead_id=other.id, case_id=cid, status="case-joined")
            await self.leads.add_origin(case_id=cid, lead_id=other.id,
                                        organisation=other.organisation, reference=other.reference)
            change = {"case_id": {"old": None, "new": str(cid)}}
            # Not the submitter as actor: that is another organisation than this lead's.
            await self.leads.audit(lead_id=other.id, actor="intake", channel="intake",
                                   action=JOINED_CASE, event_id=self.evt.id, changes=change)
            earlier = LeadSignalledData.from_stored(other.payload)
            await self.uow.outbox.add(messages.lead_updated(
                earlier, lead_id=other.id, case_id=cid,
                verdict=domain.Triage(bool(other.eligible), other.triage_reason), changed=("case_id",),
                company_ref=self.ref))
            await self._share_identity(earlier, cid)

    async def _add_origin(self, cid: UUID, lid: UUID) -> None:
        await self.leads.add_origin(case_id=cid, lead_id=lid, organisation=self.lead.organisation,
                                    reference=self.lead.reference)

    async def share_identity_if_consented(self, cid: UUID | None) -> None:
        """consent-granted once per case, the first time a lead of its company says the company consented."""
        if cid is not None:
            await self._share_identity(self.lead, cid)

    async def _share_identity(self, lead: LeadSignalledData, cid: UUID) -> None:
        if lead.consent is not ConsentStatus.CONSENTED:
            return
        if await self.leads.mark_consent_granted(case_id=cid):
            key_id, key = await self.leads.new_identity_key(case_id=cid)
            await self.uow.outbox.add(messages.consent_granted(lead, case_id=cid, key_id=key_id, key=key))
            log.info("consent_granted", case_id=str(cid))
