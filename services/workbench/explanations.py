"""matching's near misses in the reader's language, worded from their facts (`shortfalls`), never from
matching's English sentences (kept in its API for other clients). Numbers and months as the reader writes them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from babel.dates import format_date

from services.workbench.labels import LABELS, N_
from services.workbench.problems import number

WHAT_IF = {
    "floor_space": N_("qualifies with {gap} m² more by {needed_by}"),
    "floor_space-planned": N_("qualifies with {gap} m² more by {needed_by}, or when its planned land arrives "
                              "({site_from})"),
    "grid_capacity": N_("qualifies with +{gap} MW by {needed_by}"),
    "grid_capacity-planned": N_("qualifies with +{gap} MW by {needed_by}, or if the grid reinforcement planned for "
                                "{site_from} comes by then"),
    "availability": N_("qualifies if available by {needed_by} instead of {site_from}"),
    "vibration_free": N_("qualifies with vibration-free floors (the site has none)"),
    "cleanroom": N_("qualifies with an ISO {required} cleanroom (has ISO {present})"),
    "cleanroom-none": N_("qualifies with an ISO {required} cleanroom (has no cleanroom)"),
    "cleanroom-size": N_("qualifies with an ISO {required} cleanroom of {needed} m² ({gap} m² more)"),
    "environmental_category": N_("qualifies if environmental category {required} were allowed (allows up to "
                                 "{present})"),
}


def month(value: str | date | None, lang: str) -> str:
    """A month as the reader writes it (Dutch: 'jun 2027')."""
    if value is None:
        return "–"
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "MMM y", locale=lang)


def counterfactuals(miss: Mapping[str, Any], gettext: Callable[[str], str], lang: str) -> list[str]:
    """What would make this near miss qualify, one line per failed constraint. A match stored before matching
    gave facts: the failed constraints' names only (matching's English sentences are not shown)."""
    facts = miss.get("shortfalls") or ()
    if not facts:
        return [gettext(LABELS[f"blocker-{name}"]) if f"blocker-{name}" in LABELS else name
                for name in miss.get("failed") or ()]
    return [what_if(fact, gettext, lang) for fact in facts]


def what_if(fact: Mapping[str, Any], gettext: Callable[[str], str], lang: str) -> str:
    kind = str(fact.get("constraint"))
    needed, offered = fact.get("needed"), fact.get("offered")
    if kind == "cleanroom":
        kind = ("cleanroom-size" if needed is not None and offered is not None
                else "cleanroom" if fact.get("present") else "cleanroom-none")
    elif kind in ("floor_space", "grid_capacity") and fact.get("site_from"):
        kind += "-planned"
    if kind not in WHAT_IF:
        return gettext(LABELS.get(f"blocker-{kind}", kind))
    gap = needed - offered if needed is not None and offered is not None else None
    gap_text = "" if gap is None else (number(round(gap), lang) if kind.startswith(("floor", "cleanroom"))
                                       else number(round(gap, 3), lang))
    return gettext(WHAT_IF[kind]).format(
        gap=gap_text, needed=number(needed, lang) if needed is not None else "",
        needed_by=month(fact.get("needed_by"), lang), site_from=month(fact.get("site_from"), lang),
        required=fact.get("required") or "", present=fact.get("present") or "")


# What blocked a region, per constraint (matching's `blocking_facts`); {failing} of {sites} sites there.
IN_REGION = {
    "floor_space": N_("{failing} of {sites} sites lack {needed} m² by {needed_by} (largest there {best} m²)"),
    "grid_capacity": N_("{failing} of {sites} sites cannot deliver {needed} MW by {needed_by} (most there {best} MW)"),
    "grid_capacity-unknown": N_("{failing} of {sites} sites cannot deliver {needed} MW by {needed_by}"),
    "cleanroom": N_("{failing} of {sites} sites lack an ISO {required} cleanroom"),
    "cleanroom-size": N_("{failing} of {sites} sites lack an ISO {required} cleanroom of {needed} m²"),
    "environmental_category": N_("{failing} of {sites} sites do not allow environmental category {required}"),
    "vibration_free": N_("{failing} of {sites} sites have no vibration-free floors"),
    "availability": N_("{failing} of {sites} sites are not available by {needed_by}"),
    "no_sites": N_("no sites in the catalogue"),
}


def day(value: str | date | None, lang: str) -> str:
    """A date as the reader writes it (Dutch: '1 jun 2027')."""
    if value is None:
        return "–"
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "d MMM y", locale=lang)


def in_region(fact: Mapping[str, Any], gettext: Callable[[str], str], lang: str) -> str:
    """One constraint that blocked a region, in the reader's language."""
    kind = str(fact.get("constraint"))
    needed, best = fact.get("needed"), fact.get("best_offered")
    if kind == "cleanroom" and needed:
        kind = "cleanroom-size"
    elif kind in ("floor_space", "grid_capacity") and best is None:
        kind = "grid_capacity-unknown" if kind == "grid_capacity" else kind
    if kind not in IN_REGION:
        return gettext(LABELS.get(f"blocker-{kind}", kind))
    return gettext(IN_REGION[kind]).format(
        failing=number(fact.get("sites_failing", 0), lang), sites=number(fact.get("sites", 0), lang),
        needed=number(needed, lang) if needed is not None else "", best=number(best, lang) if best is not None else "–",
        needed_by=day(fact.get("needed_by"), lang), required=fact.get("required") or "")
