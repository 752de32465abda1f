"""The ministry's metrics API: aggregates only (JSON and CSV), and the frozen figures as reported."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Response, status

from services.reporting import domain, repository
from services.reporting.domain.disclosure import csv_rows
from services.reporting.domain.periods import Period, parse_period, report_date
from services.reporting.projections import Projections
from shared.auth import Caller, require

READERS = ("ministry", "coordinator")


def moment(as_of: date | None, period: str | None) -> tuple[date, Period | None]:
    """The date figures are computed as of: an explicit date, a half-year's end (today while under way), or today."""
    if as_of and period:
        raise HTTPException(422, "give either as_of or period, not both")
    if period:
        try:
            chosen = parse_period(period)
        except ValueError as err:
            raise HTTPException(422, f"period: {err}") from None
        return report_date(chosen, date.today()), chosen
    return as_of or date.today(), None


AS_OF = Query(None, description="Figures as of the end of this day (Europe/Amsterdam), e.g. 2026-06-30.")
PERIOD = Query(None, description="Or a half-year, e.g. 2026-H1: figures as of its last day.")


def corrections(reported: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    """Impact figures that changed since they were reported (late or corrected events)."""
    before = {row["indicator"]: row for row in reported["impact"]}
    return [{"indicator": row["indicator"], "reported": before[row["indicator"]]["value"], "now": row["value"]}
            for row in current["impact"]
            if row["indicator"] in before and before[row["indicator"]]["value"] != row["value"]]


def router(app: FastAPI, projections: Projections) -> APIRouter:
    api = APIRouter(tags=["ministry"])
    caller_of = app.state.caller
    sessions = projections.sessions

    @api.get("/metrics/event-counts", tags=["reporting"], summary="How many of each event have been seen")
    async def event_counts(caller: Caller = Depends(caller_of)) -> dict[str, int]:
        require(caller, *READERS)
        return domain.empty_counts() | await projections.event_counts()

    @api.get("/metrics/figures", summary="Every figure as of a date: impact table, breakdowns, bottlenecks, "
             "no-proposition signals, lead times (small cells suppressed)")
    async def figures(as_of: date | None = AS_OF, period: str | None = PERIOD,
                      caller: Caller = Depends(caller_of)) -> dict[str, Any]:
        require(caller, *READERS)
        when, _ = moment(as_of, period)
        return await projections.published(when)

    @api.get("/metrics/figures.csv", summary="The same figures as CSV: section, group, key, value",
             response_class=Response, responses={200: {"content": {"text/csv": {}}}})
    async def figures_csv(as_of: date | None = AS_OF, period: str | None = PERIOD,
                          caller: Caller = Depends(caller_of)) -> Response:
        require(caller, *READERS)
        when, _ = moment(as_of, period)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(("section", "group", "key", "value"))
        writer.writerows(csv_rows(await projections.published(when)))
        return Response(out.getvalue(), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="figures-{when}.csv"'})

    @api.get("/metrics/impact", summary="The impact table as of a date, beside the pro-rata targets")
    async def impact(as_of: date | None = AS_OF, period: str | None = PERIOD,
                     caller: Caller = Depends(caller_of)) -> list[dict[str, Any]]:
        require(caller, *READERS)
        when, _ = moment(as_of, period)
        return (await projections.published(when))["impact"]

    @api.get("/metrics/trend", summary="The impact table at the end of every half-year up to a date")
    async def trend(as_of: date | None = AS_OF, caller: Caller = Depends(caller_of)) -> list[dict[str, Any]]:
        require(caller, *READERS)
        return await projections.trend(as_of or date.today())

    @api.post("/reports/snapshots", status_code=status.HTTP_201_CREATED,
              summary="Freeze the figures of a half-year as reported (coordinator); a period is frozen once")
    async def freeze(period: str = Body(..., embed=True, examples=["2026-H1"]),
                     caller: Caller = Depends(caller_of)) -> dict[str, Any]:
        require(caller, "coordinator")
        when, chosen = moment(None, period)
        published = await projections.published(when)
        saved = await projections.freeze(chosen, as_of=when, reported_by=caller.organisation, published=published)
        if not saved:
            raise HTTPException(409, f"period {chosen.name} was already reported; its figures stay frozen")
        return {"period": chosen.name, "as_of": when.isoformat(), "figures": published}

    @api.get("/reports/snapshots", summary="The periods whose figures were reported")
    async def reported(caller: Caller = Depends(caller_of)) -> list[dict[str, Any]]:
        require(caller, *READERS)
        async with sessions() as session:
            return await repository.snapshots(session)

    @api.get("/reports/snapshots/{period}", summary="A period's figures as reported, beside the corrected figures")
    async def reported_period(period: str, caller: Caller = Depends(caller_of)) -> dict[str, Any]:
        require(caller, *READERS)
        when, chosen = moment(None, period)
        frozen = await projections.reported(chosen)
        if frozen is None:
            raise HTTPException(404, f"period {chosen.name} has not been reported")
        current = await projections.published(when)
        return {"period": chosen.name, "as_of": frozen.as_of, "reported_at": frozen.reported_at,
                "reported_by": frozen.reported_by, "as_reported": frozen.published, "current": current,
                "corrections": corrections(frozen.published, current),
                "late_events_since_report": frozen.late_events, "late_events_by_topic": frozen.late_since_report}

    return api
