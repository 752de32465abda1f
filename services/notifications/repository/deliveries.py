"""Deliveries: the log of every mail, its state and attempts; budgets and digests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain import message_id
from services.notifications.orm import delivery, digest_item, recipient_budget

DIGEST_NAMESPACE = uuid.UUID("5b0c2a4e-7d1f-4c39-9a55-3f1f6d1e2b10")
CONNECTION_ERROR = "connection: "  # prefix of last_error for mails delayed by an unreachable server
QUEUED = ("pending", "sending")  # rows a sender may claim once no lease holds them


async def add_delivery(session: AsyncSession, *, event_id: UUID, case_id: UUID | None, recipient_code: str,
                       email: str, template: str, context: dict[str, Any]) -> bool:
    """Record a mail to send; False when this (event, recipient, template) is already recorded."""
    stmt = insert(delivery).values(
        event_id=event_id, case_id=case_id, recipient_code=recipient_code, recipient=email, template=template,
        context=context, message_id=message_id(event_id, recipient_code, template), subject="", body_text="",
        body_html="").on_conflict_do_nothing().returning(delivery.c.id)
    return (await session.execute(stmt)).first() is not None


async def use_budget(session: AsyncSession, recipient_code: str, period_start: datetime) -> int:
    """Count one budgeted mail for the recipient in this period; returns how many it has used now."""
    stmt = insert(recipient_budget).values(recipient_code=recipient_code, period_start=period_start, used=1)
    stmt = stmt.on_conflict_do_update(index_elements=[recipient_budget.c.recipient_code,
                                                      recipient_budget.c.period_start],
                                      set_={"used": recipient_budget.c.used + 1}).returning(recipient_budget.c.used)
    return (await session.execute(stmt)).scalar_one()


async def add_to_digest(session: AsyncSession, *, recipient_code: str, email: str, period_start: datetime,
                        due_at: datetime, event_id: UUID, case_id: UUID, context: dict[str, Any]) -> bool:
    """Put an item in the recipient's digest for the period; False when that digest has already gone out."""
    digest_id = uuid.uuid5(DIGEST_NAMESPACE, f"{recipient_code}/{period_start.isoformat()}")
    stmt = insert(delivery).values(
        event_id=digest_id, case_id=None, recipient_code=recipient_code, recipient=email, template="digest",
        context={"period_start": period_start.isoformat()}, next_attempt_at=due_at,
        message_id=message_id(digest_id, recipient_code, "digest"), subject="", body_text="", body_html="")
    # The no-op update locks the digest row, so the mailer cannot send it while this item is being added.
    stmt = stmt.on_conflict_do_update(constraint="uq_delivery_event_recipient_code",
                                      set_={"template": stmt.excluded.template})
    row = (await session.execute(stmt.returning(delivery.c.id, delivery.c.status, delivery.c.claim))).one()
    if row.status != "pending" or row.claim is not None:
        # Gone out, or a sender holds it (it may have rendered it already): the item is mailed on its own.
        return False
    await session.execute(insert(digest_item).values(delivery_id=row.id, event_id=event_id, case_id=case_id,
                                                     context=context).on_conflict_do_nothing())
    return True


async def claim_due(session: AsyncSession, limit: int, *, claim: UUID, lease: float):
    """Take due mails for one sender: they carry its claim and are not due for anyone else until the lease ends.

    Mails left in `sending` by a sender that died (its lease ran out) are among them: their fate is unknown, so
    they go again, with the same Message-ID.
    """
    due = (select(delivery.c.id).where(delivery.c.status.in_(QUEUED), delivery.c.next_attempt_at <= func.now())
           .order_by(delivery.c.next_attempt_at, delivery.c.id).limit(limit).with_for_update(skip_locked=True))
    stmt = (update(delivery).where(delivery.c.id.in_(due.scalar_subquery()))
            .values(claim=claim, next_attempt_at=_lease(lease)).returning(*delivery.c))
    return sorted((await session.execute(stmt)).mappings().all(), key=lambda r: r["id"])


