"""The supply catalogue is refreshed once per transaction (a Kafka batch), not once per event."""

from types import SimpleNamespace

from services.matching import supply as supply_module
from services.matching.domain import Catalogue
from services.matching.site_columns import Read
from tests.unit.test_matching_domain import site


class Txn:
    """Stands for a SQLAlchemy transaction (weakly referenced by the supply)."""


def fake_session(txn):
    return SimpleNamespace(sync_session=SimpleNamespace(get_transaction=lambda: txn))


async def test_refresh_queries_once_per_transaction_and_again_in_the_next(monkeypatch):
    answers = iter([Read(Catalogue.of([site("aa")]), [], 1, 100),
                    Read(Catalogue.of([site("aa", grid_mw_available=9.0)]), [], 1, 120)])
    asked: list = []

    async def read(_session, *, since=None):
        asked.append(since)
        return next(answers)

    async def changed_since(_session, since):
        return since + 5, True

    monkeypatch.setattr(supply_module.site_columns, "read", read)
    monkeypatch.setattr(supply_module.site_columns, "changed_since", changed_since)
    supply = supply_module.Supply()
    first, second = Txn(), Txn()
    for _ in range(3):
        await supply.refresh(fake_session(first))
    assert asked == [None]
    await supply.refresh(fake_session(second))
    assert asked == [None, 100]
    assert supply.catalogue.cols["mw_now"][supply.catalogue.index["aa"]] == 9.0


async def test_a_rolled_back_patch_reloads_everything_even_in_the_same_transaction(monkeypatch):
    asked: list = []

    async def read(_session, *, since=None):
        asked.append(since)
        return Read(Catalogue.of([site("aa")]), [], 1, 100)

    monkeypatch.setattr(supply_module.site_columns, "read", read)
    supply = supply_module.Supply()
    txn = Txn()
    await supply.refresh(fake_session(txn))
    supply._invalidate(None)
    await supply.refresh(fake_session(txn))
    assert asked == [None, None]


async def test_a_refresh_that_finds_nothing_changed_reads_nothing_and_moves_its_watermark_on(monkeypatch):
    """Most refreshes (one per Kafka batch) find nothing: one question, no copy of the table."""
    reads: list = []
    asked: list = []

    async def read(_session, *, since=None):
        reads.append(since)
        return Read(Catalogue.of([site("aa")]), [], 1, 100)

    async def changed_since(_session, since):
        asked.append(since)
        return (130, False) if len(asked) == 1 else (150, True)

    monkeypatch.setattr(supply_module.site_columns, "read", read)
    monkeypatch.setattr(supply_module.site_columns, "changed_since", changed_since)
    supply = supply_module.Supply()
    await supply.refresh(fake_session(Txn()))
    assert await supply.refresh(fake_session(Txn())) == 0
    assert (reads, asked, supply.watermark) == ([None], [100], 130)
    await supply.refresh(fake_session(Txn()))
    assert (reads, asked) == ([None, 130], [100, 130])
