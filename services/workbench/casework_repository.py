"""Persistence of the taskforce's case work: owners, notes, reminders and the mails sent of them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from services.workbench.casework import Note, Reminder
from services.workbench.orm import case_note, case_owner, follow_up, follow_up_mail


async def assign(session: AsyncSession, *, case_id: UUID, owner: str, by: str, now: datetime) -> str | None:
    """Make `owner` the case's owner; returns who owned it before (None: nobody)."""
    before = (await session.execute(select(case_owner.c.owner).where(case_owner.c.case_id == case_id)
                                    .with_for_update())).scalar()
    statement = upsert(case_owner).values(case_id=case_id, owner=owner, assigned_by=by, assigned_at=now)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[case_owner.c.case_id],
        set_={"owner": owner, "assigned_by": by, "assigned_at": now}))
    return before


async def owner_of(session: AsyncSession, case_id: UUID) -> dict[str, Any] | None:
    row = (await session.execute(select(case_owner).where(case_owner.c.case_id == case_id))).first()
    return dict(row._mapping) if row else None


async def owners(session: AsyncSession, case_ids: Iterable[UUID]) -> dict[str, str]:
    """Owner per case id (as text, the way the board has intake's ids)."""
    rows = await session.execute(select(case_owner.c.case_id, case_owner.c.owner)
                                 .where(case_owner.c.case_id.in_(list(case_ids))))
    return {str(case_id): owner for case_id, owner in rows}


async def owned_cases(session: AsyncSession, owner: str | None = None) -> list[str]:
    """The ids of the cases `owner` owns, or of every case with an owner (None): the board's owner filter."""
    stmt = select(case_owner.c.case_id)
    if owner is not None:
        stmt = stmt.where(case_owner.c.owner == owner)
    return [str(case_id) for case_id in (await session.execute(stmt)).scalars()]


async def add_note(session: AsyncSession, *, case_id: UUID, author: str, contact: str, contact_on: date,
                   text: str, now: datetime) -> UUID:
    note_id = uuid.uuid4()
    await session.execute(insert(case_note).values(id=note_id, case_id=case_id, author=author, contact=contact,
                                                   contact_on=contact_on, text=text, created_at=now))
    return note_id


async def note(session: AsyncSession, *, case_id: UUID, note_id: UUID) -> Note | None:
    row = (await session.execute(select(case_note).where(case_note.c.id == note_id,
                                                         case_note.c.case_id == case_id))).first()
    return Note(**row._mapping) if row else None


async def notes(session: AsyncSession, case_id: UUID) -> list[Note]:
    rows = await session.execute(select(case_note).where(case_note.c.case_id == case_id)
                                 .order_by(case_note.c.created_at))
    return [Note(**r._mapping) for r in rows]


async def edit_note(session: AsyncSession, *, note_id: UUID, author: str, contact: str, contact_on: date,
                    text: str, now: datetime) -> bool:
    """Change a note, only when `author` wrote it (the condition is in the statement, not only in the page)."""
    done = await session.execute(update(case_note).where(case_note.c.id == note_id, case_note.c.author == author)
                                 .values(contact=contact, contact_on=contact_on, text=text, edited_at=now))
    return done.rowcount == 1


async def add_reminder(session: AsyncSession, *, case_id: UUID, due_on: date, text: str, by: str,
                       now: datetime) -> UUID:
    reminder_id = uuid.uuid4()
    await session.execute(insert(follow_up).values(id=reminder_id, case_id=case_id, due_on=due_on, text=text,
                                                   created_by=by, created_at=now))
    return reminder_id


def _reminder(row) -> Reminder:
    m = row._mapping
    return Reminder(id=m["id"], case_id=m["case_id"], due_on=m["due_on"], text=m["text"],
                    created_by=m["created_by"], done_at=m["done_at"])


async def reminders(session: AsyncSession, case_id: UUID) -> list[Reminder]:
    rows = await session.execute(select(follow_up).where(follow_up.c.case_id == case_id)
                                 .order_by(follow_up.c.due_on))
    return [_reminder(r) for r in rows]


async def open_reminders(session: AsyncSession, case_ids: Iterable[UUID]) -> list[Reminder]:
    rows = await session.execute(select(follow_up).where(follow_up.c.case_id.in_(list(case_ids)),
                                                         follow_up.c.done_at.is_(None)))
    return [_reminder(r) for r in rows]


async def finish_reminder(session: AsyncSession, *, case_id: UUID, reminder_id: UUID, by: str,
                          now: datetime) -> bool:
    done = await session.execute(update(follow_up).where(follow_up.c.id == reminder_id,
                                                         follow_up.c.case_id == case_id,
                                                         follow_up.c.done_at.is_(None))
                                 .values(done_at=now, done_by=by))
    return done.rowcount == 1


async def due_reminders(session: AsyncSession, today: date) -> list[tuple[Reminder, str | None]]:
    """Open reminders due today or earlier, each with its case's owner (None: nobody owns the case)."""
    rows = await session.execute(
        select(follow_up, case_owner.c.owner)
        .outerjoin(case_owner, case_owner.c.case_id == follow_up.c.case_id)
        .where(follow_up.c.done_at.is_(None), follow_up.c.due_on <= today)
        .order_by(follow_up.c.due_on, follow_up.c.id))
    return [(_reminder(r), r.owner) for r in rows]


async def claim_mail(session: AsyncSession, *, reminder_id: UUID, today: date, recipient: str) -> bool:
    """Claim today's mail of this reminder. True once per reminder per day: a second run (or one running beside
    it, which waits on the key until this transaction ends) finds the row and gets False."""
    claimed = await session.execute(upsert(follow_up_mail)
                                    .values(follow_up_id=reminder_id, mailed_on=today, recipient=recipient)
                                    .on_conflict_do_nothing().returning(follow_up_mail.c.follow_up_id))
    return claimed.first() is not None
