"""The catalogue refresh on real PostgreSQL: columns read set-wise, and after that only what changed, by the writing
transaction's number (not a time window)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
from sqlalchemy import text

from services.matching import repository
from services.matching.domain import Catalogue
from services.matching.domain.sites import MAX_GRADUATES, MAX_M2, MAX_MW
from services.matching.history import Author, history_entry
from services.matching.supply import Supply
from shared.db import make_engine, make_sessionmaker
from tests.unit.test_matching_domain import site

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
async def sessions(database_url):
    engine = make_engine(database_url, pool_size=3)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def prefix() -> str:
    return f"rf{uuid.uuid4().hex[:8]}-"


async def store(sessions, *sites) -> None:
    async with sessions() as session, session.begin():
        await repository.upsert_sites(session, list(sites), source="test")


async def refreshed(sessions, supply: Supply) -> int:
    async with sessions() as session, session.begin():
        return await supply.refresh(session)


def varied(prefix: str):
    """Sites that between them use every coded value and unknown: the columns read from the table must be the
    ones Catalogue.of computes from Site objects."""
    return [site(f"{prefix}a"),
            site(f"{prefix}b", region="zuid", cleanroom_iso_class=None, cleanroom_m2=None, cleanroom_facility="own",
                 vibration_free=None, environmental_category_max=None, grid_mw_available=None, grid_congestion=None,
                 graduates_wo=None, housing_pressure=None, accessibility=[], clusters=[], fieldlabs=[],
                 knowledge_distance_km=None, largest_lot_m2=None, labour_market_tightness=None),
            site(f"{prefix}c", region="west", province="Zuid-Holland", municipality_code="GM0503",
                 available_from="2027-03-01", planned_floor_space_m2=4_000, planned_available_from="2028-01-15",
                 grid_reinforcement_date="2027-09-01", grid_mw_after_reinforcement=12.5, grid_congestion="congested",
                 vibration_free=False, environmental_category_max="6", cleanroom_facility=None,
                 accessibility=["rail", "motorway", "port", "airport", "public-transport"],
                 clusters=["quantum-technologies", "cybersecurity-technologies", "energy-materials"]),
            # Names are free text: COPY's escapes and the separator of the labels' COPY must come back intact.
            site(f"{prefix}d", name="Tab\there, back\\slash, new\nline, unit\x1fseparator")]


async def test_the_columns_read_from_the_table_are_those_of_the_sites(sessions, prefix):
    sites = varied(prefix)
    await store(sessions, *sites)
    supply = Supply()
    await refreshed(sessions, supply)
    expected, got = Catalogue.of(sites), supply.catalogue
    rows = [got.index[s.id] for s in sites]
    for col, values in expected.cols.items():
        np.testing.assert_array_equal(got.cols[col][rows], values, err_msg=col)
        assert got.cols[col].dtype == values.dtype, col
    assert [got.labels[i] for i in rows] == expected.labels


async def test_after_a_change_the_refresh_reads_only_the_changed_row_even_with_an_older_timestamp(sessions, prefix):
    await store(sessions, *(site(f"{prefix}{i}") for i in range(20)))
    supply = Supply()
    assert await refreshed(sessions, supply) >= 20
    async with sessions() as session, session.begin():
        await repository.upsert_sites(session, [site(f"{prefix}7", grid_mw_available=42.0)], source="test")
        # A clock that went back (or a row copied in with its old time): a time window would never see it.
        await session.execute(text("UPDATE matching.site SET updated_at = '2001-01-01' WHERE id = :id"),
                              {"id": f"{prefix}7"})
    assert await refreshed(sessions, supply) == 1
    assert supply.catalogue.cols["mw_now"][supply.catalogue.index[f"{prefix}7"]] == 42.0


async def test_a_change_committed_late_by_a_slow_transaction_is_still_read(sessions, prefix):
    """The slow transaction writes first and commits last: a watermark at the highest change seen would skip it."""
    await store(sessions, site(f"{prefix}slow"), site(f"{prefix}fast"))
    supply = Supply()
    await refreshed(sessions, supply)
    async with sessions() as slow, slow.begin():
        await repository.upsert_sites(slow, [site(f"{prefix}slow", floor_space_m2=77_000)], source="test")
        await store(sessions, site(f"{prefix}fast", floor_space_m2=88_000))
        await refreshed(sessions, supply)
        cat = supply.catalogue
        assert cat.cols["floor_now"][cat.index[f"{prefix}fast"]] == 88_000
        assert cat.cols["floor_now"][cat.index[f"{prefix}slow"]] == 10_000
    await refreshed(sessions, supply)
    assert supply.catalogue.cols["floor_now"][supply.catalogue.index[f"{prefix}slow"]] == 77_000


async def test_retired_and_deleted_sites_leave_memory_and_new_ones_join(sessions, prefix):
    gone, retired = site(f"{prefix}gone"), site(f"{prefix}old")
    await store(sessions, gone, retired)
    supply = Supply()
    await refreshed(sessions, supply)
    async with sessions() as session, session.begin():
        await repository.delete_site(session, gone.id)
        await repository.record_site_changes(session, [history_entry(gone, None, Author("taskforce", "api"))])
        await repository.upsert_sites(session, [site(f"{prefix}old", retired=True), site(f"{prefix}new")],
                                      source="test")
    assert await refreshed(sessions, supply) == 3
    assert {gone.id, retired.id} & set(supply.catalogue.ids) == set()
    assert f"{prefix}new" in supply.catalogue.index
    assert supply.catalogue.ids[supply.catalogue.index[f"{prefix}new"]] == f"{prefix}new"


async def test_the_largest_values_a_site_may_have_fit_the_catalogue_s_packed_columns(sessions, prefix):
    """Found by fuzzing PUT /sites: a floor space of 1e39 m² passed the model and the trigger's 4-byte float
    refused it (500). The model's bounds keep every accepted value inside the packed columns."""
    largest = site(f"{prefix}max", floor_space_m2=MAX_M2, planned_floor_space_m2=MAX_M2,
                   planned_available_from="2030-01-01", largest_lot_m2=MAX_M2, cleanroom_m2=MAX_M2,
                   grid_mw_available=MAX_MW, grid_reinforcement_date="2030-01-01", grid_mw_after_reinforcement=MAX_MW,
                   graduates_mbo=MAX_GRADUATES, graduates_hbo=MAX_GRADUATES, graduates_wo=MAX_GRADUATES,
                   labour_market_tightness=1000, knowledge_distance_km=1000,
                   fieldlabs=[f"lab {i}" for i in range(1000)])
    await store(sessions, largest)
    supply = Supply()
    await refreshed(sessions, supply)
    cat = supply.catalogue
    assert cat.cols["floor_now"][cat.index[largest.id]] == np.float32(MAX_M2)
    assert cat.cols["fieldlabs"][cat.index[largest.id]] == 1000


async def test_a_deletion_alone_is_found_by_the_quick_check_and_leaves_memory(sessions, prefix):
    """A refresh first asks, in one statement, whether anything was written or deleted since its watermark; a
    deletion writes no site row (only its history), and must still make the refresh read."""
    gone = site(f"{prefix}gone")
    await store(sessions, gone, site(f"{prefix}stays"))
    supply = Supply()
    await refreshed(sessions, supply)
    async with sessions() as session, session.begin():
        await repository.delete_site(session, gone.id)
        await repository.record_site_changes(session, [history_entry(gone, None, Author("taskforce", "api"))])
    assert await refreshed(sessions, supply) >= 1
    assert gone.id not in supply.catalogue.index
    assert f"{prefix}stays" in supply.catalogue.index
