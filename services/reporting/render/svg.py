"""Charts as inline SVG strings (no JavaScript, no external assets). Suppressed cells are drawn hatched."""

from __future__ import annotations

from html import escape
from typing import Any

BLUE, ORANGE, GREY, INK = "#1f5f99", "#e07b00", "#9aa5b1", "#1b2733"
HATCH = ('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
         'patternTransform="rotate(45)"><rect width="6" height="6" fill="#eef1f4"/>'
         '<line x1="0" y1="0" x2="0" y2="6" stroke="#9aa5b1" stroke-width="2"/></pattern></defs>')


def _svg(width: int, height: int, body: str, title: str) -> str:
    # Scales down with its column (and on paper) but never beyond its drawn size.
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'style="width:100%;max-width:{width}px;height:auto" role="img" aria-label="{escape(title)}">'
            f'<title>{escape(title)}</title>{HATCH}{body}</svg>')


def _text(x: float, y: float, content: Any, *, size: int = 12, anchor: str = "start", weight: str = "normal",
          fill: str = INK) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}" font-family="sans-serif">{escape(str(content))}</text>')


def fmt(value: float | None, *, money: bool = False) -> str:
    """Numbers as a policy officer reads them: EUR in millions, counts whole, one decimal for targets."""
    if value is None:
        return "suppressed"
    if money:
        return f"EUR {value / 1e6:,.0f} mln"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def progress(row: dict[str, Any], *, width: int = 560) -> str:
    """One indicator: a bar for the figure, a tick for the pro-rata target, the scale is the 2028 target."""
    money = row["indicator"].endswith("_eur")
    total, due, value = row["target_2028"], row["target_pro_rata"], row["value"]
    bar_w = width - 20
    scale = bar_w / max(total, value or 0, 1)
    if row["suppressed"]:
        bar = f'<rect x="10" y="26" width="{bar_w * 0.08:.1f}" height="18" fill="url(#hatch)"/>'
    else:
        colour = BLUE if value >= due else ORANGE
        bar = f'<rect x="10" y="26" width="{max(value * scale, 1):.1f}" height="18" fill="{colour}"/>'
    tick = due * scale + 10
    status = "" if row["suppressed"] else (" (on track)" if value >= due else " (behind)")
    body = (f'<rect x="10" y="26" width="{bar_w}" height="18" fill="#eef1f4"/>{bar}'
            f'<line x1="{tick:.1f}" y1="20" x2="{tick:.1f}" y2="50" stroke="{INK}" stroke-width="2"/>'
            + _text(10, 15, row["label"].strip(), weight="bold")
            + _text(width - 10, 15, f"{fmt(value, money=money)} of {fmt(due, money=money)} due{status}",
                    anchor="end")
            + _text(min(max(tick, 60), width - 160), 64, f"due now: {fmt(due, money=money)}", size=10,
                    anchor="middle")
            + _text(width - 10, 64, f"2028: {fmt(total, money=money)}", size=10, anchor="end"))
    return _svg(width, 70, body, f"{row['label'].strip()}: progress against the pro-rata target")


def trend(indicator: str, label: str, points: list[dict[str, Any]], *, width: int = 420, height: int = 190) -> str:
    """Cumulative figure at the end of each half-year (bars) against the pro-rata target (line)."""
    money = indicator.endswith("_eur")
    left, bottom, top = 44, height - 28, 24
    values = [p["value"] or 0 for p in points] + [p["target_pro_rata"] or 0 for p in points]
    peak = max(values + [1])
    step = (width - left - 10) / max(len(points), 1)
    y = lambda v: bottom - (v / peak) * (bottom - top)  # noqa: E731 - a local scale
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="{GREY}"/>',
             _text(left - 4, top + 4, fmt(peak, money=money).replace("EUR ", ""), size=9, anchor="end"),
             _text(8, 14, label.strip(), weight="bold")]
    line = []
    for i, p in enumerate(points):
        x = left + i * step
        if p["suppressed"]:
            parts.append(f'<rect x="{x + 4:.1f}" y="{bottom - 14}" width="{step - 8:.1f}" height="14" '
                         f'fill="url(#hatch)"/>')
        elif p["value"]:
            parts.append(f'<rect x="{x + 4:.1f}" y="{y(p["value"]):.1f}" width="{step - 8:.1f}" '
                         f'height="{bottom - y(p["value"]):.1f}" fill="{BLUE}"/>')
        line.append(f'{x + step / 2:.1f},{y(p["target_pro_rata"]):.1f}')
        parts.append(_text(x + step / 2, bottom + 14, p["period"].replace("20", "'", 1), size=9, anchor="middle"))
    parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{ORANGE}" stroke-width="2" '
                 f'stroke-dasharray="5 3"/>')
    return _svg(width, height, "".join(parts), f"{label.strip()} by half-year against the pro-rata target")


