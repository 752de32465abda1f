"""Figures "as of" dates, computed from the stored facts, with a cache that any new fact invalidates."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting import repository
from services.reporting.domain.disclosure import impact_rows, publish
from services.reporting.domain.figures import Figures, figures_of
from services.reporting.domain.periods import cutoff, programme_periods
from services.reporting.domain.projection import Timeline


class Projections:
    """Reads the fact table; figures for the same dates are recomputed only when facts have changed."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, cache_size: int = 64) -> None:
        self.sessions = sessions
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, dict[date, Figures]] = OrderedDict()

    async def figures(self, dates: list[date]) -> dict[date, Figures]:
        """Figures at the end of each date, from one pass over the facts."""
        async with self.sessions() as session:
            key = (tuple(sorted(set(dates))), await repository.watermark(session))
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            timeline = Timeline(dates, figures_of)
            async for f in repository.facts_until(session, cutoff(max(dates))):
                timeline.feed(f)
            result = timeline.finish()
        self._cache[key] = result
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    async def published(self, as_of: date) -> dict[str, Any]:
        """The ministry's view of every figure as of a date."""
        return publish((await self.figures([as_of]))[as_of])

    async def trend(self, as_of: date) -> list[dict[str, Any]]:
        """The impact table at the end of each half-year up to `as_of` (the last one cut at `as_of`)."""
        ends = {p.name: min(p.end, as_of) for p in programme_periods() if p.start <= as_of}
        computed = await self.figures(list(ends.values()))
        return [{"period": name, "as_of": end.isoformat(), "impact": impact_rows(computed[end])}
                for name, end in ends.items()]
