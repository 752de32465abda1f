"""The ministry's KPI API under `/kpi/...` (`/metrics` is the Prometheus scrape): aggregates only (JSON and CSV),
and the frozen figures as reported.

The ministry's view follows the disclosure policy (docs/disclosure.md); the coordinator sees every figure as it
is, or the ministry's view with `?view=ministry`.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Response, status
from pydantic import StringConstraints, ValidationError

from services.reporting import disclosed, domain, repository
from services.reporting.disclosure.views import ImpactRow, Published, TrendPoint, csv_rows
from services.reporting.domain.periods import (
    PERIOD_PATTERN,
    Period,
    cutoff,
    dutch_today,
    parse_period,
    report_date,
)
from services.reporting.outlook.repository import outlook_facts
from services.reporting.outlook.views import OutlookRow, outlook_view
from services.reporting.projections import Projections
from services.reporting.views import Correction, EventCounts, Frozen, ReportedPeriod, SnapshotSummary
from shared.auth import Caller, require
from shared.http import Day, invalid, problems

READERS = ("ministry", "coordinator")
ERRORS = problems(401, 403, 422)
# A half-year as the routes take it: the pattern is in the OpenAPI document, so a bad one is a 422 up front.
PeriodName = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN.pattern)]


def moment(as_of: date | None, period: str | None) -> tuple[date, Period | None]:
    """The date figures are computed as of: an explicit date, a half-year's end (today while under way), or today."""
    if as_of is not None and period is not None:
        raise invalid("period", "give either as_of or period, not both")
    if period is not None:
        try:
            chosen = parse_period(period)
        except ValueError as err:
            raise invalid("period", str(err)) from None
        return report_date(chosen, dutch_today()), chosen
    if as_of is not None and not EARLIEST <= as_of <= LATEST:
        raise HTTPException(422, [{"loc": ["query", "as_of"], "type": "value_error",
                                   "msg": f"must lie between {EARLIEST} and {LATEST}"}])
    return as_of or dutch_today(), None


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # a figure "as of" outside says nothing (and overflows)


AS_OF = Query(None, description="Figures as of the end of this day (Europe/Amsterdam), e.g. 2026-06-30.")
PERIOD = Query(None, description="Or a half-year, e.g. 2026-H1: figures as of its last day.")
VIEW = Query(None, description="The coordinator may ask for the ministry's view (what the ministry sees).")


def corrections(reported: Published, current: Published) -> list[Correction]:
    """Impact figures that changed since they were reported (late or corrected events)."""
    before = {row.indicator: row for row in reported.impact}
    return [Correction(indicator=row.indicator, reported_value=before[row.indicator].value,
                       reported_band=before[row.indicator].band, current_value=row.value, current_band=row.band)
            for row in current.impact if row.indicator in before
            and (before[row.indicator].value, before[row.indicator].band) != (row.value, row.band)]