# Schematic positions of the five regions (not to scale): north at the top.
REGION_XY = {"noord": (330, 80), "west": (120, 270), "midden": (255, 215), "oost": (400, 250), "zuid": (270, 430)}
OUTLINE = "M250,20 L420,30 L450,140 L470,300 L420,360 L360,470 L300,520 L160,470 L150,400 L60,360 L90,200 L180,60 Z"


def regions(origins: dict[str, dict], flows: dict[str, dict], *, width: int = 520, height: int = 540) -> str:
    """Where leads come from (circles: leads per origin region) and where they land (arrows: relocations)."""
    parts = [f'<path d="{OUTLINE}" fill="#f4f7fa" stroke="{GREY}" stroke-width="1.5"/>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{ORANGE}"/></marker></defs>']
    for key, cell in flows.items():
        origin, _, destination = key.partition(" -> ")
        if origin not in REGION_XY or destination not in REGION_XY:
            continue
        (x1, y1), (x2, y2) = REGION_XY[origin], REGION_XY[destination]
        label = "s" if cell["suppressed"] else cell["value"]
        if origin == destination:
            parts.append(f'<circle cx="{x1 + 34}" cy="{y1 - 34}" r="14" fill="none" stroke="{ORANGE}" '
                         f'stroke-width="2"/>' + _text(x1 + 54, y1 - 44, label, size=11, fill=ORANGE))
            continue
        dash = ' stroke-dasharray="4 3"' if cell["suppressed"] else ""
        width_px = 2 if cell["suppressed"] else 2 + min(cell["value"], 10)
        parts.append(f'<path d="M{x1},{y1} Q{(x1 + x2) / 2 + 40},{(y1 + y2) / 2 - 40} {x2},{y2}" fill="none" '
                     f'stroke="{ORANGE}" stroke-width="{width_px}" marker-end="url(#arrow)" opacity="0.8"{dash}/>'
                     + _text((x1 + x2) / 2 + 24, (y1 + y2) / 2 - 18, label, size=12, fill=ORANGE, weight="bold"))
    for region, (x, y) in REGION_XY.items():
        cell = origins.get(region, {"value": 0, "suppressed": False})
        radius = 16 if cell["suppressed"] or not cell["value"] else 16 + 4 * min(cell["value"], 12) ** 0.8
        fill = "url(#hatch)" if cell["suppressed"] else BLUE
        parts.append(f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" fill="{fill}" opacity="0.85"/>'
                     + _text(x, y + 4, fmt(cell["value"]) if not cell["suppressed"] else "s", anchor="middle",
                             weight="bold", fill="white" if not cell["suppressed"] else INK)
                     + _text(x, y + radius + 15, region.capitalize(), anchor="middle", weight="bold"))
    parts.append(_text(10, height - 12, "circles: leads by origin region; arrows: relocations origin -> "
                                        "destination; s = suppressed (fewer than 3 companies)", size=10))
    return _svg(width, height, "".join(parts), "Where leads come from and where they land")


def bars(cells: dict[str, dict], title: str, *, width: int = 560) -> str:
    """Horizontal bars, largest first; suppressed cells hatched with the word 'suppressed'."""
    items = sorted(cells.items(), key=lambda kv: -(kv[1]["value"] or 0))
    peak = max([c["value"] or 0 for _, c in items] + [1])
    label_w, row_h = 230, 24
    parts = []
    for i, (key, cell) in enumerate(items):
        y = 8 + i * row_h
        parts.append(_text(label_w - 8, y + 14, key, anchor="end", size=11))
        if cell["suppressed"]:
            parts.append(f'<rect x="{label_w}" y="{y + 2}" width="60" height="16" fill="url(#hatch)"/>'
                         + _text(label_w + 66, y + 14, "suppressed", size=10, fill=GREY))
        else:
            w = (width - label_w - 50) * (cell["value"] or 0) / peak
            parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" height="16" fill="{BLUE}"/>'
                         + _text(label_w + w + 6, y + 14, fmt(cell["value"]), size=11))
    if not items:
        parts.append(_text(10, 20, "nothing to show yet", fill=GREY))
    return _svg(width, 16 + max(len(items), 1) * row_h, "".join(parts), title)


def bottleneck_cells(bottlenecks: dict[str, dict[str, dict]]) -> dict[str, dict]:
    """{region: {constraint: cell}} -> {"region: constraint": cell} for one bar chart."""
    return {f"{region}: {constraint.replace('_', ' ')}": cell
            for region, cells in bottlenecks.items() for constraint, cell in cells.items()}
