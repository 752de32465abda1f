"""Persistence for the supply catalogue, case matches, proposal decisions and case outcomes."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

from sqlalchemy import Uuid, and_, bindparam, delete, func, literal, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.domain import Site
from services.matching.orm import LIVE_SITE, case_match, pending_update, proposal_decision, site, site_change
from shared.db import json_rows, rows_json

REFERENCE_SITES = Path(__file__).parent / "data" / "sites.json"
REFERENCE = "reference"


def reference_sites() -> list[dict]:
    """The illustrative reference catalogue as plain rows (see data/sites.json)."""
    return json.loads(REFERENCE_SITES.read_text())["sites"]


def _row(s: Site, source: str) -> dict:
    record = s.as_row()
    return {"id": s.id, "name": s.name, "region": record["region"], "province": s.province,
            "municipality_code": s.municipality_code, "floor_space_m2": s.floor_space_m2,
            "grid_mw_available": s.grid_mw_available, "cleanroom_iso_class": s.cleanroom_iso_class,
            "clusters": sorted(record["clusters"]), "record": record, "source": source, "updated_at": func.now()}


async def upsert_sites(session: AsyncSession, sites: list[Site], *, source: str) -> None:
    """Insert or replace sites (the caller decided they changed)."""
    if not sites:
        return
    stmt = insert(site).values([_row(s, source) for s in sites])
    cols = {c.name: stmt.excluded[c.name] for c in site.columns if c.name != "id"}
    await session.execute(stmt.on_conflict_do_update(index_elements=[site.c.id], set_=cols))


async def sites_by_id(session: AsyncSession, ids: list[str], *, lock: bool = False) -> dict[str, Site]:
    """Stored sites with these ids (optionally locked FOR UPDATE, so concurrent patches serialise)."""
    stmt = select(site.c.id, site.c.record, site.c.source).where(site.c.id.in_(ids))
    rows = (await session.execute(stmt.with_for_update() if lock else stmt)).all()
    return {r.id: Site.model_validate(r.record) for r in rows if r.record}


async def sources_by_id(session: AsyncSession, ids: list[str]) -> dict[str, str]:
    rows = await session.execute(select(site.c.id, site.c.source).where(site.c.id.in_(ids)))
    return {r.id: r.source for r in rows}


async def list_sites(session: AsyncSession, *, region: str | None = None, include_retired: bool = False) -> list:
    """The catalogue's rows (record, source, updated_at), by id; retired sites only when asked for."""
    stmt = select(site.c.record, site.c.source, site.c.updated_at).where(site.c.record != {}).order_by(site.c.id)
    if region:
        stmt = stmt.where(site.c.region == region)
    if not include_retired:
        stmt = stmt.where(site.c.record["retired"].as_boolean().is_not(True))
    return list((await session.execute(stmt)).all())


async def site_row(session: AsyncSession, site_id: str):
    """One site's row (record, source, updated_at), or None."""
    stmt = select(site.c.record, site.c.source, site.c.updated_at).where(site.c.id == site_id,
                                                                        site.c.record != {})
    return (await session.execute(stmt)).first()


async def delete_site(session: AsyncSession, site_id: str) -> None:
    await session.execute(delete(site).where(site.c.id == site_id))


DELETED = "deleted"


async def record_site_changes(session: AsyncSession, entries: list[dict]) -> None:
    """Append to the sites' change history (site_id, action, changed_by, role, source, municipality_code,
    province, changes, reason)."""
    if entries:
        await session.execute(insert(site_change), entries)


async def deleted_site_ids(session: AsyncSession, ids: list[str]) -> set[str]:
    """Those of these ids that were ever deleted (their history says so)."""
    stmt = select(site_change.c.site_id).where(site_change.c.site_id.in_(ids), site_change.c.action == DELETED)
    return set((await session.scalars(stmt.distinct())).all())


async def site_history(session: AsyncSession, site_id: str) -> list:
    """A site's changes, oldest first (also after it was deleted)."""
    stmt = select(site_change).where(site_change.c.site_id == site_id).order_by(site_change.c.id)
    return list((await session.execute(stmt)).all())


