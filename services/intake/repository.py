"""Persistence for leads, cases, origins, name reviews and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    Uuid,
    and_,
    bindparam,
    delete,
    func,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.orm import case, identity_key, lead, lead_audit, lead_origin, name_review, outbox
from shared import sealing

NAME_CANDIDATES = 5
CASE_PROGRESS = (case.c.code_name, case.c.sites_proposed, case.c.no_proposition, case.c.proposed_at, case.c.closed_at,
                 case.c.outcome, case.c.match_revision, lead_origin.c.revision_at_join, lead_origin.c.closed_at_join)


def _with_case_progress(stmt):
    """The lead's case, and the progress it had when this lead joined it (views.case_status hides that)."""
    return (stmt.outerjoin(case, case.c.id == lead.c.case_id)
            .outerjoin(lead_origin, (lead_origin.c.lead_id == lead.c.id) & (lead_origin.c.case_id == lead.c.case_id)))


@dataclass(frozen=True)
class NewLead:
    """What registering a new lead needs to know, read in the statement that inserted it."""

    has_unplaced_siblings: bool  # the company has other leads in no case (they join a case this lead opens)


def _insert_new_lead_statement():
    """INSERT lead, its "registered" audit row, and read what register() needs: one statement, built once
    (constructing it per lead cost more than running it); everything is bound per execution."""
    values = {c.name: bindparam(f"v_{c.name}", type_=c.type) for c in lead.columns
              if c.name not in ("created_at", "version")}
    new_lead = insert(lead).values(values).on_conflict_do_nothing().returning(lead.c.id).cte("new_lead")
    audit_row = select(new_lead.c.id, bindparam("a_actor", type_=String), bindparam("a_channel", type_=String),
                       literal("registered", String), bindparam("a_event_id", type_=Uuid),
                       bindparam("a_changes", type_=lead_audit.c.changes.type))
    audited = (insert(lead_audit).from_select(["lead_id", "actor", "channel", "action", "event_id", "changes"],
                                              audit_row).cte("audited"))
    ref = bindparam("v_company_ref", type_=String)
    sibling = lead.alias("sibling")
    siblings = select(sibling.c.id).where(sibling.c.company_ref == ref, sibling.c.case_id.is_(None),
                                          sibling.c.id != bindparam("v_id", type_=Uuid)).exists()
    # The subquery sees the statement's snapshot (without the new lead, which it excludes anyway).
    return select(siblings.label("has_unplaced")).select_from(new_lead).add_cte(audited)


_INSERT_NEW_LEAD = _insert_new_lead_statement()


async def insert_new_lead(session: AsyncSession, *, audit_as: dict[str, Any], **values) -> NewLead | None:
    """Insert a lead and its audit() row (`audit_as`: actor, channel, event_id, changes) and read, in the same
    round trip, whether the company has unplaced leads. Its name waits for the look-alike job (look_alikes.py).

    None when this organisation already signalled this reference (nothing inserted, nothing audited).
    """
    params = {f"v_{c.name}": values.get(c.name) for c in lead.columns if c.name not in ("created_at", "version")}
    params |= {"a_actor": audit_as["actor"][:100], "a_channel": audit_as["channel"],
               "a_event_id": audit_as["event_id"], "a_changes": audit_as["changes"]}
    row = (await session.execute(_INSERT_NEW_LEAD, params)).first()
    if row is None:
        return None
    return NewLead(bool(row.has_unplaced))


async def get_lead(session: AsyncSession, *, lead_id: UUID):
    return (await session.execute(select(lead).where(lead.c.id == lead_id))).first()


async def lock_lead(session: AsyncSession, *, lead_id: UUID):
    """The lead row, locked until the transaction ends, so concurrent updates apply one after the other."""
    return (await session.execute(select(lead).where(lead.c.id == lead_id).with_for_update())).first()


async def update_lead(session: AsyncSession, *, lead_id: UUID, **values) -> None:
    await session.execute(update(lead).where(lead.c.id == lead_id)
                          .values(version=lead.c.version + 1, **values))


