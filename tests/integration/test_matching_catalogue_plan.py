"""The workbench's catalogue page on real PostgreSQL reads the live sites' partial indexes: its page of sites in
name order straight from `ix_site_live_by_name` (no sort of the whole catalogue) and its counts per municipality
from `ix_site_live_municipality` (no site's record read), for the very statements `catalogue_page` sends."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event

from services.matching import repository
from shared.db import make_engine, make_sessionmaker
from tests.unit.test_matching_domain import site

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
async def engine(database_url):
    engine = make_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


async def plans_of_the_catalogue_page(engine, **filters) -> list[str]:
    """EXPLAIN of each statement catalogue_page sends, with its parameters, scans and sorts priced out (the test's
    table is small, where a scan and a sort would win and hide whether an index can serve the statement at all)."""
    sent: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with make_sessionmaker(engine)() as session:
            await repository.catalogue_page(session, q=filters.get("q", ""), region=filters.get("region"),
                                            in_municipalities=None, elsewhere=None, limit=100, offset=0)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    plans = []
    async with engine.connect() as conn:
        for costly in ("enable_seqscan", "enable_sort", "enable_bitmapscan"):
            await conn.exec_driver_sql(f"SET {costly} = off")
        for statement, parameters in sent:
            rows = (await conn.exec_driver_sql("EXPLAIN " + statement, parameters)).all()
            plans.append("\n".join(r[0] for r in rows))
    return plans


@pytest.mark.parametrize("filters", [{}, {"region": "oost"}])
async def test_the_catalogue_page_reads_the_live_sites_indexes(engine, filters):
    prefix = f"plan{uuid.uuid4().hex[:6]}-"
    async with make_sessionmaker(engine)() as session, session.begin():
        await repository.upsert_sites(session, [site(f"{prefix}{i}") for i in range(30)], source="test")
    counts, page = await plans_of_the_catalogue_page(engine, **filters)
    assert "ix_site_live_municipality" in counts, counts
    assert "ix_site_live_by_name" in page and "Sort" not in page, page