def _lease(seconds: float):
    return func.now() + func.make_interval(0, 0, 0, 0, 0, 0, seconds)


async def renew_claim(session: AsyncSession, *, claim: UUID, lease: float) -> int:
    """The sender is alive: its claimed mails stay its own for another lease.

    Rows the sender is marking at this moment are skipped, not waited for: they get their lease from that mark,
    and taking their locks in another order than the mark does would deadlock with it.
    """
    held = (select(delivery.c.id).where(delivery.c.claim == claim, delivery.c.status.in_(QUEUED))
            .with_for_update(skip_locked=True))
    result = await session.execute(update(delivery).where(delivery.c.id.in_(held.scalar_subquery()))
                                   .values(next_attempt_at=_lease(lease)))
    return result.rowcount


async def hand_over(session: AsyncSession, *, sent: int | None, sending: int | None, claim: UUID,
                    lease: float) -> bool:
    """One commit between two SMTP transactions: the last mail is sent (its 250 came), the next one is sending.

    So at most one mail per connection has an unknown fate. False when the next mail is no longer this sender's
    (its lease ran out and another sender took it): then it must not be sent here.
    """
    if sent is not None:
        await mark_sent(session, [sent])
    if sending is None:
        return True
    stmt = (update(delivery).where(delivery.c.id == sending, delivery.c.claim == claim,
                                   delivery.c.status.in_(QUEUED))
            .values(status="sending", next_attempt_at=_lease(lease)).returning(delivery.c.id))
    return (await session.execute(stmt)).first() is not None


async def digest_items(session: AsyncSession, delivery_id: int):
    stmt = select(digest_item).where(digest_item.c.delivery_id == delivery_id).order_by(digest_item.c.id)
    return (await session.execute(stmt)).mappings().all()


async def postpone(session: AsyncSession, delivery_ids: list[int], seconds: float) -> None:
    """Try later without counting an attempt (e.g. waiting for the case's details)."""
    if delivery_ids:
        await session.execute(update(delivery).where(delivery.c.id.in_(delivery_ids)).values(
            next_attempt_at=datetime.now(UTC) + timedelta(seconds=seconds), claim=None))


async def delay_for_outage(session: AsyncSession, delivery_ids: list[int], *, error: str, base: float,
                           cap: float) -> None:
    """Back each mail off (base * 2^attempts, capped), in one statement: an outage must stay cheap."""
    if delivery_ids:
        seconds = func.least(cap, base * func.power(2, delivery.c.attempts))
        await session.execute(update(delivery).where(delivery.c.id.in_(delivery_ids)).values(
            attempts=delivery.c.attempts + 1, last_error=error[:500], status="pending", claim=None,
            next_attempt_at=func.now() + func.make_interval(0, 0, 0, 0, 0, 0, seconds)))


async def mark_rendered(session: AsyncSession, rendered: list[dict[str, Any]]) -> None:
    """Keep exactly what is sent, so the log shows it (one round trip for the whole batch)."""
    if rendered:
        stmt = update(delivery).where(delivery.c.id == bindparam("b_id")).values(
            recipient=bindparam("b_email"), subject=bindparam("b_subject"), body_text=bindparam("b_text"),
            body_html=bindparam("b_html"))
        await (await session.connection()).execute(stmt, [{f"b_{k}": v for k, v in r.items()} for r in rendered])


async def mark_sent(session: AsyncSession, delivery_ids: list[int]) -> None:
    if delivery_ids:
        await session.execute(update(delivery).where(delivery.c.id.in_(delivery_ids)).values(
            status="sent", sent_at=datetime.now(UTC), attempts=delivery.c.attempts + 1, last_error=None, claim=None))