_MATCH_VALUES = ("code_name", "case_payload", "revision", "proposals", "near_misses", "blocking", "blocking_details",
                 "blocking_facts", "no_proposition", "cutoffs")


def _save_match_statement():
    """Upsert of a case's match, built once: constructing it per case cost more than running it."""
    cols = {k: bindparam(k, type_=case_match.c[k].type) for k in ("case_id", *_MATCH_VALUES)}
    stmt = insert(case_match).values(cols | {"proposed_at": func.now()})
    return stmt.on_conflict_do_update(index_elements=[case_match.c.case_id],
                                      set_={k: stmt.excluded[k] for k in (*_MATCH_VALUES, "proposed_at")})


def _save_matches_statement():
    """save_match() for a batch of cases as one INSERT ... SELECT FROM jsonb_to_recordset: an executemany of the
    single upsert ran in PostgreSQL row by row, each of its six JSON documents bound (and encoded) on its own."""
    names = ("case_id", *_MATCH_VALUES)
    new = json_rows("new", *((k, case_match.c[k].type) for k in names))
    stmt = insert(case_match).from_select([*names, "proposed_at"], select(*(new.c[k] for k in names), func.now()))
    return stmt.on_conflict_do_update(index_elements=[case_match.c.case_id],
                                      set_={k: stmt.excluded[k] for k in (*_MATCH_VALUES, "proposed_at")})


_SAVE_MATCH = _save_match_statement()
_SAVE_MATCHES = _save_matches_statement()
_GET_MATCH = select(case_match).where(case_match.c.case_id == bindparam("case_id", type_=Uuid))
_GET_MATCH_LOCKED = _GET_MATCH.with_for_update()
_TAKE_PENDING = (delete(pending_update).where(pending_update.c.case_id == bindparam("case_id", type_=Uuid))
                 .returning(pending_update.c.changes))


def _match_and_pending_statement():
    """get_match(lock=True) and, unless the case is closed, take_pending_update(): one statement."""
    case_id = bindparam("case_id", type_=Uuid)
    locked = select(case_match).where(case_match.c.case_id == case_id).with_for_update().cte("locked")
    closed = select(locked.c.case_id).where(locked.c.status != "open").exists()
    taken = (delete(pending_update).where(pending_update.c.case_id == case_id, ~closed)
             .returning(pending_update.c.changes).cte("taken"))
    one = select(literal(1).label("one")).subquery("one")
    return (select(*locked.c, select(taken.c.changes).scalar_subquery().label("pending"))
            .select_from(one.outerjoin(locked, true())))


_MATCH_AND_PENDING = _match_and_pending_statement()


async def match_and_pending(session: AsyncSession, case_id: UUID) -> tuple[dict | None, dict | None]:
    """The case's match, locked (None when it has none), and the demand change kept for it, taken unless the
    case is closed (a closed case keeps it, as with get_match then take_pending_update)."""
    row = dict((await session.execute(_MATCH_AND_PENDING, {"case_id": case_id})).mappings().one())
    pending = row.pop("pending")
    return (row if row["case_id"] is not None else None), pending


_MATCHES_LOCKED = (select(case_match).where(case_match.c.case_id == func.any(bindparam("case_ids", type_=ARRAY(Uuid))))
                   .with_for_update())
_TAKE_PENDING_MANY = (delete(pending_update)
                      .where(pending_update.c.case_id == func.any(bindparam("case_ids", type_=ARRAY(Uuid))))
                      .returning(pending_update.c.case_id, pending_update.c.changes))


async def matches_and_pending(session: AsyncSession, case_ids: list[UUID]
                              ) -> dict[UUID, tuple[dict | None, dict | None]]:
    """match_and_pending() for a batch of cases in two statements: each case's match (locked; None when it has
    none) and the demand change kept for it (taken unless the case is closed)."""
    matches = {r["case_id"]: dict(r) for r in
               (await session.execute(_MATCHES_LOCKED, {"case_ids": case_ids})).mappings()}
    not_closed = [c for c in case_ids if c not in matches or matches[c]["status"] == "open"]
    taken = dict((await session.execute(_TAKE_PENDING_MANY, {"case_ids": not_closed})).all()) if not_closed else {}
    return {c: (matches.get(c), taken.get(c)) for c in case_ids}


