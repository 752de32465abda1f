"""Persistence for leads."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.orm import lead


async def add_lead(session: AsyncSession, **values) -> bool:
    """Insert a lead; False when this organisation already signalled this reference."""
    stmt = insert(lead).values(**values).on_conflict_do_nothing().returning(lead.c.id)
    return (await session.execute(stmt)).first() is not None


async def get_lead(session: AsyncSession, *, lead_id: UUID):
    return (await session.execute(select(lead).where(lead.c.id == lead_id))).first()
