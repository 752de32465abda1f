"""The catalogue a page at a time, for the workbench's site catalogue: counts per municipality for its map and one
page of sites for its table, filtered in the database (three statements whatever the catalogue's size)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import repository
from services.matching.views import SiteListing, site_view
from shared.contracts.geography import municipalities, province_code


async def listing(session: AsyncSession, *, q: str, region: str | None, province: str | None, limit: int,
                  offset: int) -> SiteListing:
    in_municipalities = elsewhere = None
    if province:
        every = municipalities()
        in_municipalities = [code for code, (_, pv) in every.items() if pv == province]
        names = [n for n in await repository.province_spellings(session) if province_code(n) == province]
        elsewhere = (list(every), names)
    total, counts, rows = await repository.catalogue_page(session, q=q, region=region,
                                                          in_municipalities=in_municipalities, elsewhere=elsewhere,
                                                          limit=limit, offset=offset)
    return SiteListing(total=total, kept=sum(counts.values()), per_municipality=counts,
                       sites=[site_view(r) for r in rows])
