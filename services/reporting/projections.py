"""Figures "as of" dates, computed from the stored facts, with a cache that any new fact invalidates."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from datetime import date, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting import repository
from services.reporting.checkpoints import HALF_YEAR_ENDS, Checkpoint, Checkpoints
from services.reporting.domain.disclosure import LABELS, impact_rows, publish
from services.reporting.domain.figures import Figures, collector_paused, figures_of
from services.reporting.domain.periods import TARGETS, cutoff, pro_rata_target, programme_periods
from services.reporting.domain.projection import Timeline

log = structlog.get_logger()


class Projections:
    """Reads the fact table; figures for a date are recomputed only when a fact from before it has arrived.

    Live events carry recent event times, so figures as of past reporting moments stay cached while the
    stream flows; a late event or a rebuild (every fact stored anew) invalidates exactly what it touches.
    Figures not cached are folded on from the latest valid checkpoint (see checkpoints.py), so after a live
    event only the facts since the last computation are folded, after a late one those since the half-year
    end before it.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, cache_size: int = 64) -> None:
        self.sessions = sessions
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[date, ...], tuple[int, dict[date, Figures]]] = OrderedDict()
        self._by_date: OrderedDict[date, tuple[int, Figures]] = OrderedDict()
        self.checkpoints = Checkpoints()
        self._folding = asyncio.Lock()  # one fold at a time: the head checkpoint is changed in place

    async def figures(self, dates: list[date]) -> dict[date, Figures]:
        """Figures at the end of each date (those not cached from one fold on from a checkpoint)."""
        key = tuple(sorted(set(dates)))
        if not key:
            return {}
        async with self.sessions() as session:
            if (cached := await self._fresh(session, self._cache, key, cutoff(key[-1]))) is not None:
                return cached
            async with self._folding:
                seq = await repository.watermark(session)  # read first: a fact stored meanwhile only forces a redo
                result = {d: f for d in key if (f := await self._fresh(session, self._by_date, d, cutoff(d)))}
                missing = [d for d in key if d not in result]
                if missing:
                    computed = await self._fold(session, missing, seq)
                    for moment, figures in computed.items():
                        self._remember(self._by_date, moment, seq, figures)
                    result |= computed
        result = {d: result[d] for d in key}
        self._remember(self._cache, key, seq, result)
        return result

    async def _fresh(self, session: AsyncSession, cache: OrderedDict, key, before: datetime):
        """The cached value, unless a fact dated before `before` was stored since it was computed."""
        cached = cache.get(key)
        if cached and not await repository.changed_before(session, since_seq=cached[0], before=before):
            cache.move_to_end(key)
            return cached[1]
        return None

    def _remember(self, cache: OrderedDict, key, seq: int, value) -> None:
        cache[key] = (seq, value)
        cache.move_to_end(key)
        if len(cache) > self.cache_size:
            cache.popitem(last=False)

    async def _start(self, session: AsyncSession, until: datetime) -> Checkpoint | None:
        """The latest checkpoint at or before `until` that no fact stored since has made invalid."""
        for checkpoint in self.checkpoints.candidates(until):
            if checkpoint.last is None or not await repository.changed_before(
                    session, since_seq=checkpoint.seq, before=checkpoint.last):
                return checkpoint
            self.checkpoints.drop(checkpoint)
        return None

    async def _fold(self, session: AsyncSession, dates: list[date], seq: int) -> dict[date, Figures]:
        """Fold the facts stored up to `seq` on from the latest valid checkpoint, capturing figures at each date."""
        before = cutoff(dates[-1])
        start = await self._start(session, cutoff(dates[0]))
        timeline = Timeline(dates, figures_of, self.checkpoints.take(start) if start else None)
        last = start.last if start else None
        ends = [end for end in HALF_YEAR_ENDS if (start is None or start.limit < end) and end < before]
        with collector_paused():  # also while the next chunk is fetched: other tasks only miss cycle collection
            async for f in repository.facts_until(session, before, upto_seq=seq,
                                                  after=(start.limit, start.seq) if start else None):
                while ends and f.occurred_at >= ends[0]:
                    self.checkpoints.freeze(ends.pop(0), seq, last, timeline.portfolio)
                timeline.feed(f)
                last = f.occurred_at
        for end in ends:
            self.checkpoints.freeze(end, seq, last, timeline.portfolio)
        result = timeline.finish()
        head = self.checkpoints.head
        if head is None or head.limit <= before:  # a look at a past date leaves today's head where it is
            self.checkpoints.head = Checkpoint(before, seq, last, timeline.portfolio)
        return result

    def forget(self) -> None:
        """Drop every cached figure and checkpoint (e.g. to measure computing them from all facts)."""
        self._cache.clear()
        self._by_date.clear()
        self.checkpoints.clear()

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
