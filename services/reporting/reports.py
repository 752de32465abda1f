"""The June and December progress reports (and the annual report in December) as HTML and PDF files."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.reporting import chromium
from services.reporting.config import ReportingSettings
from services.reporting.domain.periods import parse_period
from services.reporting.projections import Projections
from services.reporting.render import html
from shared.db import make_engine, make_sessionmaker


async def build_report(projections: Projections, period_name: str) -> str:
    """The report of a half-year as one self-contained HTML page (charts inline)."""
    period = parse_period(period_name)
    figures, trend = await projections.with_trend(period.end)
    return html.report(figures, trend, period)


def save_report(page: str, period_name: str, out: Path, *, pdf: bool, chromium_binary: str) -> list[Path]:
    """Write report-<period>.html (and .pdf, printed by headless Chromium) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / f"report-{period_name}.html"]
    written[0].write_text(page, encoding="utf-8")
    if pdf:
        written.append(chromium.print_pdf(chromium_binary, written[0], out / f"report-{period_name}.pdf"))
    return written


async def write_report(settings: ReportingSettings, period_name: str, out: Path, *, pdf: bool = True) -> list[Path]:
    """Build the report of a half-year from the projections and write it; returns the paths written."""
    parse_period(period_name)  # a bad period fails before anything is read
    if pdf:
        chromium.binary(settings.chromium)  # and a missing Chromium too
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        page = await build_report(Projections(make_sessionmaker(engine)), period_name)
    finally:
        await engine.dispose()
    return await asyncio.to_thread(save_report, page, period_name, out, pdf=pdf, chromium_binary=settings.chromium)
