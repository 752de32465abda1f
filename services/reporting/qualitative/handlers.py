"""On lead-signalled and consent-granted: keep keyed hashes of the company's name (never the name itself)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.qualitative import repository
from services.reporting.qualitative.domain import name_digests
from shared.contracts import ConsentGranted, LeadSignalled
from shared.messaging import Item

NAMED_TOPICS = (LeadSignalled.topic, ConsentGranted.topic)


def _name(evt) -> str | None:
    if isinstance(evt, LeadSignalled):
        return evt.data.company.name
    if isinstance(evt, ConsentGranted):
        return evt.data.company_name
    return None


def remember_company_names(key: bytes):
    """The batch effect that lets the review recognise a known company's name in a note."""

    async def effect(session: AsyncSession, items: list[Item]) -> None:
        digests = set()
        for _, evt in items:
            name = _name(evt)
            if name:
                digests |= name_digests(name, key)
        await repository.remember_names(session, digests)

    return effect


def chain(*effects):
    """Several effects of one batch, in its one transaction."""

    async def effect(session: AsyncSession, items: list[Item]) -> None:
        for each in effects:
            await each(session, items)

    return effect
