"""Set-based persistence for a Kafka batch of new leads: one statement per table for the whole batch.

Each function takes the batch's rows at once and sends them as one JSON document that PostgreSQL unpacks with
jsonb_to_recordset, so a batch of 500 leads costs as many round trips as a batch of one. The per-lead functions
in repository.py stay the path of everything rarer (a known lead, a company that has a case, earlier leads).
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    Uuid,
    bindparam,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.orm import case, lead, lead_audit, lead_origin, name_review
from services.intake.repository import NAME_CANDIDATES, new_identity_keys  # noqa: F401 (LeadBatches)
from shared.db import json_rows as _rows
from shared.db import rows_json as _json

_LEAD_COLUMNS = [c for c in lead.columns if c.name not in ("created_at", "version")]


def _insert_new_leads_statement():
    new = _rows("new", *((c.name, c.type) for c in _LEAD_COLUMNS))
    names = [c.name for c in _LEAD_COLUMNS]
    inserted = (insert(lead).from_select(names, select(*(new.c[n] for n in names)))
                .on_conflict_do_nothing().returning(lead.c.id, lead.c.company_ref).cte("inserted"))
    audit = _rows("audit", ("lead_id", Uuid), ("actor", String), ("channel", String), ("event_id", Uuid),
                  ("changes", JSONB))
    audited = insert(lead_audit).from_select(
        ["lead_id", "actor", "channel", "action", "event_id", "changes"],
        select(inserted.c.id, audit.c.actor, audit.c.channel, literal("registered", String), audit.c.event_id,
               audit.c.changes).join(audit, audit.c.lead_id == inserted.c.id)).cte("audited")
    sibling = lead.alias("sibling")
    # The statement's snapshot: the batch's own leads are not siblings (the batch holds one lead per company).
    unplaced = (select(sibling.c.id).where(sibling.c.company_ref == inserted.c.company_ref,
                                           sibling.c.case_id.is_(None), sibling.c.id != inserted.c.id).exists())
    return select(inserted.c.id, unplaced.label("has_unplaced")).add_cte(audited)


_INSERT_NEW_LEADS = _insert_new_leads_statement()


async def insert_new_leads(session: AsyncSession, leads: list[dict], audits: list[dict]) -> dict[UUID, bool]:
    """insert_new_lead() for a batch: the leads (each a dict of lead columns) and their "registered" audit rows
    (lead_id, actor, channel, event_id, changes); returns, per lead inserted, whether its company has unplaced
    leads. A lead already known is not in the result (nothing inserted, nothing audited)."""
    rows = await session.execute(_INSERT_NEW_LEADS, {
        "new": _json(leads), "audit": _json([a | {"actor": a["actor"][:100]} for a in audits])})
    return {r.id: bool(r.has_unplaced) for r in rows}


def _open_cases_statement():
    new = _rows("new", ("case_id", Uuid), ("company_ref", String), ("code_name", String), ("opened_by", Uuid),
                ("organisation", String), ("reference", String))
    opened = (insert(case).from_select(["id", "company_ref", "code_name", "opened_by_lead_id"],
                                       select(new.c.case_id, new.c.company_ref, new.c.code_name, new.c.opened_by))
              .on_conflict_do_nothing().returning(case.c.id).cte("opened"))
    origin = select(opened.c.id, new.c.opened_by, new.c.organisation, new.c.reference).join(
        new, new.c.case_id == opened.c.id)
    return (insert(lead_origin).from_select(["case_id", "lead_id", "organisation", "reference"], origin)
            .on_conflict_do_nothing().returning(lead_origin.c.case_id).add_cte(opened))


_OPEN_CASES = _open_cases_statement()


async def open_cases(session: AsyncSession, cases: list[dict]) -> set[UUID]:
    """open_case() for a batch (case_id, company_ref, code_name, opened_by, organisation, reference each); returns
    the cases opened (a company that has a case already gets none: nothing inserted)."""
    if not cases:
        return set()
    return set((await session.execute(_OPEN_CASES, {"new": _json(cases)})).scalars())


async def companies_with_a_case(session: AsyncSession, company_refs: list[str]) -> set[str]:
    """Those of these companies that have a case."""
    if not company_refs:
        return set()
    stmt = select(case.c.company_ref).where(case.c.company_ref == func.any(bindparam("refs", type_=ARRAY(String))))
    return set((await session.execute(stmt, {"refs": company_refs})).scalars())


def _names_like_checked_statement():
    """The nearest names of other companies' leads checked before each (a lower `names_checked`)."""
    wanted = _rows("wanted", ("lead_id", Uuid), ("name_key", String), ("company_ref", String), ("checked", BigInteger))
    other = lead.alias("other")
    distance = other.c.name_key.op("<->", return_type=Float)(wanted.c.name_key)
    near = (select(other.c.id, other.c.name_key)
            .where(other.c.company_ref != wanted.c.company_ref, other.c.name_key.is_not(None),
                   other.c.names_checked < wanted.c.checked)
            .order_by(distance).limit(NAME_CANDIDATES).lateral("near"))
    return select(wanted.c.lead_id, near.c.id, near.c.name_key).select_from(wanted.join(near, true()))


