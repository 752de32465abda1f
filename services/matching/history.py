"""The sites' change history: every change (API, import, event, reference seed) with who, when and what."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import domain, repository


@dataclass(frozen=True)
class Author:
    """Who changes a site: an organisation (with its role over HTTP), through which channel, and why."""

    organisation: str
    source: str
    role: str | None = None
    reason: str = ""


def history_entry(before: domain.Site | None, after: domain.Site | None, by: Author) -> dict | None:
    """The history row of a change (None when nothing changed); it keeps the site's owners at the time, so a
    deleted site's history stays readable to them."""
    changes = domain.field_changes(before, after)
    if not changes:
        return None
    now = after or before
    return {"site_id": now.id, "action": domain.action_of(before, after), "changed_by": by.organisation,
            "role": by.role, "source": by.source, "municipality_code": now.municipality_code,
            "province": now.province, "changes": changes, "reason": by.reason}


async def store_sites(session: AsyncSession, changes: list[tuple[domain.Site | None, domain.Site]],
                      by: Author) -> int:
    """Upsert the sites that changed and append each change to its history, in the same transaction; returns
    how many changed."""
    entries = [(after, entry) for before, after in changes if (entry := history_entry(before, after, by))]
    await repository.upsert_sites(session, [after for after, _ in entries], source=by.source)
    await repository.record_site_changes(session, [entry for _, entry in entries])
    return len(entries)