def _open_case_statement():
    """INSERT case; INSERT its origin when it opened: one statement, built once."""
    new_case = (insert(case).values(id=bindparam("case_id", type_=Uuid),
                                    company_ref=bindparam("company_ref", type_=String),
                                    code_name=bindparam("code_name", type_=String),
                                    opened_by_lead_id=bindparam("opened_by", type_=Uuid))
                .on_conflict_do_nothing().returning(case.c.id).cte("new_case"))
    origin = select(new_case.c.id, bindparam("opened_by", type_=Uuid), bindparam("organisation", type_=String),
                    bindparam("reference", type_=String))
    return (insert(lead_origin).from_select(["case_id", "lead_id", "organisation", "reference"], origin)
            .on_conflict_do_nothing().returning(lead_origin.c.case_id).add_cte(new_case))


_OPEN_CASE = _open_case_statement()


async def open_case(session: AsyncSession, *, case_id: UUID, company_ref: str, code_name: str, opened_by: UUID,
                    organisation: str, reference: str) -> bool:
    """Open the company's case and add_origin() for the lead that opened it, in one round trip; False when
    the company already has a case (another lead opened it first: nothing inserted)."""
    params = {"case_id": case_id, "company_ref": company_ref, "code_name": code_name, "opened_by": opened_by,
              "organisation": organisation, "reference": reference}
    return (await session.execute(_OPEN_CASE, params)).first() is not None


async def case_for_company(session: AsyncSession, *, company_ref: str):
    return (await session.execute(select(case).where(case.c.company_ref == company_ref))).first()


async def mark_consent_granted(session: AsyncSession, *, case_id: UUID) -> bool:
    """Record consent on the case once; True only the first time."""
    stmt = (update(case).where(case.c.id == case_id, case.c.consent_granted_at.is_(None))
            .values(consent_granted_at=func.now()).returning(case.c.id))
    return (await session.execute(stmt)).first() is not None


async def add_origin(session: AsyncSession, *, case_id: UUID, lead_id: UUID, organisation: str,
                     reference: str) -> None:
    """The lead joins the case as one more origin, with the progress the case had by then."""
    progress = select(literal(case_id, Uuid), literal(lead_id, Uuid), literal(organisation, String),
                      literal(reference, String), func.coalesce(case.c.match_revision, 0),
                      case.c.closed_at.is_not(None)).where(case.c.id == case_id)
    await session.execute(insert(lead_origin).from_select(
        ["case_id", "lead_id", "organisation", "reference", "revision_at_join", "closed_at_join"], progress)
        .on_conflict_do_nothing())


async def origins(session: AsyncSession, *, case_id: UUID) -> list:
    return list((await session.execute(select(lead_origin).where(lead_origin.c.case_id == case_id)
                                       .order_by(lead_origin.c.joined_at))).all())


async def open_reviews(session: AsyncSession, *, lead_id: UUID | None = None) -> list:
    stmt = select(name_review).where(name_review.c.status == "open").order_by(name_review.c.id)
    if lead_id is not None:
        stmt = stmt.where((name_review.c.lead_id == lead_id) | (name_review.c.similar_lead_id == lead_id))
    return list((await session.execute(stmt)).all())


async def reviewed_leads(session: AsyncSession, *, lead_ids: set[UUID]) -> list:
    """The leads of look-alike pairs with their case's code name (one statement for the whole queue)."""
    stmt = (select(lead.c.id, lead.c.organisation, lead.c.reference, lead.c.payload, lead.c.signalled_at,
                   lead.c.case_id, case.c.code_name)
            .select_from(lead.outerjoin(case, case.c.id == lead.c.case_id)).where(lead.c.id.in_(lead_ids)))
    return list((await session.execute(stmt)).all())


async def audit(session: AsyncSession, *, lead_id: UUID, actor: str, channel: str, action: str,
                event_id: UUID | None, changes: dict[str, Any], at: datetime | None = None) -> None:
    values = dict(lead_id=lead_id, actor=actor[:100], channel=channel, action=action, event_id=event_id,
                  changes=changes)
    await session.execute(insert(lead_audit).values(**values, **({"at": at} if at else {})))