_NAMES_LIKE_CHECKED = _names_like_checked_statement()


async def names_like_checked(session: AsyncSession, wanted: list[dict]) -> dict[UUID, list[tuple[UUID, str]]]:
    """For the look-alike job (lead_id, name_key, company_ref, checked each): each lead's candidates, nearest
    first, among the names checked before it."""
    found: dict[UUID, list[tuple[UUID, str]]] = {w["lead_id"]: [] for w in wanted}
    if wanted:
        for r in await session.execute(_NAMES_LIKE_CHECKED, {"wanted": _json(wanted)}):
            found[r.lead_id].append((r.id, r.name_key))
    return found


def _mark_checked_statement():
    marks = _rows("marks", ("lead_id", Uuid), ("checked", BigInteger))
    return update(lead).where(lead.c.id == marks.c.lead_id).values(names_checked=marks.c.checked)


_MARK_CHECKED = _mark_checked_statement()


async def mark_names_checked(session: AsyncSession, lead_ids: list[UUID]) -> list[int]:
    """Number these leads' names as checked now, after every name checked before, in this order; returns the
    numbers. The look-alike job's advisory lock makes it the only writer of the numbering."""
    if not lead_ids:
        return []
    last = await session.scalar(select(func.coalesce(func.max(lead.c.names_checked), 0)))
    numbers = list(range(last + 1, last + 1 + len(lead_ids)))
    await session.execute(_MARK_CHECKED, {"marks": _json([dict(lead_id=i, checked=n)
                                                          for i, n in zip(lead_ids, numbers, strict=True)])})
    return numbers


async def flag_name_reviews(session: AsyncSession, reviews: list[dict]) -> None:
    """Look-alike pairs (lead_id, similar_lead_id, similarity each), one statement; one flagged before stays."""
    if reviews:
        await session.execute(insert(name_review).on_conflict_do_nothing(), reviews)


async def mark_consents_granted(session: AsyncSession, case_ids: list[UUID]) -> set[UUID]:
    """mark_consent_granted() for a batch of cases; returns those marked now (the first time)."""
    if not case_ids:
        return set()
    stmt = (update(case).where(case.c.id == func.any(bindparam("ids", type_=ARRAY(Uuid))),
                               case.c.consent_granted_at.is_(None))
            .values(consent_granted_at=func.now()).returning(case.c.id))
    return set((await session.execute(stmt, {"ids": case_ids})).scalars())


def _record_matches_statement():
    m = _rows("m", ("case_id", Uuid), ("revision", Integer), ("sites", Integer), ("no_proposition", Boolean),
              ("at", DateTime(timezone=True)))
    return (update(case).where(case.c.id == m.c.case_id, func.coalesce(case.c.match_revision, 0) <= m.c.revision)
            .values(match_revision=m.c.revision, sites_proposed=m.c.sites, no_proposition=m.c.no_proposition,
                    proposed_at=m.c.at))


_RECORD_MATCHES = _record_matches_statement()


async def record_matches(session: AsyncSession, matches: list[dict]) -> None:
    """record_match() for a batch (case_id, revision, sites, no_proposition, at each), as if applied in order, in
    one statement. An UPDATE ... FROM changes a row once, so each case's rows are first reduced to the one applying
    them in order would leave: the last whose revision is at least that of every one before it (a later revision
    never loses to an older one arriving after it; the stored revision is checked in the statement)."""
    latest: dict = {}
    for m in matches:
        kept = latest.get(m["case_id"])
        if kept is None or m["revision"] >= kept["revision"]:
            latest[m["case_id"]] = m
    if latest:
        await session.execute(_RECORD_MATCHES, {"m": _json(list(latest.values()))})
