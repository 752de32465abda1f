"""The in-memory catalogue and the site table on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.matching import supply as supply_module
from shared.db import make_engine, make_sessionmaker
from tests.unit.test_matching_domain import site

pytestmark = pytest.mark.integration


async def test_a_rolled_back_patch_makes_the_next_refresh_reload_everything(database_url):
    """Real PostgreSQL: the in-memory patch made inside a failed transaction does not survive it."""
    engine = make_engine(database_url, pool_size=1)
    sessions = make_sessionmaker(engine)
    supply = supply_module.Supply()
    supply.watermark = datetime(2026, 11, 30, tzinfo=UTC)
    try:
        async with sessions() as session:
            async with session.begin():
                supply.patch(site("ghost"), session)
                await session.rollback()
    finally:
        await engine.dispose()
    assert supply.watermark is None
