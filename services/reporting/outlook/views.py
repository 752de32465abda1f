"""The outlook as a reader may see it: the coordinator exact; the ministry as of the latest release moment, each
demand as a band and only when at least 3 companies need it and none dominates (disclosure/releases.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from pydantic import BaseModel

from services.reporting.disclosure import releases as rel
from services.reporting.disclosure.rules import band
from services.reporting.disclosure.views import Band, Reader
from services.reporting.domain.periods import cutoff
from services.reporting.outlook.domain import Outlook, Row, rows


class OutlookRow(BaseModel):
    region: str
    constraint: str
    year: int
    supply: float
    demand: float | None  # exact, coordinator only
    demand_band: Band | None  # the ministry's
    gap: float | None
    gap_band: Band | None
    released: bool
    released_as_of: date | None = None  # the ministry's: the release moment the demand stands for


def horizon(as_of: date) -> list[int]:
    """The year of the date and the three after it: the 2-3 years earlier signal the programme wants."""
    return list(range(as_of.year, as_of.year + 4))


def states_at(facts: Sequence[tuple[datetime, str, dict]], moments: Sequence[date], years: list[int]
              ) -> dict[date, list[Row]]:
    """The outlook rows as of each moment, from one pass over the facts."""
    state, out, i = Outlook(), {}, 0
    for moment in sorted(moments):
        limit = cutoff(moment)
        while i < len(facts) and facts[i][0] < limit:
            state.apply(facts[i][1], facts[i][2])
            i += 1
        out[moment] = rows(state, years)
    return out


def exact(found: list[Row]) -> list[OutlookRow]:
    return [OutlookRow(region=r.region, constraint=r.constraint, year=r.year, supply=r.supply, demand=r.demand,
                       demand_band=None, gap=r.gap, gap_band=None, released=True) for r in found]


def disclosed(by_moment: dict[date, list[Row]], as_of: date) -> list[OutlookRow]:
    """Each (region, constraint, year) demand released like an amount over the release moments up to as_of."""
    series: dict[tuple[str, str, int], list[tuple[date, float, int, tuple[float, ...]]]] = {}
    supply: dict[tuple[str, str, int, date], float] = {}
    for moment, found in sorted(by_moment.items()):
        for r in found:
            series.setdefault((r.region, r.constraint, r.year), []).append(
                (moment, r.demand, r.contributors, r.largest))
            supply[(r.region, r.constraint, r.year, moment)] = r.supply
    out = []
    for key, moments in sorted(series.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
        released = rel.latest(rel.release_amounts(moments), as_of)
        region, constraint, year = key
        if released is None:
            latest_supply = supply[(*key, moments[-1][0])]
            out.append(OutlookRow(region=region, constraint=constraint, year=year, supply=latest_supply,
                                  demand=None, demand_band=None, gap=None, gap_band=None, released=False))
            continue
        low, high = band(released.value)
        there = supply[(*key, released.at)]  # the supply beside the demand of the same moment
        out.append(OutlookRow(region=region, constraint=constraint, year=year, supply=there, demand=None,
                              demand_band=Band(low=low, high=high), gap=None,
                              gap_band=Band(low=low - there, high=high - there), released=True,
                              released_as_of=released.at))
    return out


def outlook_view(facts, as_of: date, reader: Reader, moments: Sequence[date]) -> list[OutlookRow]:
    years = horizon(as_of)
    if reader == "coordinator":
        return exact(states_at(facts, [as_of], years)[as_of])
    return disclosed(states_at(facts, [m for m in moments if m <= as_of], years), as_of)