async def mark_failed(session: AsyncSession, delivery_id: int, *, error: str, retry_in: float | None) -> None:
    """A transient failure is retried later; a permanent one (retry_in None) is dead."""
    values: dict[str, Any] = {"attempts": delivery.c.attempts + 1, "last_error": error[:500], "claim": None}
    if retry_in is None:
        values["status"] = "dead"
    else:
        values |= {"status": "pending", "next_attempt_at": datetime.now(UTC) + timedelta(seconds=retry_in)}
    await session.execute(update(delivery).where(delivery.c.id == delivery_id).values(**values))


async def release_after_outage(session: AsyncSession) -> int:
    """The server answers again: mails that only waited for it are due now, not at their backed-off time."""
    result = await session.execute(update(delivery).where(
        delivery.c.status == "pending", delivery.c.claim.is_(None), delivery.c.last_error.startswith(CONNECTION_ERROR),
        delivery.c.next_attempt_at > func.now()).values(next_attempt_at=func.now()))
    return result.rowcount


_LOG_COLUMNS = (delivery.c.id, delivery.c.event_id, delivery.c.case_id, delivery.c.recipient_code,
                delivery.c.recipient, delivery.c.template, delivery.c.subject, delivery.c.status,
                delivery.c.attempts, delivery.c.next_attempt_at, delivery.c.last_error, delivery.c.created_at,
                delivery.c.sent_at, delivery.c.message_id)


def _of_case(case_id: UUID):
    in_digest = exists().where(digest_item.c.delivery_id == delivery.c.id, digest_item.c.case_id == case_id)
    return or_(delivery.c.case_id == case_id, in_digest)


async def deliveries(session: AsyncSession, *, case_id: UUID | None = None, status: str | None = None,
                     recipient_code: str | None = None, template: str | None = None, limit: int = 100,
                     offset: int = 0):
    """The delivery log, newest first; a case's filter includes the digests that mention it."""
    stmt = select(*_LOG_COLUMNS).order_by(delivery.c.id.desc())
    if case_id is not None:
        stmt = stmt.where(_of_case(case_id))
    for column, value in ((delivery.c.status, status), (delivery.c.recipient_code, recipient_code),
                          (delivery.c.template, template)):
        if value is not None:
            stmt = stmt.where(column == value)
    return (await session.execute(stmt.limit(limit).offset(offset))).mappings().all()


async def delivery_detail(session: AsyncSession, delivery_id: int) -> dict | None:
    row = (await session.execute(select(delivery).where(delivery.c.id == delivery_id))).mappings().first()
    return dict(row) if row else None


async def notified_about(session: AsyncSession, case_id: UUID, recipient_code: str) -> bool:
    """Whether this recipient was (or is about to be) told about the case: only then may it reply."""
    stmt = select(exists().where(delivery.c.recipient_code == recipient_code, _of_case(case_id)))
    return bool(await session.scalar(stmt))


async def notified_sites(session: AsyncSession, case_id: UUID) -> dict[str, set[str]]:
    """Per recipient, the sites of this case it was already told about (mails and digest items)."""
    direct = select(delivery.c.recipient_code, delivery.c.context).where(
        delivery.c.case_id == case_id, delivery.c.template == "match_proposed")
    digested = select(delivery.c.recipient_code, digest_item.c.context).join(
        digest_item, digest_item.c.delivery_id == delivery.c.id).where(digest_item.c.case_id == case_id)
    out: dict[str, set[str]] = {}
    for stmt in (direct, digested):
        for code, context in (await session.execute(stmt)).all():
            out.setdefault(code, set()).update(p["site_id"] for p in context.get("proposals", ()))
    return out


async def summary(session: AsyncSession) -> list[dict]:
    """How many mails per template and status: the coordinator's first look (dead letters stand out)."""
    stmt = (select(delivery.c.template, delivery.c.status, func.count().label("count"))
            .group_by(delivery.c.template, delivery.c.status).order_by(delivery.c.template, delivery.c.status))
    return [dict(r) for r in (await session.execute(stmt)).mappings()]
