"""The in-memory catalogue follows the site table by a watermark, without re-reading everything."""

from __future__ import annotations

from datetime import UTC, datetime

from services.matching import supply as supply_module
from tests.unit.test_matching_domain import site


async def test_the_supply_watermark_never_moves_back_when_nothing_changed(monkeypatch):
    stamp = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    answers = iter([([site("aa")], stamp), ([], None), ([site("aa", grid_mw_available=9.0)], stamp)])
    asked: list = []

    async def load_sites(_session, *, since=None):
        asked.append(since)
        return next(answers)

    monkeypatch.setattr(supply_module.repository, "load_sites", load_sites)
    supply = supply_module.Supply()
    for _ in range(3):
        await supply.refresh(None)
    assert asked == [None, stamp - supply_module.OVERLAP, stamp - supply_module.OVERLAP]
    assert supply.catalogue.cols["mw_now"][supply.catalogue.index["aa"]] == 9.0

