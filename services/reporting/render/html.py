"""The dashboard and the June/December reports as HTML pages, charts inline, in the reader's language."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.reporting.disclosure.releases import OTHER
from services.reporting.disclosure.views import HEADLINE, TOTAL, Published, TrendPoint
from services.reporting.domain.periods import Period
from services.reporting.i18n import Formats, translations
from services.reporting.render import svg
from services.reporting.render.labels import N_, label

TRENDED = (*HEADLINE, TOTAL)
REGIONS = ("noord", "oost", "zuid", "west", "midden")
# Breakdowns of "one coherent ecosystem" and of credit per ROM, shown when the figures hold them.
ECOSYSTEM_TABLES = (("signalled", N_("Cases by signalling region")),
                    ("proposed_flows", N_("Proposed: signalled in one region, a site proposed in another")),
                    ("realised_by_destination_region", N_("Relocations by destination region")),
                    ("hotspots_received", N_("Hotspots that received companies")),
                    ("leads_by_origin_rom", N_("Credit per ROM: leads signalled")),
                    ("realised_by_origin_rom", N_("Credit per ROM: relocations it signalled (origin)")),
                    ("realised_by_destination_rom", N_("Credit per ROM: relocations it received (destination)")))
AMOUNT_TABLES = (("investment_by_origin_rom", N_("Investment retained per origin ROM")),
                 ("investment_by_destination_rom", N_("Investment retained per destination ROM")))


def environment(lang: str) -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"]), extensions=["jinja2.ext.i18n"])
    env.install_gettext_translations(translations(lang), newstyle=True)
    fm = Formats(lang)
    env.globals.update(fm=fm, lang=lang, label=partial(label, gettext=fm._), shown=partial(svg.shown, fm=fm),
                       OTHER=OTHER)
    env.filters["label"] = env.globals["label"]
    return env


def _charts(figures: Published, trend: list[TrendPoint], fm: Formats) -> dict[str, Any]:
    tr = partial(label, gettext=fm._)
    rows = {r.indicator: r for r in figures.impact}
    groups = figures.groups
    empty = groups.get("leads_by_origin_region")
    bottlenecks = groups.get("bottlenecks")
    return {
        "progress_charts": [svg.progress(rows[name], tr(name), fm) for name in TRENDED],
        "trend_charts": [svg.trend(name, tr(name), trend, fm) for name in TRENDED],
        "region_map": svg.regions(empty, groups.get("realised_flows", empty.model_copy(update={"cells": []})),
                                  fm, tr) if empty else "",
        "bottleneck_chart": svg.bars([(label(c.key, fm._, "constraint"), c.value) for c in bottlenecks.cells]
                                     if bottlenecks else [], fm._("Cases blocked per region and hard constraint"),
                                     fm),
    }


def ecosystem(figures: Published, fm: Formats) -> dict[str, Any]:
    """The flow matrix between regions (as released) and the ecosystem breakdowns that exist in the figures."""
    flows = figures.groups.get("realised_flows")
    matrix, other, members = {}, None, ""
    for cell in flows.cells if flows else []:
        if cell.key == OTHER:
            other = fm.number(cell.value)
            members = ", ".join(label(m, fm._) for m in cell.members)
        else:
            origin, _, destination = cell.key.partition(" -> ")
            matrix[(origin, destination)] = fm.number(cell.value)
    tables = [(name, fm._(title)) for name, title in ECOSYSTEM_TABLES if name in figures.groups]
    amounts = [(fm._(title), figures.amount_groups[name]) for name, title in AMOUNT_TABLES
               if name in figures.amount_groups]
    eco = figures.ecosystem
    multi = fm._("Cases in which more than one region took part: %(multi)s of %(cases)s (%(share)s).") % {
        "multi": fm.number(eco.multi_region), "cases": fm.number(eco.cases), "share": fm.share(eco.multi_region_share)}
    return {"regions": REGIONS, "matrix": matrix, "other": other, "other_members": members,
            "released_as_of": flows.released_as_of if flows else None, "tables": tables, "amounts": amounts,
            "multi_region": multi}


def dashboard(figures: Published, trend: list[TrendPoint], *, lang: str, csv_link: str,
              extra: dict[str, Any] | None = None) -> str:
    env = environment(lang)
    fm = env.globals["fm"]
    return env.get_template("dashboard.html.j2").render(figures=figures, as_of=figures.as_of, csv_link=csv_link,
                                                        ecosystem=ecosystem(figures, fm),
                                                        **_charts(figures, trend, fm), **(extra or {}))


def _annual(trend: list[TrendPoint], year: int) -> list[dict[str, Any]]:
    """The impact figures at the end of June and of December of one year, side by side."""
    by_period = {t.period: {r.indicator: r for r in t.impact} for t in trend if not t.future}
    june, december = by_period.get(f"{year}-H1", {}), by_period.get(f"{year}-H2", {})
    return [{"indicator": key, "june": june.get(key), "december": row} for key, row in december.items()]


def report(figures: Published, trend: list[TrendPoint], period: Period, *, lang: str,
           reported_at: str | None = None, extra: dict[str, Any] | None = None) -> str:
    """The June progress report, or in December the progress report with the annual report."""
    env = environment(lang)
    fm = env.globals["fm"]
    kind = fm._("June progress report")
    if period.half == 2:
        kind = fm._("Annual report and December progress report")
        if period.year == 2028:
            kind = fm._("Final report and December progress report")
    return env.get_template("report.html.j2").render(
        figures=figures, as_of=figures.as_of, title=f"Groeiruimte — {kind} {period.year}", period=period,
        annual=_annual(trend, period.year) if period.half == 2 else None, year=period.year,
        reported_at=reported_at, ecosystem=ecosystem(figures, fm), **_charts(figures, trend, fm), **(extra or {}))
