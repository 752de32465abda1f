"""On lead-registered: keep the keyed hashes of the company's name intake put in it (never the name itself)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.qualitative import repository
from shared.contracts import LeadRegistered
from shared.messaging import Item

NAMED_TOPICS = (LeadRegistered.topic,)


def remember_company_names():
    """The batch effect that lets the review recognise a known company's name in a note."""

    async def effect(session: AsyncSession, items: list[Item]) -> None:
        digests = {d for _, evt in items if isinstance(evt, LeadRegistered) for d in evt.data.name_digests}
        await repository.remember_names(session, digests)

    return effect


def chain(*effects):
    """Several effects of one batch, in its one transaction."""

    async def effect(session: AsyncSession, items: list[Item]) -> None:
        for each in effects:
            await each(session, items)

    return effect
