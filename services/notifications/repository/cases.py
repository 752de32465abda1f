"""Case profiles: what notifications knows of a case (code name, domains, origin, demand, consent)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.orm import case_profile as table


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
