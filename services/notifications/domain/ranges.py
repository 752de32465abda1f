"""NDA-safe descriptions of a demand: ranges instead of figures, quarters instead of dates."""

from __future__ import annotations

from datetime import date
from typing import Any

# Bucket edges: wide enough that a figure cannot single out a company, narrow enough to judge a site.
M2_EDGES = (0, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000)
MW_EDGES = (0, 1, 2, 5, 10, 20, 50, 100)
FTE_EDGES = (0, 10, 25, 50, 100, 250, 500, 1_000)

KIND_LABELS = {
    "nl": {"floor_space": "Ruimte (vloeroppervlak)", "capital": "Kapitaalintensieve voorziening",
           "talent": "Talent (extra personeel)", "housing": "Huisvesting en bereikbaarheid",
           "energy": "Netaansluiting", "shared": "gedeeld (campus)", "own": "eigen"},
    "en": {"floor_space": "Space (floor area)", "capital": "Capital-intensive facility",
           "talent": "Talent (extra staff)", "housing": "Housing and accessibility",
           "energy": "Grid connection", "shared": "shared (campus)", "own": "own"},
}
TRANSPORT = {"nl": {"rail": "spoor", "motorway": "snelweg", "port": "haven", "airport": "luchthaven",
                    "public-transport": "openbaar vervoer"},
             "en": {"rail": "rail", "motorway": "motorway", "port": "port", "airport": "airport",
                    "public-transport": "public transport"}}
WORDS = {
    "nl": {"upto": "tot", "more": "meer dan", "quarter": "{q}e kwartaal {y}"},
    "en": {"upto": "up to", "more": "more than", "quarter": "Q{q} {y}"},
}


def number(value: float, lang: str) -> str:
    """Thousands separator by language: 2,000 (en) or 2.000 (nl)."""
    text = f"{value:,.0f}"
    return text.replace(",", ".") if lang == "nl" else text


def bucket(value: float, edges: tuple[float, ...]) -> tuple[float, float | None]:
    """The [low, high) bucket holding value; high is None above the last edge."""
    low = edges[0]
    for edge in edges[1:]:
        if value < edge:
            return low, edge
        low = edge
    return low, None


def as_range(value: float, edges: tuple[float, ...], unit: str, lang: str) -> str:
    """E.g. "2,000–5,000 m²", "up to 500 m²", "more than 50,000 m²"."""
    low, high = bucket(value, edges)
    w = WORDS[lang]
    if high is None:
        return f"{w['more']} {number(low, lang)} {unit}"
    if low == 0:
        return f"{w['upto']} {number(high, lang)} {unit}"
    return f"{number(low, lang)}–{number(high, lang)} {unit}"


def quarter(day: date | str, lang: str) -> str:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return WORDS[lang]["quarter"].format(q=(d.month - 1) // 3 + 1, y=d.year)


def demand_lines(demand: dict[str, Any], lang: str) -> list[dict[str, str]]:
    """One line per demand type present: its kind, an NDA-safe size and the quarter it is needed by.

    Free text (a capital facility's description) is left out on purpose: it can name the company.
    """
    out = []
    if fs := demand.get("floor_space"):
        extras = [f"ISO {fs['cleanroom_iso_class']}"] if fs.get("cleanroom_iso_class") else []
        extras += ["vibration-free" if lang == "en" else "trillingsvrij"] if fs.get("vibration_free") else []
        out.append(_line("floor_space", as_range(fs["floor_space_m2"], M2_EDGES, "m²", lang), extras, fs, lang))
    if cap := demand.get("capital"):
        out.append(_line("capital", KIND_LABELS[lang][cap["facility"]], [], cap, lang))
    if talent := demand.get("talent"):
        total = talent.get("fte_mbo", 0) + talent.get("fte_hbo", 0) + talent.get("fte_wo", 0)
        levels = [lvl for lvl in ("mbo", "hbo", "wo") if talent.get(f"fte_{lvl}")]
        out.append(_line("talent", as_range(total, FTE_EDGES, "FTE", lang), levels, talent, lang))
    if housing := demand.get("housing"):
        staff = as_range(housing.get("staff_to_house", 0), FTE_EDGES, "FTE", lang)
        modes = [TRANSPORT[lang].get(t, t) for t in housing.get("transport_needs", ())]
        out.append(_line("housing", staff, modes, housing, lang))
    if energy := demand.get("energy"):
        out.append(_line("energy", as_range(energy["grid_connection_mw"], MW_EDGES, "MW", lang), [], energy, lang))
    return out


def _line(kind: str, size: str, extras: list[str], part: dict, lang: str) -> dict[str, str]:
    return {"kind": kind, "label": KIND_LABELS[lang][kind], "size": size, "extras": ", ".join(extras),
            "by": quarter(part["needed_by"], lang)}
