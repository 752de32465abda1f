"""The in-memory catalogue follows the site table by a watermark, without re-reading everything."""

from __future__ import annotations

from services.matching import supply as supply_module
from services.matching.domain import Catalogue
from services.matching.site_columns import Read
from tests.unit.test_matching_domain import site


async def test_the_supply_watermark_never_moves_back(monkeypatch):
    answers = iter([Read(Catalogue.of([site("aa")]), [], 1, 100), Read(Catalogue.empty(), [], 0, 90),
                    Read(Catalogue.of([site("aa", grid_mw_available=9.0)]), [], 1, 130)])
    asked: list = []

    async def read(_session, *, since=None):
        asked.append(since)
        return next(answers)

    async def changed_since(_session, since):  # an older transaction still running: a lower watermark
        return since - 20, True

    monkeypatch.setattr(supply_module.site_columns, "read", read)
    monkeypatch.setattr(supply_module.site_columns, "changed_since", changed_since)
    supply = supply_module.Supply()
    for _ in range(3):
        await supply.refresh(None)
    assert asked == [None, 100, 100]
    assert supply.catalogue.cols["mw_now"][supply.catalogue.index["aa"]] == 9.0


async def test_the_watermark_of_a_refresh_that_found_nothing_never_moves_back(monkeypatch):
    async def read(_session, *, since=None):
        return Read(Catalogue.of([site("aa")]), [], 1, 100)

    async def changed_since(_session, since):
        return 80, False

    monkeypatch.setattr(supply_module.site_columns, "read", read)
    monkeypatch.setattr(supply_module.site_columns, "changed_since", changed_since)
    supply = supply_module.Supply()
    await supply.refresh(None)
    assert await supply.refresh(None) == 0
    assert supply.watermark == 100


async def test_many_changes_apply_at_once_replacing_removing_and_appending(monkeypatch):
    cat = Catalogue.of([site("aa"), site("bb"), site("cc")])
    cat.apply(Catalogue.of([site("cc", floor_space_m2=1.0), site("dd")]), ["bb", "zz"])
    assert cat.ids == ["aa", "cc", "dd"] and cat.index == {"aa": 0, "cc": 1, "dd": 2}
    assert cat.cols["floor_now"].tolist() == [10_000, 1.0, 10_000]
    assert [label[0] for label in cat.labels] == ["Aa", "Cc", "Dd"]
    assert all(len(a) == 3 for a in cat.cols.values())



def test_the_migrated_trigger_computes_the_columns_the_loader_reads():
    """catalogue_row's layout lives twice (the migration's trigger, site_columns): they must agree."""
    import importlib.util
    from pathlib import Path

    from services.matching import site_columns

    path = Path(site_columns.__file__).parent / "migrations" / "versions" / "2026_12_01_site_catalogue_row.py"
    spec = importlib.util.spec_from_file_location("catalogue_row_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.PACKED == site_columns.packed_expression()
    assert site_columns.PACKED.itemsize == sum(4 if pg in ("float4", "int4") else 2
                                               for _, pg, _ in site_columns.COLUMNS)
