"""The supply catalogue is refreshed once per transaction (a Kafka batch), not once per event."""

from datetime import UTC, datetime
from types import SimpleNamespace

from services.matching import supply as supply_module
from tests.unit.test_matching_domain import site


class Txn:
    """Stands for a SQLAlchemy transaction (weakly referenced by the supply)."""


def fake_session(txn):
    return SimpleNamespace(sync_session=SimpleNamespace(get_transaction=lambda: txn))


async def test_refresh_queries_once_per_transaction_and_again_in_the_next(monkeypatch):
    stamp = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    answers = iter([([site("aa")], stamp), ([site("aa", grid_mw_available=9.0)], stamp)])
    asked: list = []

    async def load_sites(_session, *, since=None):
        asked.append(since)
        return next(answers)

    monkeypatch.setattr(supply_module.repository, "load_sites", load_sites)
    supply = supply_module.Supply()
    first, second = Txn(), Txn()
    for _ in range(3):
        await supply.refresh(fake_session(first))
    assert asked == [None]
    await supply.refresh(fake_session(second))
    assert asked == [None, stamp - supply_module.OVERLAP]
    assert supply.catalogue.cols["mw_now"][supply.catalogue.index["aa"]] == 9.0


async def test_a_rolled_back_patch_reloads_everything_even_in_the_same_transaction(monkeypatch):
    stamp = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    asked: list = []

    async def load_sites(_session, *, since=None):
        asked.append(since)
        return [site("aa")], stamp

    monkeypatch.setattr(supply_module.repository, "load_sites", load_sites)
    supply = supply_module.Supply()
    txn = Txn()
    await supply.refresh(fake_session(txn))
    supply._invalidate(None)
    await supply.refresh(fake_session(txn))
    assert asked == [None, None]