async def audit_trail(session: AsyncSession, *, lead_id: UUID) -> list:
    return list((await session.execute(select(lead_audit).where(lead_audit.c.lead_id == lead_id)
                                       .order_by(lead_audit.c.id))).all())


# What views.shows_case() decides per row, as a condition: the lead's ROM sees it in its case.
SHOWS_CASE = and_(lead.c.case_id.is_not(None), or_(lead.c.status == "case-opened", lead.c.eligible.is_(True)))


async def leads_of(session: AsyncSession, *, organisation: str, limit: int, offset: int,
                   in_case: bool | None = None) -> list:
    """An organisation's leads with their case's code name, newest first; `in_case`: only those its ROM sees
    in a case (True) or in the portfolio (False)."""
    stmt = (_with_case_progress(select(lead, *CASE_PROGRESS)).where(lead.c.organisation == organisation)
            .order_by(lead.c.created_at.desc(), lead.c.id).limit(limit).offset(offset))
    if in_case is not None:
        stmt = stmt.where(SHOWS_CASE if in_case else not_(SHOWS_CASE))
    return list((await session.execute(stmt)).all())


async def lead_with_case(session: AsyncSession, *, lead_id: UUID):
    stmt = _with_case_progress(select(lead, *CASE_PROGRESS)).where(lead.c.id == lead_id)
    return (await session.execute(stmt)).first()


async def set_case(session: AsyncSession, *, lead_id: UUID, case_id: UUID, status: str) -> None:
    await session.execute(update(lead).where(lead.c.id == lead_id).values(case_id=case_id, status=status))


async def unplaced_leads_of_company(session: AsyncSession, *, company_ref: str, other_than: UUID) -> list:
    """The company's other leads that are in no case yet (locked: they are about to join one)."""
    stmt = (select(lead).where(lead.c.company_ref == company_ref, lead.c.case_id.is_(None), lead.c.id != other_than)
            .order_by(lead.c.created_at).with_for_update())
    return list((await session.execute(stmt)).all())


# Built once: one runs per match-proposed.
_RECORD_MATCH = (update(case)
                 .where(case.c.id == bindparam("m_case_id", type_=Uuid),
                        func.coalesce(case.c.match_revision, 0) <= bindparam("m_revision", type_=Integer))
                 .values(match_revision=bindparam("m_revision", type_=Integer),
                         sites_proposed=bindparam("m_sites", type_=Integer),
                         no_proposition=bindparam("m_no_proposition", type_=Boolean),
                         proposed_at=bindparam("m_at", type_=DateTime(timezone=True))))


async def record_match(session: AsyncSession, *, case_id: UUID, revision: int, sites: int, no_proposition: bool,
                       at: datetime) -> None:
    """The case's latest match; an older revision arriving late never overwrites a newer one."""
    await session.execute(_RECORD_MATCH, {"m_case_id": case_id, "m_revision": revision, "m_sites": sites,
                                          "m_no_proposition": no_proposition, "m_at": at})


async def record_closed(session: AsyncSession, *, case_id: UUID, outcome: str, at: datetime) -> None:
    await session.execute(update(case).where(case.c.id == case_id).values(closed_at=at, outcome=outcome))


async def decide_review(session: AsyncSession, *, review_id: int, status: str, decided_by: str, note: str):
    """Record a person's decision on an open review; None when there is no such open review."""
    stmt = (update(name_review).where(name_review.c.id == review_id, name_review.c.status == "open")
            .values(status=status, decided_by=decided_by, decided_at=func.now(), note=note).returning(name_review))
    return (await session.execute(stmt)).first()


async def get_case(session: AsyncSession, *, case_id: UUID):
    return (await session.execute(select(case).where(case.c.id == case_id))).first()


async def portfolio_leads(session: AsyncSession, *, organisation: str | None = None) -> list:
    """Leads that triage found ineligible (the candidates for triage as time passes). Some are already origins of
    a case another lead opened: they too are triaged again, as they would be alone."""
    stmt = select(lead.c.id, lead.c.payload).where(lead.c.eligible.is_(False))
    if organisation is not None:
        stmt = stmt.where(lead.c.organisation == organisation)
    return list((await session.execute(stmt)).all())


