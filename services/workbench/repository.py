"""Persistence of sessions and audit entries (the workbench's own schema only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.workbench.orm import audit_entry, web_session


async def add_session(session: AsyncSession, *, id_hash: str, username: str, role: str, organisation: str,
                      name: str, now: datetime, expires_at: datetime, id_token: str | None = None) -> None:
    await session.execute(insert(web_session).values(id_hash=id_hash, username=username, role=role,
                                                     organisation=organisation, name=name[:200], created_at=now,
                                                     last_seen_at=now, expires_at=expires_at, id_token=id_token))


async def live_session(session: AsyncSession, *, id_hash: str, now: datetime, idle_since: datetime):
    """The session with this id if it has not ended, expired or idled out; its last use becomes now."""
    row = (await session.execute(
        update(web_session)
        .where(web_session.c.id_hash == id_hash, web_session.c.ended_at.is_(None),
               web_session.c.expires_at > now, web_session.c.last_seen_at > idle_since)
        .values(last_seen_at=now).returning(web_session))).first()
    return row


async def end_session(session: AsyncSession, *, id_hash: str, now: datetime) -> str | None:
    """End the session; returns its ID token (None for a local sign-in, or a session that had ended already).

    The token is cleared as the session ends: RETURNING would show the new row, so the old one is read beside it.
    """
    before = (select(web_session.c.id_hash, web_session.c.id_token)
              .where(web_session.c.id_hash == id_hash).with_for_update().subquery())
    return (await session.execute(
        update(web_session).where(web_session.c.id_hash == before.c.id_hash, web_session.c.ended_at.is_(None))
        .values(ended_at=now, id_token=None).returning(before.c.id_token))).scalar_one_or_none()


async def audit(session: AsyncSession, *, username: str, role: str | None, organisation: str | None, action: str,
                target: str, outcome: str, details: dict[str, Any]) -> None:
    await session.execute(insert(audit_entry).values(username=username[:64], role=role, organisation=organisation,
                                                     action=action, target=target[:200], outcome=outcome,
                                                     details=details))


async def audit_trail(session: AsyncSession, *, username: str | None = None, limit: int = 100) -> list:
    stmt = select(audit_entry).order_by(audit_entry.c.id.desc()).limit(limit)
    if username is not None:
        stmt = stmt.where(audit_entry.c.username == username)
    return list((await session.execute(stmt)).all())
