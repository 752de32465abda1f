"""Persistence of the coordinator's notes and of the keyed hashes of known company names."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.orm import known_name, qualitative_note


async def remember_names(session: AsyncSession, digests: Iterable[str]) -> None:
    rows = [{"digest": d} for d in set(digests)]
    if rows:
        await session.execute(insert(known_name).values(rows).on_conflict_do_nothing())


async def known(session: AsyncSession) -> set[str]:
    return set((await session.scalars(select(known_name.c.digest))).all())


async def add_note(session: AsyncSession, *, kind: str, period: str, case_id: uuid.UUID | None, text: str,
                   written_by: str) -> dict:
    note_id = uuid.uuid4()
    await session.execute(insert(qualitative_note).values(id=note_id, kind=kind, period=period, case_id=case_id,
                                                          text=text, written_by=written_by))
    return await note(session, note_id)


async def note(session: AsyncSession, note_id: uuid.UUID) -> dict | None:
    row = (await session.execute(select(qualitative_note).where(qualitative_note.c.id == note_id))).first()
    return dict(row._mapping) if row else None


async def change_text(session: AsyncSession, note_id: uuid.UUID, text: str) -> None:
    """A changed text must be reviewed again."""
    await session.execute(update(qualitative_note).where(qualitative_note.c.id == note_id).values(
        text=text, reviewed_by=None, reviewed_at=None))


async def mark_reviewed(session: AsyncSession, note_id: uuid.UUID, reviewed_by: str | None) -> None:
    await session.execute(update(qualitative_note).where(qualitative_note.c.id == note_id).values(
        reviewed_by=reviewed_by, reviewed_at=func.now() if reviewed_by else None))


async def notes(session: AsyncSession, *, period: str | None = None, reviewed_only: bool = False) -> list[dict]:
    stmt = select(qualitative_note).order_by(qualitative_note.c.period, qualitative_note.c.kind,
                                             qualitative_note.c.written_at)
    if period:
        stmt = stmt.where(qualitative_note.c.period == period)
    if reviewed_only:
        stmt = stmt.where(qualitative_note.c.reviewed_at.is_not(None))
    return [dict(r._mapping) for r in await session.execute(stmt)]
