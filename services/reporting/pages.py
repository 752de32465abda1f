"""What the pages show beside the figures: the reviewed notes of the half-year (and the regional outlook)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.reporting.domain.periods import Period, period_of
from services.reporting.i18n import Formats
from services.reporting.projections import Projections
from services.reporting.qualitative.api import PublicNote, reviewed_notes
from services.reporting.render.labels import N_

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


def extras(projections: Projections):
    """`extras(as_of, period, lang)` for the web routes and the reports."""

    async def build(as_of: date, period: Period | None, lang: str) -> dict[str, Any]:
        fm = Formats(lang)
        half = period.name if period else period_of(as_of).name
        notes = await reviewed_notes(projections.sessions, half)
        return {"qualitative": qualitative_sections(notes, fm)}

    return build
