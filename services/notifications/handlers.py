"""What notifications does on each event: keep the case profile, and record the mails the rules call for.

Mails are only *recorded* here, in the same transaction as the processed-event mark; the mailer renders
and sends them after the commit. So a redelivered event records nothing twice, and nothing is mailed
for a transaction that rolled back. The use cases take a unit of work (unit_of_work.py) and never commit: the
consumer's batch transaction or the HTTP route that opened it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import domain, repository
from services.notifications.config import NotificationsSettings
from services.notifications.domain import rules
from services.notifications.domain.directory import no_header_breaks
from services.notifications.identity_keys import IdentityKeys
from services.notifications.mailer import Mailer
from services.notifications.unit_of_work import NotificationsUnitOfWork, SqlNotificationsUnitOfWork
from shared import sealing
from shared.contracts import (
    CaseOpened,
    ConsentGranted,
    IdentityErased,
    LeadUpdated,
    MatchProposed,
    RecipientReplied,
    RecipientRepliedData,
    RelocationRealised,
)
from shared.contracts.envelope import Envelope
from shared.messaging import Rejected
from shared.runtime import Runtime

log = structlog.get_logger()
SOURCE = "/services/notifications"


@dataclass
class Deps:
    """What every notifications handler needs, built once in bootstrap."""

    settings: NotificationsSettings
    runtime: Runtime
    mailer: Mailer
    # Shared with the directory API, which invalidates it on edits.
    directory: repository.DirectoryCache
    identity_keys: IdentityKeys

    def unit_of_work(self, session: AsyncSession) -> SqlNotificationsUnitOfWork:
        """The unit of work over a transaction someone else owns (a consumer's batch, an HTTP route's)."""
        return SqlNotificationsUnitOfWork(session, self.runtime.outbox, self.directory)


async def notify_about_proposal(uow: NotificationsUnitOfWork, evt: MatchProposed, *, deps: Deps) -> None:
    """Municipalities/provinces of relevant proposed sites (budgeted), or the coordinator if none anywhere."""
    _refuse_header_breaks(evt.data.code_name, "data.code_name")
    directory = await uow.directory()
    outcome = rules.for_proposal(evt.data, directory, threshold=deps.settings.relevance_threshold,
                                 provinces=deps.settings.proposal_notifies_province)
    if evt.data.revision > 1:
        # A re-match tells a recipient only about sites it has not heard of for this case yet.
        outcome.notices = rules.only_new_sites(outcome.notices,
                                               await uow.deliveries.notified_sites(evt.data.case_id))
    await _record(uow, evt, outcome, directory, deps=deps,
                  base={"code_name": evt.data.code_name})


async def notify_about_relocation(uow: NotificationsUnitOfWork, evt: RelocationRealised, *, deps: Deps) -> None:
    """Origin and destination municipalities and provinces."""
    directory = await uow.directory()
    await _record(uow, evt, rules.for_relocation(evt.data, directory), directory, deps=deps, base={})


async def keep_case_and_signal_housing(uow: NotificationsUnitOfWork, evt: CaseOpened, *, deps: Deps) -> None:
    """Remember the case (for the ranges in later mails); signal housing/accessibility demand."""
    data = evt.data
    _refuse_header_breaks(data.code_name, "data.code_name")
    profile = await uow.cases.lock_case(data.case_id)
    values: dict[str, Any] = {"code_name": data.code_name, "origin": data.origin.model_dump(mode="json"),
                              "technology_domains": [d.value for d in data.technology_domains]}
    values |= _newer_demand(profile, evt, data.demand.model_dump(mode="json"))
    await _signal_housing(uow, evt, profile | values, deps=deps)


async def follow_lead_update(uow: NotificationsUnitOfWork, evt: LeadUpdated, *, deps: Deps) -> None:
    """A changed demand updates the case's ranges and may raise (or change) its housing signal."""
    if evt.data.case_id is None:
        return
    profile = await uow.cases.lock_case(evt.data.case_id)
    values: dict[str, Any] = {"technology_domains": [d.value for d in evt.data.technology_domains]}
    values |= _newer_demand(profile, evt, evt.data.demand.model_dump(mode="json"))
    await _signal_housing(uow, evt, profile | values, deps=deps)


async def release_identity(uow: NotificationsUnitOfWork, evt: ConsentGranted, *, deps: Deps) -> None:
    """The company consented: from now on its name and KvK number may appear in mails about its case."""
    identity = await _opened(evt, deps)
    if identity is None:
        log.info("identity_not_released_erased", case_id=str(evt.data.case_id), event_id=str(evt.id))
        return
    name, kvk = identity
    await uow.cases.lock_case(evt.data.case_id)
    await uow.cases.save_case(evt.data.case_id, company_name=name, kvk_number=kvk, consent_at=evt.time)
    log.info("identity_released", case_id=str(evt.data.case_id))


async def _opened(evt: ConsentGranted, deps: Deps) -> tuple[str, str] | None:
    """The consented identity: opened with its case's key from intake; None when that key was destroyed."""
    identity = evt.data.identity
    if identity.form == "plain":  # written before identities were sealed (version 1)
        return identity.company_name, identity.kvk_number
    key = await deps.identity_keys.key(identity.key_id)
    if key is None:
        return None
    try:
        return sealing.unseal(key, identity, case_id=evt.data.case_id)
    except sealing.Unsealable as err:  # forged, tampered with, or copied from another case's event
        raise Rejected(f"data.identity: {err}") from err


