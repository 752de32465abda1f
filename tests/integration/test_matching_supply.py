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


async def test_a_deleted_reference_site_is_not_seeded_again_at_the_next_start(database_url):
    """Real PostgreSQL, in a transaction rolled back at the end: seeding is idempotent and respects deletions."""
    from services.matching import repository
    from services.matching.history import Author, history_entry

    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await repository.delete_site(session, "oost-kennispark")  # the shared database may be seeded already
            assert await supply_module.seed_reference(session) >= 1
            assert await supply_module.seed_reference(session) == 0
            (kennispark,) = (await repository.sites_by_id(session, ["oost-kennispark"])).values()
            await repository.delete_site(session, kennispark.id)
            await repository.record_site_changes(session, [history_entry(kennispark, None, Author("taskforce",
                                                                                                  "api:taskforce"))])
            assert await supply_module.seed_reference(session) == 0
            assert await repository.sites_by_id(session, ["oost-kennispark"]) == {}
            await session.rollback()
    finally:
        await engine.dispose()


async def test_seeded_reference_sites_go_out_as_site_changed_so_reporting_learns_the_catalogue(database_url):
    """A seeded site (new or updated) is announced like an import's: site-changed with every changed field."""
    from services.matching import repository

    class Box:
        def __init__(self) -> None:
            self.events = []

        async def add(self, session, evt) -> None:
            self.events.append(evt)

    engine = make_engine(database_url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            await repository.delete_site(session, "oost-kennispark")
            box = Box()
            assert await supply_module.seed_reference(session, outbox=box) >= 1
            (announced,) = [e for e in box.events if e.data.site_id == "oost-kennispark"]
            assert announced.topic == "site-changed" and announced.data.changed["region"] == "oost"
            assert "floor_space_m2" in announced.data.changed
            again = Box()
            assert await supply_module.seed_reference(session, outbox=again) == 0 and again.events == []
            await session.rollback()
    finally:
        await engine.dispose()