def router(app: FastAPI, projections: Projections) -> APIRouter:
    api = APIRouter(tags=["ministry"], responses=ERRORS)
    caller_of = app.state.caller
    sessions = projections.sessions

    async def published(caller: Caller, when: date, asked: str | None) -> Published:
        return await disclosed.view(projections, when, disclosed.reader_of(caller.role, asked))

    @api.get("/kpi/event-counts", tags=["reporting"], summary="How many of each event have been seen")
    async def event_counts(caller: Caller = Depends(caller_of)) -> EventCounts:
        require(caller, *READERS)
        return EventCounts(domain.empty_counts() | await projections.event_counts())

    @api.get("/kpi/figures", summary="Every figure as of a date: impact table, breakdowns, bottlenecks, "
             "no-proposition signals, lead times (the ministry's view follows the disclosure policy)")
    async def figures(as_of: Day | None = AS_OF, period: PeriodName | None = PERIOD,
                      view: Literal["ministry"] | None = VIEW, caller: Caller = Depends(caller_of)) -> Published:
        require(caller, *READERS)
        when, _ = moment(as_of, period)
        return await published(caller, when, view)

    @api.get("/kpi/figures.csv", summary="The same figures as CSV: section, group, key, value",
             response_class=Response, responses={200: {"content": {"text/csv": {}}, "description": "CSV rows"}})
    async def figures_csv(as_of: Day | None = AS_OF, period: PeriodName | None = PERIOD,
                          view: Literal["ministry"] | None = VIEW, caller: Caller = Depends(caller_of)) -> Response:
        require(caller, *READERS)
        when, _ = moment(as_of, period)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(("section", "group", "key", "value"))
        writer.writerows(csv_rows(await published(caller, when, view)))
        return Response(out.getvalue(), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="figures-{when}.csv"'})

    @api.get("/kpi/impact", summary="The impact table as of a date, beside the pro-rata targets")
    async def impact(as_of: Day | None = AS_OF, period: PeriodName | None = PERIOD,
                     view: Literal["ministry"] | None = VIEW, caller: Caller = Depends(caller_of)) -> list[ImpactRow]:
        require(caller, *READERS)
        when, _ = moment(as_of, period)
        return (await published(caller, when, view)).impact

    @api.get("/kpi/trend", summary="The impact table at the end of every half-year up to a date")
    async def trend(as_of: Day | None = AS_OF, view: Literal["ministry"] | None = VIEW,
                    caller: Caller = Depends(caller_of)) -> list[TrendPoint]:
        require(caller, *READERS)
        reader = disclosed.reader_of(caller.role, view)
        when, _ = moment(as_of, None)
        return (await disclosed.view_with_trend(projections, when, reader))[1]

    @api.get("/kpi/outlook", summary="The regional outlook: per region, constraint and year, open demand "
             "against the catalogue's supply, with the gap (the ministry's view follows the disclosure policy)")
    async def regional_outlook(as_of: Day | None = AS_OF, view: Literal["ministry"] | None = VIEW,
                               caller: Caller = Depends(caller_of)) -> list[OutlookRow]:
        require(caller, *READERS)
        when, _ = moment(as_of, None)
        moments = await disclosed.release_moments(projections, when)
        async with sessions() as session:
            facts = await outlook_facts(session, cutoff(when))
        return outlook_view(facts, when, disclosed.reader_of(caller.role, view), moments)

    @api.post("/reports/snapshots", status_code=status.HTTP_201_CREATED,
              responses=problems(409, d409="The period was already reported: its figures stay frozen"),
              summary="Freeze the ministry's figures of a half-year as reported (coordinator); a period once")
    async def freeze(period: PeriodName = Body(..., embed=True, examples=["2026-H1"]),
                     caller: Caller = Depends(caller_of)) -> Frozen:
        require(caller, "coordinator")
        when, chosen = moment(None, period)
        shown = await disclosed.view(projections, when, "ministry")
        saved = await projections.freeze(chosen, as_of=when, reported_by=caller.organisation,
                                         published=shown.model_dump(mode="json"))
        if not saved:
            raise HTTPException(409, f"period {chosen.name} was already reported; its figures stay frozen")
        return Frozen(period=chosen.name, as_of=when, figures=shown)

    @api.get("/reports/snapshots", summary="The periods whose figures were reported")
    async def reported(caller: Caller = Depends(caller_of)) -> list[SnapshotSummary]:
        require(caller, *READERS)
        async with sessions() as session:
            return [SnapshotSummary(**s) for s in await repository.snapshots(session)]

    @api.get("/reports/snapshots/{period}", responses=problems(404, 409, d404="The period has not been reported",
                                                               d409="Reported in an older format"),
             summary="A period's figures as reported, beside the corrected figures")
    async def reported_period(period: PeriodName, caller: Caller = Depends(caller_of)) -> ReportedPeriod:
        require(caller, *READERS)
        when, chosen = moment(None, period)
        frozen = await projections.reported(chosen)
        if frozen is None:
            raise HTTPException(404, f"period {chosen.name} has not been reported")
        try:
            as_reported = Published.model_validate(frozen.published)
        except ValidationError:
            raise HTTPException(409, f"period {chosen.name} was reported in an older format: its figures stay "
                                     "frozen as they are but cannot be set beside the current ones") from None
        current = await disclosed.view(projections, when, "ministry")
        return ReportedPeriod(period=chosen.name, as_of=frozen.as_of, reported_at=frozen.reported_at,
                              reported_by=frozen.reported_by, as_reported=as_reported, current=current,
                              corrections=corrections(as_reported, current),
                              late_events_since_report=frozen.late_events,
                              late_events_by_topic=frozen.late_since_report)

    return api