async def forget_identity(uow: NotificationsUnitOfWork, evt: IdentityErased, *, deps: Deps) -> None:
    """The company's identity was erased on request: delete the copy kept for mails and redact it from every
    mail of its case kept in the delivery log (sent or still waiting)."""
    if evt.data.case_id is None:
        return
    profile = await uow.cases.lock_case(evt.data.case_id)
    known = [v for v in (profile.get("company_name"), profile.get("kvk_number")) if v]
    redacted = await uow.cases.redact_case_mails(evt.data.case_id, known) if known else 0
    await uow.cases.save_case(evt.data.case_id, company_name=None, kvk_number=None, consent_at=None)
    log.info("identity_forgotten", case_id=str(evt.data.case_id), mails_redacted=redacted)


def _refuse_header_breaks(value: str, field: str) -> None:
    """The code name reaches the Subject header: a line break in it is an injection attempt, dead-lettered."""
    try:
        no_header_breaks(value, field)
    except ValueError as err:
        raise Rejected(str(err)) from err


def _newer_demand(profile: dict, evt: Envelope, demand: dict) -> dict[str, Any]:
    """Case-opened and lead-updated travel on different topics: the later event's demand wins."""
    if profile.get("demand_as_of") and profile["demand_as_of"] > evt.time:
        return {}
    return {"demand": demand, "demand_as_of": evt.time}


async def _signal_housing(uow: NotificationsUnitOfWork, evt: Envelope, profile: dict, *, deps: Deps) -> None:
    """Signal housing demand once per distinct demand, and only once the case's origin is known."""
    housing = (profile.get("demand") or {}).get("housing")
    signal = housing and profile.get("origin") and housing != profile.get("housing_signalled")
    changes = {k: profile[k] for k in ("code_name", "origin", "technology_domains", "demand", "demand_as_of")
               if profile.get(k) is not None}
    if signal:
        changes["housing_signalled"] = housing
        directory = await uow.directory()
        outcome = rules.for_housing(housing, profile["origin"]["province"], directory)
        await _record(uow, evt, outcome, directory, deps=deps,
                      base={"code_name": profile.get("code_name")}, case_id=profile["case_id"])
    await uow.cases.save_case(profile["case_id"], **changes)


async def _record(uow: NotificationsUnitOfWork, evt: Envelope, outcome: rules.Outcome,
                  directory: dict[str, domain.Recipient], *, deps: Deps, base: dict[str, Any],
                  case_id=None) -> None:
    """Record each notice as a mail, or as a digest item once the recipient's budget for the period is used."""
    case_id, settings, mailer = case_id or evt.data.case_id, deps.settings, deps.mailer
    start, end = domain.budget_period(evt.time, settings.budget_period_seconds)
    counts = {"mails": 0, "digested": 0}
    for notice in outcome.notices:
        recipient, context = directory[notice.recipient], base | notice.context
        if notice.budgeted and await _over_budget_into_digest(uow, recipient, (start, end), evt, case_id, context,
                                                               budget=settings.budget_per_period):
            counts["digested"] += 1
            continue
        counts["mails"] += await uow.deliveries.add_delivery(
            event_id=evt.id, case_id=case_id, recipient_code=recipient.code, email=recipient.email,
            template=notice.template, context=context)
    if outcome.unknown:
        log.warning("recipients_not_in_directory", codes=outcome.unknown, event_type=evt.type)
    uow.after_commit(mailer.wake)
    log.info("notifications_recorded", event_type=evt.type, case_id=str(case_id), **counts)


async def _over_budget_into_digest(uow: NotificationsUnitOfWork, recipient: domain.Recipient, period: tuple,
                                   evt: Envelope, case_id, context: dict[str, Any], *, budget: int) -> bool:
    """Count the mail against the budget; once it is used, put it in the period's digest (False: mail it alone)."""
    start, end = period
    if await uow.deliveries.use_budget(recipient.code, start) <= budget:
        return False
    return await uow.deliveries.add_to_digest(recipient_code=recipient.code, email=recipient.email,
                                              period_start=start, due_at=end, event_id=evt.id, case_id=case_id,
                                              context=context)


class UnknownSite(ValueError):
    """A reply names a site the recipient was not told about for that case."""


async def record_answer(uow: NotificationsUnitOfWork, *, deps: Deps, case_id, recipient: str, response: str,
                        site_id: str | None, message: str, via: str) -> bool:
    """Record a recipient's offer or decline; a changed answer is emitted as recipient-replied (outbox)."""
    if site_id is not None:
        told = (await uow.deliveries.notified_sites(case_id)).get(recipient, set())
        if site_id not in told:
            raise UnknownSite(f"{site_id!r} is not among the sites {recipient} was told about for this case "
                              f"({', '.join(sorted(told)) or 'none'})")
    changed = await uow.replies.record_reply(case_id=case_id, recipient_code=recipient, site_id=site_id,
                                             response=response, message=message, via=via)
    if changed:
        replied = RecipientRepliedData(case_id=case_id, recipient=recipient, site_id=site_id, response=response,
                                       message=message)
        await uow.outbox.add(RecipientReplied(source=SOURCE, subject=str(case_id), data=replied))
    log.info("recipient_replied", case_id=str(case_id), recipient=recipient, response=response, changed=changed,
             via=via)
    return changed
