"""Case profiles: what notifications knows of a case (code name, domains, origin, demand, consent)."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Text, cast, func, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.orm import case_profile as table
from services.notifications.orm import delivery, digest_item

ERASED = "(gewist op verzoek)"


async def lock_case(session: AsyncSession, case_id: UUID) -> dict | None:
    """The profile, locked for this transaction (events of one case on other topics wait their turn)."""
    # Create the row first so that two first events of a case serialise on it instead of racing.
    await session.execute(insert(table).values(case_id=case_id).on_conflict_do_nothing())
    row = (await session.execute(select(table).where(table.c.case_id == case_id).with_for_update())).mappings().one()
    return dict(row)


async def save_case(session: AsyncSession, case_id: UUID, **values: Any) -> None:
    if values:
        await session.execute(table.update().where(table.c.case_id == case_id)
                              .values(**values, updated_at=datetime.now(UTC)))


async def case_profile(session: AsyncSession, case_id: UUID | None) -> dict | None:
    if case_id is None:
        return None
    row = (await session.execute(select(table).where(table.c.case_id == case_id))).mappings().first()
    return dict(row) if row else None


async def profiles(session: AsyncSession, case_ids: list[UUID]) -> dict[UUID, dict]:
    rows = (await session.execute(select(table).where(table.c.case_id.in_(case_ids)))).mappings()
    return {r["case_id"]: dict(r) for r in rows}


async def redact_case_mails(session: AsyncSession, case_id: UUID, secrets: list[str]) -> int:
    """Replace every occurrence of the case's identity in its mails kept in the delivery log (and digest items):
    as text, as HTML-escaped text and as a JSON string. Returns how many mails held it."""
    touched: set[int] = set()
    for secret in secrets:
        as_json = json.dumps(secret, ensure_ascii=False)[1:-1]
        changed = await session.execute(
            update(delivery).where(delivery.c.case_id == case_id,
                                   or_(delivery.c.subject.contains(secret), delivery.c.body_text.contains(secret),
                                       delivery.c.body_html.contains(html.escape(secret)),
                                       cast(delivery.c.context, Text).contains(as_json)))
            .values(subject=func.replace(delivery.c.subject, secret, ERASED),
                    body_text=func.replace(delivery.c.body_text, secret, ERASED),
                    body_html=func.replace(delivery.c.body_html, html.escape(secret), ERASED),
                    context=cast(func.replace(cast(delivery.c.context, Text), as_json, ERASED), JSONB))
            .returning(delivery.c.id))
        touched |= set(changed.scalars())
        await session.execute(
            update(digest_item).where(digest_item.c.case_id == case_id,
                                      cast(digest_item.c.context, Text).contains(as_json))
            .values(context=cast(func.replace(cast(digest_item.c.context, Text), as_json, ERASED), JSONB)))
    return len(touched)
