"""Disclosure control: what the ministry may see of the figures. Aggregates only, small cells suppressed.

A cell is suppressed when 1 or 2 companies stand behind it (a zero identifies nobody and is shown). Where a
group has exactly one suppressed cell, the next smallest is suppressed too, so that the hidden one cannot be
worked out from the group's total. Only numbers leave this module: no company, lead or case reference.
"""

from __future__ import annotations

from typing import Any

from services.reporting.domain.figures import Cell, Figures, Stat
from services.reporting.domain.periods import TARGETS

MIN_COMPANIES = 3
SUPPRESSED = "suppressed"

LABELS = {
    "leads_in_portfolio": "Leads in portfolio (distinct companies, ever)",
    "cases_in_execution": "Case-based approaches put into execution",
    "realised_other_region": "Leads realised in another region",
    "new_scale_ups": "  of which new scale-ups",
    "investment_retained_eur": "Investment retained for NL (EUR)",
    "investment_retained_estimated_eur": "  of which estimated (EUR)",
    "investment_retained_verified_eur": "  of which verified (EUR)",
    "realised_own_region": "Relocations within the own region (context)",
    "cases_open": "Cases still open (context)",
}


def is_small(cell: Cell) -> bool:
    return 0 < cell.contributors < MIN_COMPANIES


def _shown(cell: Cell, hidden: bool) -> dict[str, Any]:
    value = round(cell.value, 2) if isinstance(cell.value, float) else cell.value
    return {"value": None, "suppressed": True} if hidden else {"value": value, "suppressed": False}


def publish_group(cells: dict[str, Cell]) -> dict[str, dict[str, Any]]:
    """A breakdown with primary and secondary suppression."""
    hidden = {key for key, cell in cells.items() if is_small(cell)}
    if len(hidden) == 1:
        others = sorted((c.contributors, k) for k, c in cells.items() if k not in hidden and c.contributors)
        hidden |= {others[0][1]} if others else set()
    return {key: _shown(cell, key in hidden) for key, cell in cells.items()}


def publish_stat(stat: Stat) -> dict[str, Any]:
    if 0 < stat.contributors < MIN_COMPANIES:
        return {"cases": None, "median": None, "mean": None, "suppressed": True}
    return {"cases": stat.cases, "median": stat.median, "mean": stat.mean, "suppressed": False}


def impact_rows(figures: Figures) -> list[dict[str, Any]]:
    """The impact table: each indicator beside its pro-rata target and the 2028 target."""
    rows = []
    for indicator, cell in figures.impact.items():
        shown = _shown(cell, is_small(cell))
        target = figures.target(indicator)
        share = (shown["value"] / target) if target and shown["value"] is not None else None
        rows.append({"indicator": indicator, "label": LABELS[indicator], **shown,
                     "target_pro_rata": round(target, 2) if target is not None else None,
                     "target_2028": TARGETS.get(indicator),
                     "share_of_pro_rata": round(share, 3) if share is not None else None})
    return rows


def publish(figures: Figures) -> dict[str, Any]:
    """The figures as the ministry may see them (JSON-ready)."""
    return {
        "as_of": figures.as_of.isoformat(),
        "impact": impact_rows(figures),
        "breakdowns": {name: publish_group(cells) for name, cells in figures.breakdowns.items()},
        "bottlenecks": {region: publish_group(cells) for region, cells in figures.bottlenecks.items()},
        "no_proposition": {
            **{name: _shown(cell, is_small(cell)) for name, cell in figures.no_proposition.items()},
            **{name: publish_group(cells) for name, cells in figures.no_proposition_breakdowns.items()},
        },
        "lead_times_days": {name: publish_stat(stat) for name, stat in figures.lead_times.items()},
        "outcomes": publish_group(figures.outcomes),
        "proposal_decisions": figures.decisions,
        "disclosure": f"cells counting fewer than {MIN_COMPANIES} companies are suppressed",
    }


def csv_rows(published: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(section, group, key, value) rows of published figures; suppressed cells read 'suppressed'."""
    def value(cell: dict) -> str:
        return SUPPRESSED if cell["suppressed"] else str(cell["value"])

    rows = [("impact", r["indicator"], "value", value(r)) for r in published["impact"]]
    rows += [("impact", r["indicator"], "target_pro_rata", str(r["target_pro_rata"]))
             for r in published["impact"] if r["target_pro_rata"] is not None]
    rows += [("breakdown", name, key, value(c)) for name, cells in published["breakdowns"].items()
             for key, c in cells.items()]
    rows += [("bottleneck", region, key, value(c)) for region, cells in published["bottlenecks"].items()
             for key, c in cells.items()]
    for name, entry in published["no_proposition"].items():
        if "suppressed" in entry:
            rows.append(("no_proposition", name, "cases", value(entry)))
        else:
            rows += [("no_proposition", name, key, value(c)) for key, c in entry.items()]
    for name, stat in published["lead_times_days"].items():
        rows += [("lead_time_days", name, part, SUPPRESSED if stat["suppressed"] else str(stat[part]))
                 for part in ("cases", "median", "mean")]
    rows += [("outcome", "cases", key, value(c)) for key, c in published["outcomes"].items()]
    return [(s, g, k, v) for s, g, k, v in rows]
