"""What the pages show beside the figures: the reviewed notes of the half-year (and the regional outlook)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from pydantic import ValidationError

from services.reporting import disclosed
from services.reporting.disclosure.views import Published, Reader
from services.reporting.domain.periods import Period, cutoff, period_of
from services.reporting.i18n import Formats
from services.reporting.outlook.repository import outlook_facts
from services.reporting.outlook.views import OutlookRow, outlook_view
from services.reporting.projections import Projections
from services.reporting.qualitative.api import PublicNote, reviewed_notes
from services.reporting.render import svg
from services.reporting.render.labels import N_, label

SECTIONS = (("learning", N_("Learning effects of the experiment")),
            ("why_chose", N_("Why companies chose as they did")),
            ("ecosystem", N_("Degree of one coherent deeptech ecosystem of hotspots")))


def qualitative_sections(notes: list[PublicNote], fm: Formats) -> list[dict[str, Any]]:
    """The reviewed notes by kind, half-year notes first, then those about single cases (never named)."""
    sections = []
    for kind, title in SECTIONS:
        mine = sorted((n for n in notes if n.kind == kind), key=lambda n: n.scope != "half_year")
        if mine:
            sections.append({"title": fm._(title), "entries": [
                {"scope": fm._("About one case") if n.scope == "case" else fm._("About the half-year"), "text": n.text}
                for n in mine]})
    return sections


def _quantity(value: float, constraint: str, fm: Formats) -> str:
    unit = "MW" if constraint == "grid_mw" else "m²"
    return f"{fm.number(value)} {unit}"


def _range(band, constraint: str, fm: Formats) -> str:
    unit = "MW" if constraint == "grid_mw" else "m²"
    if band.high <= band.low:
        return f"{fm.number(band.low)} {unit}"
    return f"{fm.number(band.low)}–{fm.number(band.high)} {unit}"


def outlook_section(found: list[OutlookRow], as_of: date, fm: Formats) -> dict[str, Any]:
    """The outlook's chart (the horizon year) and table, in the reader's words."""
    latest = max((r.released_as_of for r in found if r.released_as_of), default=None)
    shown = []
    for r in found:
        if r.released and r.released_as_of in (None, latest) and not r.demand and not (
                r.demand_band and r.demand_band.high):
            continue  # no open demand there as of the latest release: only supply (an older zero stays shown)
        if r.demand is not None:
            demand, gap, short = _quantity(r.demand, r.constraint, fm), _quantity(r.gap, r.constraint, fm), r.gap > 0
        elif r.demand_band is not None:
            demand, gap = _range(r.demand_band, r.constraint, fm), _range(r.gap_band, r.constraint, fm)
            short = r.gap_band.low > 0
        else:
            demand, gap, short = fm._("not released yet"), "–", False
        if r.released_as_of and r.released_as_of != latest:
            demand = f"{demand} ({fm._('released %(date)s') % {'date': fm.date(r.released_as_of)}})"
        shown.append({"region": r.region, "constraint": r.constraint, "year": r.year, "demand": demand,
                      "supply": _quantity(r.supply, r.constraint, fm), "gap": gap, "short": short})
    tr = partial(label, gettext=fm._)
    note = fm._("Demand: open cases and leads by their need dates, in the region the company is in; supply: the "
                "catalogue as its site-changed events describe it, planned space and grid reinforcements from "
                "their dates. A positive gap is a shortage. For the ministry each demand moves like an amount "
                "(released at the end of a half-year, from 3 companies, no single one dominating).")
    return {"chart": svg.outlook(found, as_of.year + 2, fm, tr), "rows": shown, "note": note}


async def corrections(projections: Projections, period: Period, as_of: date, fm: Formats) -> dict | None:
    """A reported half-year: its figures as reported beside the corrected ones, and how many events arrived late."""
    frozen = await projections.reported(period)
    if frozen is None:
        return None
    try:
        reported = Published.model_validate(frozen.published)
    except ValidationError:
        return None  # reported in an older format: nothing to set beside
    current = await disclosed.view(projections, as_of, "ministry")
    before = {r.indicator: r for r in reported.impact}
    rows = [{"indicator": r.indicator, "reported": svg.shown(before[r.indicator], fm), "current": svg.shown(r, fm)}
            for r in current.impact if r.indicator in before
            and (before[r.indicator].value, before[r.indicator].band) != (r.value, r.band)]
    return {"rows": rows, "late": frozen.late_events, "reported_at": fm.date(frozen.reported_at.date())}


def extras(projections: Projections):
    """`extras(as_of, period, lang, reader)` for the web routes and the reports."""

    async def build(as_of: date, period: Period | None, lang: str, reader: Reader = "ministry") -> dict[str, Any]:
        fm = Formats(lang)
        half = period.name if period else period_of(as_of).name
        notes = await reviewed_notes(projections.sessions, half)
        moments = await disclosed.release_moments(projections, as_of)
        async with projections.sessions() as session:
            facts = await outlook_facts(session, cutoff(as_of))
        found = outlook_view(facts, as_of, reader, moments)
        return {"qualitative": qualitative_sections(notes, fm), "outlook": outlook_section(found, as_of, fm),
                "corrections": await corrections(projections, period, as_of, fm) if period else None}

    return build
