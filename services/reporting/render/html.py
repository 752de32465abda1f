"""The dashboard and the June/December reports as HTML pages, charts inline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.reporting.domain.disclosure import LABELS
from services.reporting.domain.periods import Period
from services.reporting.render import svg

TRENDED = ("leads_in_portfolio", "cases_in_execution", "realised_other_region", "new_scale_ups",
           "investment_retained_eur")


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    env.globals.update(fmt=svg.fmt, progress=svg.progress)
    return env


def _trend_charts(trend: list[dict[str, Any]]) -> list[str]:
    charts = []
    for indicator in TRENDED:
        # The trend spans the programme: half-years still to come have a target and no figure.
        points = [{"period": t["period"], **next(r for r in t["impact"] if r["indicator"] == indicator)}
                  for t in trend]
        charts.append(svg.trend(indicator, LABELS[indicator], points))
    return charts


def _common(figures: dict[str, Any], trend: list[dict[str, Any]]) -> dict[str, Any]:
    return {"figures": figures, "as_of": figures["as_of"],
            "progress_rows": [r for r in figures["impact"] if r["indicator"] in TRENDED],
            "trend_charts": _trend_charts(trend),
            "region_map": svg.regions(figures["breakdowns"]["leads_by_origin_region"],
                                      figures["breakdowns"]["realised_flows"]),
            "bottleneck_chart": svg.bars(svg.bottleneck_cells(figures["bottlenecks"]),
                                         "Cases blocked per region and hard constraint")}


def dashboard(figures: dict[str, Any], trend: list[dict[str, Any]], *, csv_link: str) -> str:
    return environment().get_template("dashboard.html.j2").render(**_common(figures, trend), csv_link=csv_link)


def _annual(trend: list[dict[str, Any]], year: int) -> list[dict[str, str]]:
    """The impact figures at the end of June and of December of one year, side by side."""
    by_period = {t["period"]: {r["indicator"]: r for r in t["impact"]} for t in trend}
    june, december = by_period.get(f"{year}-H1", {}), by_period.get(f"{year}-H2", {})

    def shown(row: dict | None) -> str:
        if not row:
            return ""
        return svg.fmt(row["value"], money=row["indicator"].endswith("_eur"))

    return [{"label": r["label"], "june": shown(june.get(key)), "december": shown(r)}
            for key, r in december.items()]


def report(figures: dict[str, Any], trend: list[dict[str, Any]], period: Period, *,
           reported_at: str | None = None) -> str:
    """The June progress report, or in December the progress report with the annual report."""
    kind = ("Annual report and December progress report" if period.half == 2 else "June progress report")
    if period.half == 2 and period.year == 2028:
        kind = "Final report and December progress report"
    return environment().get_template("report.html.j2").render(
        **_common(figures, trend), title=f"Groeiruimte — {kind} {period.year}", period=period.name,
        annual=_annual(trend, period.year) if period.half == 2 else None, year=period.year, reported_at=reported_at)
