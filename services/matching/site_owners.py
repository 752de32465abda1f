"""What the owners of supply do over HTTP: create, change, retire and delete sites, and read their history.

Who may: the coordinator any site; a municipality or province only the sites that lie in it, before and after
the change (domain/ownership.py). Deleting a wrong entry is the coordinator's alone. Every change is kept in
the site's history, goes out as site-changed and re-matches the open cases it could affect.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import domain, repository
from services.matching.coordinator import Problem
from services.matching.domain import ownership
from services.matching.handlers import SOURCE, Deps, apply_site_change, merged_site, remove_site
from services.matching.history import Author
from services.matching.views import SiteDeleted, SiteHistoryEntry, SiteWrite, history_entry
from shared.auth import Caller
from shared.contracts import SiteChanged, SiteChangedData


async def _stored(session: AsyncSession, site_id: str, *, lock: bool = False) -> domain.Site | None:
    return (await repository.sites_by_id(session, [site_id], lock=lock)).get(site_id)


async def stored_sites(session: AsyncSession, site_ids: list[str], *, lock: bool = False) -> dict[str, domain.Site]:
    return await repository.sites_by_id(session, site_ids, lock=lock)


def _may(caller: Caller, before: domain.Site | None, after: domain.Site | None) -> None:
    refused = ownership.refusal(caller.role, caller.organisation, before, after)
    if refused:
        raise Problem(403, f"{refused.field}: {refused.reason}", refusal=refused.facts)


async def change_site(session: AsyncSession, site_id: str, changed: dict, caller: Caller, *, deps: Deps,
                      replace: bool, reason: str = "") -> SiteWrite:
    """Create, replace or patch a site; emits site-changed and re-matches the open cases it could affect."""
    await deps.supply.refresh(session)
    before = await _stored(session, site_id, lock=True)
    if before is None and not replace:
        raise Problem(404, f"site_id: no site {site_id!r}; create it with PUT")
    _may(caller, before, None)  # another's site: 403 before anything about the body is said
    try:
        after = merged_site(None if replace else before, site_id, changed)
    except ValueError as err:
        raise Problem(422, str(err)) from None
    _may(caller, None, after)
    return await _apply(session, before, after, caller, deps=deps, reason=reason)


async def retire_site(session: AsyncSession, site_id: str, reason: str, caller: Caller, *, deps: Deps) -> SiteWrite:
    """Take a site out of supply: never proposed again, kept with its history; retiring it twice changes nothing."""
    await deps.supply.refresh(session)
    before = await _stored(session, site_id, lock=True)
    if before is None:
        raise Problem(404, f"site_id: no site {site_id!r}")
    _may(caller, before, None)
    return await _apply(session, before, before.model_copy(update={"retired": True}), caller, deps=deps,
                        reason=reason)


async def store(session: AsyncSession, before: domain.Site | None, after: domain.Site, caller: Caller, *,
                deps: Deps, source: str) -> SiteWrite:
    """One site of an upload, already checked against the owner rule: stored, emitted, re-matched."""
    return await _apply(session, before, after, caller, deps=deps, reason="", source=source)


async def _apply(session: AsyncSession, before: domain.Site | None, after: domain.Site, caller: Caller, *,
                 deps: Deps, reason: str, source: str | None = None) -> SiteWrite:
    diff = domain.changed_fields(before, after)
    rematched = []
    if diff:
        by = Author(caller.organisation, source=source or f"api:{caller.organisation}", role=caller.role,
                    reason=reason)
        rematched = await apply_site_change(session, before, after, deps=deps, by=by)
        await deps.runtime.outbox.add(session, SiteChanged(source=SOURCE, subject=after.id, data=SiteChangedData(
            site_id=after.id, changed=diff, changed_by=caller.organisation)))
    return SiteWrite(site=after, changed=sorted(diff), rematched_cases=rematched)


async def delete_site(session: AsyncSession, site_id: str, reason: str, caller: Caller, *, deps: Deps) -> SiteDeleted:
    """Remove a wrong entry (coordinator only): an audit row keeps every field it had; emits site-changed with
    `deleted` (and `retired: true` for readers that know only that) and re-matches the cases it was in."""
    await deps.supply.refresh(session)
    before = await _stored(session, site_id, lock=True)
    if before is None:
        raise Problem(404, f"site_id: no site {site_id!r}")
    by = Author(caller.organisation, source=f"api:{caller.organisation}", role=caller.role, reason=reason)
    rematched = await remove_site(session, before, deps=deps, by=by)
    await deps.runtime.outbox.add(session, SiteChanged(source=SOURCE, subject=site_id, data=SiteChangedData(
        site_id=site_id, changed={"retired": True}, changed_by=caller.organisation, deleted=True)))
    return SiteDeleted(site_id=site_id, rematched_cases=rematched)


async def history(session: AsyncSession, site_id: str, caller: Caller) -> list[SiteHistoryEntry]:
    """A site's changes, oldest first, for the coordinator and the site's own municipality or province (also
    after the site was deleted: the owners are those of its last change)."""
    rows = await repository.site_history(session, site_id)
    current = await _stored(session, site_id)
    if current is None and not rows:
        raise Problem(404, f"site_id: no site {site_id!r} and no history for it")
    owner = current or _last_place(rows[-1])
    if not ownership.owns(caller.role, caller.organisation, owner):
        raise Problem(403, f"site_id: the history of {site_id!r} is for the coordinator and "
                           f"{owner.municipality_code} ({owner.province}) only")
    return [history_entry(r) for r in rows]


def _last_place(row) -> domain.Site:
    """Enough of a deleted site to decide who owned it."""
    return domain.Site.model_construct(id=row.site_id, municipality_code=row.municipality_code, province=row.province)
