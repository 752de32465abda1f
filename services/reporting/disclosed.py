"""Figures as a reader may see them: gathers the figures a view needs from the projections and discloses them.

The ministry's view needs the figures at every release moment up to the date (half-year ends and the dates of
frozen reports, see disclosure/releases.py); the coordinator's view is the figures as they are.
"""

from __future__ import annotations

from datetime import date

from services.reporting import repository
from services.reporting.disclosure.views import Disclosure, Published, Reader, TrendPoint, full_view, future_points
from services.reporting.domain.periods import programme_periods
from services.reporting.projections import Projections


async def release_moments(projections: Projections, as_of: date) -> list[date]:
    """Half-year ends and frozen report dates up to `as_of`: the only moments breakdowns and amounts move."""
    async with projections.sessions() as session:
        reported = [date.fromisoformat(s["as_of"]) for s in await repository.snapshots(session)]
    ends = [p.end for p in programme_periods()]
    return sorted({d for d in [*ends, *reported] if d <= as_of})


def reader_of(role: str, asked: str | None = None) -> Reader:
    """The coordinator sees everything unless it asks for the ministry's view; everyone else sees the ministry's."""
    return "coordinator" if role == "coordinator" and asked != "ministry" else "ministry"


async def view_with_trend(projections: Projections, as_of: date, reader: Reader) -> tuple[Published, list[TrendPoint]]:
    """The view as of a date and the impact table at the end of each half-year up to it (targets after it)."""
    ends = {p.name: min(p.end, as_of) for p in programme_periods() if p.start <= as_of}
    moments = await release_moments(projections, as_of) if reader == "ministry" else []
    figures = await projections.figures([*moments, *ends.values(), as_of])
    if reader == "coordinator":
        trend = [TrendPoint(period=name, as_of=end, impact=full_view(figures[end]).impact)
                 for name, end in ends.items()]
        return full_view(figures[as_of]), trend + future_points(as_of)
    disclosure = Disclosure({d: figures[d] for d in moments})
    trend = [TrendPoint(period=name, as_of=end, impact=disclosure.impact(figures[end])) for name, end in ends.items()]
    return disclosure.publish(figures[as_of]), trend + future_points(as_of)


async def view(projections: Projections, as_of: date, reader: Reader) -> Published:
    return (await view_with_trend(projections, as_of, reader))[0]