def _match_values(case_id: UUID, code_name: str, case_payload: dict, result: dict, revision: int) -> dict:
    return {"case_id": case_id, "code_name": code_name, "case_payload": case_payload, "revision": revision,
            "proposals": result["proposals"], "near_misses": result["near_misses"],
            "blocking": result["blocking"], "blocking_details": result["blocking_details"],
            "blocking_facts": result.get("blocking_facts") or {},
            "no_proposition": int(not result["proposals"]),
            "cutoffs": result.get("cutoffs")}


async def save_match(session: AsyncSession, *, case_id: UUID, code_name: str, case_payload: dict, result: dict,
                     revision: int) -> None:
    """Store a case's latest match (the first, or a re-match that changed it)."""
    await session.execute(_SAVE_MATCH, _match_values(case_id, code_name, case_payload, result, revision))


async def save_matches(session: AsyncSession, matches: list[dict]) -> None:
    """save_match() for a batch of cases (each a dict of save_match's keyword arguments, each case once): one
    statement, its rows one JSON parameter."""
    if matches:
        await session.execute(_SAVE_MATCHES, {"new": rows_json([_match_values(**m) for m in matches])})


async def get_match(session: AsyncSession, case_id: UUID, *, lock: bool = False):
    stmt = _GET_MATCH_LOCKED if lock else _GET_MATCH
    return (await session.execute(stmt, {"case_id": case_id})).mappings().first()


async def open_matches(session: AsyncSession) -> list:
    stmt = select(case_match).where(case_match.c.status == "open").order_by(case_match.c.case_id)
    return list((await session.execute(stmt)).mappings())


async def list_matches(session: AsyncSession, *, status: str | None = None,
                       case_ids: list[UUID] | None = None) -> list[dict]:
    """A line per case for the coordinator's overview, newest match first."""
    stmt = select(case_match.c.case_id, case_match.c.code_name, case_match.c.status, case_match.c.outcome,
                  case_match.c.revision, case_match.c.no_proposition, case_match.c.proposed_at,
                  func.jsonb_array_length(case_match.c.proposals).label("proposals"),
                  ).order_by(case_match.c.proposed_at.desc())
    if status:
        stmt = stmt.where(case_match.c.status == status)
    if case_ids is not None:
        stmt = stmt.where(case_match.c.case_id.in_(case_ids))
    return [{**r._mapping, "case_id": str(r.case_id), "no_proposition": bool(r.no_proposition),
             "proposed_at": r.proposed_at.isoformat()} for r in (await session.execute(stmt)).all()]


async def stuck_matches(session: AsyncSession) -> list[dict]:
    """Open cases without a proposition anywhere, with their blockers, the longest waiting first."""
    stmt = (select(case_match.c.case_id, case_match.c.code_name, case_match.c.revision, case_match.c.proposed_at,
                   case_match.c.case_payload["origin"]["region"].astext.label("origin_region"),
                   case_match.c.blocking, case_match.c.blocking_details, case_match.c.blocking_facts,
                   case_match.c.near_misses)
            .where(case_match.c.status == "open", case_match.c.no_proposition != 0)
            .order_by(case_match.c.proposed_at))
    return [dict(r) for r in (await session.execute(stmt)).mappings()]


async def close_case(session: AsyncSession, case_id: UUID, outcome: str) -> bool:
    """Mark an open case closed; False when it was not open."""
    stmt = (update(case_match).where(case_match.c.case_id == case_id, case_match.c.status == "open")
            .values(status="closed", outcome=outcome, closed_at=func.now()).returning(case_match.c.case_id))
    return (await session.execute(stmt)).first() is not None


