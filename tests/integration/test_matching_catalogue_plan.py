"""The workbench's catalogue page on real PostgreSQL reads the live sites' partial indexes: its page of sites in
name order straight from `ix_site_live_by_name` (no sort of the whole catalogue) and its counts per municipality
from `ix_site_live_municipality` (no site's record read), for the very statements `catalogue_page` sends."""

from __future__ import annotations

import uuid

import pytest

from services.matching import repository
from shared.db import make_sessionmaker
from tests.plans import plans_of
from tests.unit.test_matching_domain import site

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.mark.parametrize("region", [None, "oost"])
async def test_the_catalogue_page_reads_the_live_sites_indexes(engine, region):
    prefix = f"plan{uuid.uuid4().hex[:6]}-"
    async with make_sessionmaker(engine)() as session, session.begin():
        await repository.upsert_sites(session, [site(f"{prefix}{i}") for i in range(30)], source="test")
    counts, page = await plans_of(engine, lambda session: repository.catalogue_page(
        session, q="", region=region, in_municipalities=None, elsewhere=None, limit=100, offset=0))
    assert "ix_site_live_municipality" in counts, counts
    assert "ix_site_live_by_name" in page and "Sort" not in page, page
