"""Persistence for sites and case matches."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.domain import Site
from services.matching.orm import case_match, site

REFERENCE_SITES = Path(__file__).parent / "data" / "sites.json"


def reference_sites() -> list[dict]:
    return json.loads(REFERENCE_SITES.read_text())["sites"]


async def upsert_sites(session: AsyncSession, rows: list[dict]) -> None:
    stmt = insert(site).values(rows)
    cols = {c: stmt.excluded[c] for c in rows[0] if c != "id"}
    await session.execute(stmt.on_conflict_do_update(index_elements=[site.c.id], set_=cols))


async def all_sites(session: AsyncSession) -> list[Site]:
    rows = (await session.execute(select(site).order_by(site.c.id))).mappings()
    return [Site(id=r["id"], name=r["name"], region=r["region"], province=r["province"],
                 municipality_code=r["municipality_code"], floor_space_m2=r["floor_space_m2"],
                 grid_mw_available=r["grid_mw_available"], cleanroom_iso_class=r["cleanroom_iso_class"],
                 clusters=frozenset(r["clusters"])) for r in rows]


async def record_match(session: AsyncSession, **values) -> bool:
    stmt = insert(case_match).values(**values).on_conflict_do_nothing().returning(case_match.c.case_id)
    return (await session.execute(stmt)).first() is not None


async def get_match(session: AsyncSession, case_id):
    return (await session.execute(select(case_match).where(case_match.c.case_id == case_id))).mappings().first()