async def cases_with_opening_lead(session: AsyncSession, *, status: str | None, limit: int, offset: int) -> list:
    """Cases (open, closed or all) with the lead that opened them and how many organisations signalled them."""
    origins = (select(lead_origin.c.case_id, func.count().label("origins")).group_by(lead_origin.c.case_id)
               .subquery())
    # Only the lead fields the board shows, extracted in the database: decoding each opening lead's whole payload
    # was most of the time of a board of 1,000 open cases.
    shown = lead.c.payload
    stmt = (select(case, shown["stage"].astext.label("stage"), shown["location"]["region"].astext.label("region"),
                   shown["location"]["municipality_code"].astext.label("municipality_code"),
                   shown["technology_domains"].label("technology_domains"),
                   func.coalesce(origins.c.origins, 0).label("origins"))
            .join(lead, lead.c.id == case.c.opened_by_lead_id)
            .outerjoin(origins, origins.c.case_id == case.c.id)
            .order_by(case.c.opened_at.desc(), case.c.id).limit(limit).offset(offset))
    if status == "open":
        stmt = stmt.where(case.c.closed_at.is_(None))
    elif status == "closed":
        stmt = stmt.where(case.c.closed_at.is_not(None))
    return list((await session.execute(stmt)).all())


def _board_where(stmt, query: Any):
    """The board's filters on intake's own fields (`query`: views.BoardQuery)."""
    shown = lead.c.payload
    if query.status == "open":
        stmt = stmt.where(case.c.closed_at.is_(None))
    elif query.status == "closed":
        stmt = stmt.where(case.c.closed_at.is_not(None))
    if query.case_status == "closed":
        stmt = stmt.where(case.c.closed_at.is_not(None))
    elif query.case_status:  # open, proposed or no-proposition: as views.taskforce_status decides it
        stmt = stmt.where(case.c.closed_at.is_(None))
        no_proposition = func.coalesce(case.c.no_proposition, False)
        if query.case_status == "no-proposition":
            stmt = stmt.where(no_proposition)
        elif query.case_status == "proposed":
            stmt = stmt.where(~no_proposition, case.c.proposed_at.is_not(None))
        else:
            stmt = stmt.where(~no_proposition, case.c.proposed_at.is_(None))
    if query.region:
        stmt = stmt.where(shown["location"]["region"].astext == query.region)
    if query.stage:
        stmt = stmt.where(shown["stage"].astext == query.stage)
    if query.q:
        stmt = stmt.where(func.lower(case.c.code_name).contains(query.q.lower(), autoescape=True))
    if query.case_ids is not None:
        stmt = stmt.where(case.c.id.in_(query.case_ids))
    if query.except_case_ids:
        stmt = stmt.where(case.c.id.not_in(query.except_case_ids))
    return stmt


async def board_cases(session: AsyncSession, query: Any) -> tuple[int, int, list]:
    """One page of the board's cases filtered in the database, with how many the filters keep and how many cases
    are open at all, in one statement: the board no longer fetches every open case to filter them itself."""
    origins = (select(lead_origin.c.case_id, func.count().label("origins")).group_by(lead_origin.c.case_id)
               .subquery())
    open_cases = select(func.count()).select_from(case).where(case.c.closed_at.is_(None)).scalar_subquery()
    shown = lead.c.payload
    oldest = query.order == "oldest"
    stmt = (select(case, shown["stage"].astext.label("stage"), shown["location"]["region"].astext.label("region"),
                   shown["location"]["municipality_code"].astext.label("municipality_code"),
                   shown["technology_domains"].label("technology_domains"),
                   func.coalesce(origins.c.origins, 0).label("origins"),
                   func.count().over().label("kept"), open_cases.label("open_cases"))
            .join(lead, lead.c.id == case.c.opened_by_lead_id)
            .outerjoin(origins, origins.c.case_id == case.c.id)
            .order_by(case.c.opened_at.asc() if oldest else case.c.opened_at.desc(), case.c.id)
            .limit(query.limit).offset(query.offset))
    rows = list((await session.execute(_board_where(stmt, query))).all())
    if rows:
        return rows[0].kept, rows[0].open_cases, rows
    # A page past the last (or nothing kept): the counts still hold; two small counts, no rows to read.
    kept = select(func.count()).select_from(case.join(lead, lead.c.id == case.c.opened_by_lead_id))
    kept_count = (await session.execute(_board_where(kept, query))).scalar_one()
    return kept_count, (await session.execute(select(open_cases))).scalar_one(), []


