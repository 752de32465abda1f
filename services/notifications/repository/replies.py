"""Replies: one current answer per (case, recipient, site); a changed answer replaces the old one."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.orm import recipient
from services.notifications.orm import reply as table


async def record_reply(session: AsyncSession, *, case_id: UUID, recipient_code: str, site_id: str | None,
                       response: str, message: str, via: str) -> bool:
    """Store the answer; False when it is identical to the current one (a double click changes nothing)."""
    key = {"case_id": case_id, "recipient_code": recipient_code, "site_key": site_id or ""}
    current = (await session.execute(select(table.c.response, table.c.message).filter_by(**key)
                                     .with_for_update())).first()
    if current and (current.response, current.message) == (response, message):
        return False
    values = {"response": response, "message": message, "via": via, "updated_at": datetime.now(UTC)}
    stmt = insert(table).values(**key, **values)
    await session.execute(stmt.on_conflict_do_update(constraint="uq_reply_case_id", set_=values))
    return True


async def replies_of_case(session: AsyncSession, case_id: UUID) -> list[dict]:
    """The current answers about a case, newest first, with the recipient's name from the directory."""
    stmt = (select(table.c.case_id, table.c.recipient_code, recipient.c.name.label("recipient_name"),
                   table.c.site_key, table.c.response, table.c.message, table.c.via, table.c.created_at,
                   table.c.updated_at)
            .select_from(table.outerjoin(recipient, recipient.c.code == table.c.recipient_code))
            .where(table.c.case_id == case_id).order_by(table.c.updated_at.desc(), table.c.id.desc()))
    return [dict(r) for r in (await session.execute(stmt)).mappings()]