async def keep_pending_update(session: AsyncSession, case_id: UUID, changes: dict) -> None:
    """Remember a demand change for a case not matched yet (a later one replaces an earlier one)."""
    stmt = insert(pending_update).values(case_id=case_id, changes=changes)
    await session.execute(stmt.on_conflict_do_update(index_elements=[pending_update.c.case_id],
                                                     set_={"changes": stmt.excluded.changes,
                                                           "received_at": func.now()}))


async def take_pending_update(session: AsyncSession, case_id: UUID) -> dict | None:
    row = (await session.execute(_TAKE_PENDING, {"case_id": case_id})).first()
    return row.changes if row else None


async def record_decision(session: AsyncSession, **values) -> None:
    await session.execute(insert(proposal_decision).values(**values))


async def latest_decision(session: AsyncSession, case_id: UUID, site_id: str) -> dict | None:
    stmt = (select(proposal_decision.c.decision, proposal_decision.c.reason)
            .where(proposal_decision.c.case_id == case_id, proposal_decision.c.site_id == site_id)
            .order_by(proposal_decision.c.id.desc()).limit(1))
    row = (await session.execute(stmt)).first()
    return dict(row._mapping) if row else None


async def decisions(session: AsyncSession, case_id: UUID) -> list[dict]:
    stmt = (select(proposal_decision).where(proposal_decision.c.case_id == case_id)
            .order_by(proposal_decision.c.id))
    return [{"site_id": r.site_id, "decision": r.decision, "reason": r.reason, "decided_by": r.decided_by,
             "decided_at": r.decided_at.isoformat()} for r in (await session.execute(stmt)).all()]


# A live site (stored, not retired), written out literally rather than with bound parameters: the catalogue's
# partial indexes (orm.LIVE_SITE) carry the same predicate, and PostgreSQL uses a partial index only for a query
# whose condition it can prove implies the index's, which a parameter (in a generic prepared plan) hides.
LIVE = text(LIVE_SITE)


def _catalogue_filter(*, q: str, region: str | None, in_municipalities: list[str] | None,
                      elsewhere: tuple[list[str], list[str]] | None):
    """The conditions of the catalogue page beside being live: name or hotspot containing q, the region, the
    province (its municipalities; for a municipality code CBS does not know, the province as named)."""
    conditions = []
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(site.c.name.ilike(pattern), site.c.record["hotspot"].astext.ilike(pattern)))
    if region:
        conditions.append(site.c.region == region)
    if in_municipalities is not None:
        known, names = elsewhere or ([], [])
        conditions.append(or_(site.c.municipality_code.in_(in_municipalities),
                              and_(site.c.municipality_code.not_in(known), site.c.province.in_(names))))
    return and_(true(), *conditions)


async def province_spellings(session: AsyncSession) -> list[str]:
    """The distinct province names the catalogue's rows carry (a few: one per province and spelling)."""
    return list((await session.execute(select(site.c.province).distinct())).scalars())


async def catalogue_page(session: AsyncSession, *, q: str, region: str | None, in_municipalities: list[str] | None,
                         elsewhere: tuple[list[str], list[str]] | None, limit: int, offset: int):
    """(live sites in all, sites kept per municipality, one page of the kept rows by name): two statements over the
    live sites' partial indexes, whatever the catalogue's size, so the workbench never fetches the whole catalogue
    to show a page."""
    kept = _catalogue_filter(q=q, region=region, in_municipalities=in_municipalities, elsewhere=elsewhere)
    # One pass over the live sites counts both: all of them per municipality, and those the filters keep.
    per_municipality = (await session.execute(
        select(site.c.municipality_code, func.count(), func.count().filter(kept)).where(LIVE)
        .group_by(site.c.municipality_code))).all()
    total = sum(every for _, every, _ in per_municipality)
    counts = {code: n for code, _, n in per_municipality if n}
    rows = (await session.execute(select(site.c.record, site.c.source, site.c.updated_at).where(LIVE, kept)
                                  .order_by(func.lower(site.c.name), site.c.id).limit(limit).offset(offset))).all()
    return total, counts, list(rows)
