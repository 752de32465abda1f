"""The June and December progress reports (and the annual report in December) as HTML and PDF files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.reporting import chromium, disclosed, pages, repository
from services.reporting.config import ReportingSettings
from services.reporting.disclosure.views import Published
from services.reporting.domain.periods import dutch_today, parse_period, report_date
from services.reporting.i18n import DEFAULT
from services.reporting.projections import Projections
from services.reporting.render import html
from shared.db import make_engine, make_sessionmaker


async def build_report(projections: Projections, period_name: str, *, as_reported: bool = False,
                       lang: str = DEFAULT, extras=None) -> str:
    """The report of a half-year as one self-contained HTML page (charts inline), as the ministry may see it.

    With `as_reported`, the half-year's own figures are the frozen ones (as reported to the ministry), not
    the current ones that include later corrections; earlier half-years in the trend are current.
    """
    period = parse_period(period_name)
    when = report_date(period, dutch_today())  # never "as of" the future
    figures, trend = await disclosed.view_with_trend(projections, when, "ministry")
    reported_at = None
    if as_reported:
        async with projections.sessions() as session:
            frozen = await repository.snapshot(session, period.name)
        if frozen is None:
            raise ValueError(f"period {period.name} has not been reported (POST /reports/snapshots freezes it)")
        figures, reported_at = Published.model_validate(frozen["figures"]), frozen["reported_at"].date().isoformat()
        trend[-1] = trend[-1].model_copy(update={"impact": figures.impact})
    extra = await extras(when, period, lang) if extras else {}
    return html.report(figures, trend, period, lang=lang, reported_at=reported_at, extra=extra)


def save_report(page: str, period_name: str, out: Path, *, pdf: bool, chromium_binary: str) -> list[Path]:
    """Write report-<period>.html (and .pdf, printed by headless Chromium) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / f"report-{period_name}.html"]
    written[0].write_text(page, encoding="utf-8")
    if pdf:
        written.append(chromium.print_pdf(chromium_binary, written[0], out / f"report-{period_name}.pdf"))
    return written


async def write_report(settings: ReportingSettings, period_name: str, out: Path, *, pdf: bool = True,
                       as_reported: bool = False) -> list[Path]:
    """Build the report of a half-year from the projections and write it; returns the paths written."""
    parse_period(period_name)  # a bad period fails before anything is read
    if pdf:
        chromium.binary(settings.chromium)  # and a missing Chromium too
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        projections = Projections(make_sessionmaker(engine))
        page = await build_report(projections, period_name, as_reported=as_reported,
                                  extras=pages.extras(projections))
    finally:
        await engine.dispose()
    return await asyncio.to_thread(save_report, page, period_name, out, pdf=pdf, chromium_binary=settings.chromium)
