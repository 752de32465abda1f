"""Persistence for deliveries: the log of every email, its state and attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.orm import delivery


async def add_delivery(session: AsyncSession, **values) -> bool:
    """Record a mail to send; False when this (event, recipient, template) is already recorded."""
    stmt = insert(delivery).values(**values).on_conflict_do_nothing().returning(delivery.c.id)
    return (await session.execute(stmt)).first() is not None


async def claim_due(session: AsyncSession, limit: int):
    """Pending mails that are due, locked so that two senders never take the same one."""
    stmt = (select(delivery).where(delivery.c.status == "pending", delivery.c.next_attempt_at <= datetime.now(UTC))
            .order_by(delivery.c.id).limit(limit).with_for_update(skip_locked=True))
    return (await session.execute(stmt)).mappings().all()


async def mark_sent(session: AsyncSession, delivery_id: int) -> None:
    await session.execute(update(delivery).where(delivery.c.id == delivery_id).values(
        status="sent", sent_at=datetime.now(UTC), attempts=delivery.c.attempts + 1, last_error=None))


async def mark_failed(session: AsyncSession, delivery_id: int, *, error: str, retry_in: float | None) -> None:
    """A transient failure is retried later; a permanent one (retry_in None) is dead."""
    values = {"attempts": delivery.c.attempts + 1, "last_error": error[:500]}
    if retry_in is None:
        values["status"] = "dead"
    else:
        values["next_attempt_at"] = datetime.now(UTC) + timedelta(seconds=retry_in)
    await session.execute(update(delivery).where(delivery.c.id == delivery_id).values(**values))


async def deliveries(session: AsyncSession, *, case_id=None, limit: int = 100):
    stmt = select(delivery.c.id, delivery.c.event_id, delivery.c.case_id, delivery.c.recipient,
                  delivery.c.template, delivery.c.subject, delivery.c.status, delivery.c.attempts,
                  delivery.c.last_error, delivery.c.created_at, delivery.c.sent_at).order_by(delivery.c.id.desc())
    if case_id is not None:
        stmt = stmt.where(delivery.c.case_id == case_id)
    return (await session.execute(stmt.limit(limit))).mappings().all()
