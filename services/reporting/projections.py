"""Figures "as of" dates, computed from the stored facts, with a cache that any new fact invalidates."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import date
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting import repository
from services.reporting.domain.disclosure import LABELS, impact_rows, publish
from services.reporting.domain.figures import Figures, figures_of
from services.reporting.domain.periods import TARGETS, cutoff, pro_rata_target, programme_periods
from services.reporting.domain.projection import Timeline

log = structlog.get_logger()


class Projections:
    """Reads the fact table; figures for a date are recomputed only when a fact from before it has arrived.

    Live events carry recent event times, so figures as of past reporting moments stay cached while the
    stream flows; a late event or a rebuild (every fact stored anew) invalidates exactly what it touches.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, cache_size: int = 64) -> None:
        self.sessions = sessions
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[date, ...], tuple[int, dict[date, Figures]]] = OrderedDict()

    async def figures(self, dates: list[date]) -> dict[date, Figures]:
        """Figures at the end of each date, from one pass over the facts."""
        key = tuple(sorted(set(dates)))
        if not key:
            return {}
        before = cutoff(key[-1])
        async with self.sessions() as session:
            cached = self._cache.get(key)
            if cached and not await repository.changed_before(session, since_seq=cached[0], before=before):
                self._cache.move_to_end(key)
                return cached[1]
            seq = await repository.watermark(session)  # read first: a fact stored meanwhile only forces a redo
            timeline = Timeline(key, figures_of)
            async for f in repository.facts_until(session, before):
                timeline.feed(f)
            result = timeline.finish()
        self._cache[key] = (seq, result)
        self._cache.move_to_end(key)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    def forget(self) -> None:
        """Drop every cached figure (e.g. to measure computing them from the facts)."""
        self._cache.clear()

    async def published(self, as_of: date) -> dict[str, Any]:
        """The ministry's view of every figure as of a date."""
        return publish((await self.figures([as_of]))[as_of])

    async def trend(self, as_of: date) -> list[dict[str, Any]]:
        """The impact table at the end of each half-year of 2025-2028, beside its pro-rata target.

        Up to `as_of` (the half-year under way cut at `as_of`); later half-years show their targets only.
        """
        return (await self.with_trend(as_of))[1]

    async def with_trend(self, as_of: date) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The published figures as of a date and the trend up to it, from one pass over the facts."""
        ends = {p.name: min(p.end, as_of) for p in programme_periods() if p.start <= as_of}
        computed = await self.figures([*ends.values(), as_of])
        trend = [{"period": name, "as_of": end.isoformat(), "impact": impact_rows(computed[end])}
                 for name, end in ends.items()]
        return publish(computed[as_of]), trend + future_targets(as_of)


def future_targets(as_of: date) -> list[dict[str, Any]]:
    """The half-years after `as_of`: no figures yet, only the pro-rata targets due by their end."""
    return [{"period": p.name, "as_of": p.end.isoformat(), "future": True,
             "impact": [{"indicator": name, "label": LABELS[name], "value": None, "suppressed": False,
                         "target_pro_rata": round(pro_rata_target(name, p.end), 2), "target_2028": target,
                         "share_of_pro_rata": None} for name, target in TARGETS.items()]}
            for p in programme_periods() if p.start > as_of]


async def keep_warm(projections: Projections, every_seconds: float) -> None:
    """Keep today's figures and the half-years' trend computed, so the dashboard rarely waits for a fold.

    Cheap when nothing changed (the freshness check is one indexed query); a failure is logged and retried.
    """
    while True:
        try:
            await projections.with_trend(date.today())
        except Exception:  # the next round retries; reads compute on demand meanwhile
            log.exception("keep_warm_failed")
        await asyncio.sleep(every_seconds)