async def case_with_opening_lead(session: AsyncSession, *, case_id: UUID):
    stmt = select(case, lead.c.payload).join(lead, lead.c.id == case.c.opened_by_lead_id).where(case.c.id == case_id)
    return (await session.execute(stmt)).first()


# Erasure on request (GDPR art. 17) and the keys that seal identities (shared/sealing.py).

async def new_identity_keys(session: AsyncSession, case_ids: list[UUID]) -> dict[UUID, tuple[UUID, bytes]]:
    """A new sealing key for each case (once, with its consent): case id -> (key id, key). One statement."""
    rows = [dict(case_id=c, key_id=uuid4(), key=sealing.new_key()) for c in case_ids]
    if rows:
        await session.execute(insert(identity_key), rows)
    return {r["case_id"]: (r["key_id"], r["key"]) for r in rows}


async def new_identity_key(session: AsyncSession, *, case_id: UUID) -> tuple[UUID, bytes]:
    return (await new_identity_keys(session, [case_id]))[case_id]


async def identity_key_of(session: AsyncSession, *, key_id: UUID):
    """The key row (key None once erased), or None when there is no such key."""
    return (await session.execute(select(identity_key).where(identity_key.c.key_id == key_id))).first()


async def leads_of_company(session: AsyncSession, *, company_ref: str) -> list:
    """Every lead of the company, locked: erasure rewrites them all."""
    return list((await session.execute(select(lead).where(lead.c.company_ref == company_ref)
                                       .order_by(lead.c.created_at).with_for_update())).all())


async def erase_leads(session: AsyncSession, payloads: dict[UUID, dict[str, Any]]) -> None:
    """Each lead's payload without the identity, no name key (fuzzy search), and when it was erased."""
    await session.execute(update(lead).where(lead.c.id == bindparam("lid"))
                          .values(payload=bindparam("erased"), name_key=None, erased_at=func.now()),
                          [{"lid": lid, "erased": p} for lid, p in payloads.items()])


async def audit_entries_of(session: AsyncSession, *, lead_ids: list[UUID]) -> list:
    return list((await session.execute(select(lead_audit.c.id, lead_audit.c.changes)
                                       .where(lead_audit.c.lead_id.in_(lead_ids)))).all())


async def rewrite_audit_changes(session: AsyncSession, changes: dict[int, dict[str, Any]]) -> None:
    if changes:
        await session.execute(update(lead_audit).where(lead_audit.c.id == bindparam("aid"))
                              .values(changes=bindparam("scrubbed")),
                              [{"aid": aid, "scrubbed": c} for aid, c in changes.items()])


async def destroy_identity_key(session: AsyncSession, *, case_id: UUID) -> bool:
    """Shred the case's sealing key; True when there was one to destroy."""
    stmt = (update(identity_key).where(identity_key.c.case_id == case_id, identity_key.c.key.is_not(None))
            .values(key=None, erased_at=func.now()).returning(identity_key.c.key_id))
    return (await session.execute(stmt)).first() is not None


async def forget_published_consents(session: AsyncSession, *, case_id: UUID) -> int:
    """Published consent-granted rows of the case still in the outbox (kept for its retention): gone now."""
    stmt = delete(outbox).where(outbox.c.topic.like("%consent-granted"), outbox.c.key == str(case_id),
                                outbox.c.published_at.is_not(None))
    return (await session.execute(stmt)).rowcount
