"""Charts as inline SVG strings (no JavaScript, no external assets), in the reader's language.

Figures not released yet are drawn hatched; a released amount is drawn at the middle of its band.
"""

from __future__ import annotations

from html import escape
from typing import Any

from services.reporting.i18n import Formats
from shared.geo.boundaries import REGION_PROVINCES, region_anchor
from shared.geo.canvas import MapWords, country, document, region_fills
from shared.geo.canvas import text as geo_text

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


def figure_value(row) -> float | None:
    """The number to draw for an impact row: the exact figure, or the middle of a released amount's band."""
    if row.band is not None:
        return (row.band.low + row.band.high) / 2
    return row.value


def shown(row, fm: Formats) -> str:
    """An impact figure as words: a count, an amount or its band, or 'not released yet'."""
    if row.suppressed:
        return fm._("not released yet")
    if row.band is not None:
        return fm.band(row.band.low, row.band.high)
    return fm.money(row.value) if row.indicator.endswith("_eur") else fm.number(row.value)


def target_text(value: float | None, money: bool, fm: Formats) -> str:
    return fm.money(value) if money else fm.number(value)


def progress(row, label: str, fm: Formats, *, width: int = 560) -> str:
    """One indicator: a bar for the figure, a tick for the pro-rata target, the scale is the 2028 target."""
    money = row.indicator.endswith("_eur")
    total, due, value = row.target_2028, row.target_pro_rata, figure_value(row)
    bar_w = width - 20
    scale = bar_w / max(total, value or 0, 1)
    if value is None:
        bar = f'<rect x="10" y="26" width="{bar_w * 0.08:.1f}" height="18" fill="url(#hatch)"/>'
        status = ""
    else:
        colour = BLUE if value >= due else ORANGE
        bar = f'<rect x="10" y="26" width="{max(value * scale, 1):.1f}" height="18" fill="{colour}"/>'
        status = fm._("on track") if value >= due else fm._("behind")
    tick = due * scale + 10
    figure = fm._("{figure} of {due} due").format(figure=shown(row, fm), due=target_text(due, money, fm))
    # The label above the bar, the figure against what is due below it: a long label never runs into the figure.
    body = (f'<rect x="10" y="26" width="{bar_w}" height="18" fill="#eef1f4"/>{bar}'
            f'<line x1="{tick:.1f}" y1="20" x2="{tick:.1f}" y2="50" stroke="{INK}" stroke-width="2"/>'
            + _text(10, 15, label, weight="bold")
            + _text(10, 64, f"{figure} ({status})" if status else figure, size=11)
            + _text(width - 10, 64, fm._("2028: {total}").format(total=target_text(total, money, fm)), size=10,
                    anchor="end"))
    return _svg(width, 70, body, fm._("{label}: progress against the pro-rata target").format(label=label))


def trend(indicator: str, label: str, points: list, fm: Formats, *, width: int = 420, height: int = 190) -> str:
    """Cumulative figure at the end of each half-year (bars) against the pro-rata target (line)."""
    money = indicator.endswith("_eur")
    left, bottom, top = 58, height - 28, 24
    rows = [(p, next(r for r in p.impact if r.indicator == indicator)) for p in points]
    values = [figure_value(r) or 0 for _, r in rows] + [r.target_pro_rata or 0 for _, r in rows]
    peak = max(values + [1])
    step = (width - left - 10) / max(len(rows), 1)
    y = lambda v: bottom - (v / peak) * (bottom - top)  # noqa: E731 - a local scale
    parts = [f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="{GREY}"/>',
             _text(left - 4, top + 4, fm.millions(peak) + " mln" if money else fm.number(peak), size=9,
                   anchor="end"),
             _text(8, 14, label, weight="bold")]
    line = []
    for i, (point, row) in enumerate(rows):
        x, value = left + i * step, figure_value(row)
        if row.suppressed and not point.future:
            parts.append(f'<rect x="{x + 4:.1f}" y="{bottom - 14}" width="{step - 8:.1f}" height="14" '
                         f'fill="url(#hatch)"/>')
        elif value:
            parts.append(f'<rect x="{x + 4:.1f}" y="{y(value):.1f}" width="{step - 8:.1f}" '
                         f'height="{bottom - y(value):.1f}" fill="{BLUE}"/>')
        line.append(f'{x + step / 2:.1f},{y(row.target_pro_rata or 0):.1f}')
        parts.append(_text(x + step / 2, bottom + 14, point.period.replace("20", "'", 1), size=9, anchor="middle"))
    parts.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{ORANGE}" stroke-width="2" '
                 f'stroke-dasharray="5 3"/>')
    return _svg(width, height, "".join(parts),
                fm._("{label} by half-year against the pro-rata target").format(label=label))


def regions(origins, flows, fm: Formats, label, *, width: int = 520) -> str:
    """Where leads come from (circles per origin region) and where they land (arrows: relocations), on the real
    provinces (CBS, Kadaster boundaries, shared.geo) with the five programme regions tinted.

    Regions or flows merged into 'other' by the disclosure policy are drawn hatched, without a number."""
    canvas = country(width)
    by_region = {c.key: c.value for c in origins.cells}
    merged_regions = next((set(c.members) for c in origins.cells if c.members), set())
    spots = {region: canvas.point(region_anchor(region)) for region in REGION_PROVINCES}
    parts = [HATCH, canvas.provinces(region_fills()),
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{ORANGE}"/></marker></defs>']
    hidden = {region: region in merged_regions for region in spots}
    values = {region: by_region.get(region, 0) for region in spots}
    radii = {region: _radius(hidden[region], values[region]) for region in spots}
    parts += [_flow(spots, radii, cell, fm) for cell in flows.cells]
    parts += [_origin(spots[r], radii[r], label(r), hidden[r], values[r], fm) for r in spots]
    legend_y = canvas.height + 14
    parts.append(_text(10, legend_y, fm._("circles: leads by origin region; arrows: relocations origin → "
                                          "destination"), size=10))
    parts.append(_text(10, legend_y + 16, fm._("hatched: merged into 'other regions' (fewer than 3 companies)"),
                       size=10))
    words = MapWords() if fm.lang == "nl" else MapWords.english()
    return document(canvas, "".join(parts), title=fm._("Where leads come from and where they land"),
                    description=fm._("Map of the Netherlands with its provinces; the five programme regions are "
                                     "tinted. The tables beside the map give the same figures."),
                    attribution=words.attribution, below=34)


def _radius(hidden: bool, value: float) -> float:
    return 16 if hidden or not value else 16 + 4 * min(value, 12) ** 0.8


def _flow(spots, radii, cell, fm: Formats) -> str:
    origin, _, destination = cell.key.partition(" -> ")
    if origin not in spots or destination not in spots:
        return ""
    (x1, y1), (x2, y2) = spots[origin], spots[destination]
    if origin == destination:  # relocated within the own region: a loop beside its circle
        return (f'<circle cx="{x1 + 34:.1f}" cy="{y1 - 34:.1f}" r="14" fill="none" stroke="{ORANGE}" '
                f'stroke-width="2"/>' + geo_text(x1 + 54, y1 - 44, fm.number(cell.value), size=11, fill=ORANGE,
                                                 anchor="start"))
    bend = ((x1 + x2) / 2 + 40, (y1 + y2) / 2 - 40)
    # The curve runs from the edge of one circle to the edge of the other, so the arrowhead stays visible.
    (sx, sy), (ex, ey) = _towards((x1, y1), bend, radii[origin]), _towards((x2, y2), bend, radii[destination] + 3)
    return (f'<path d="M{sx:.1f},{sy:.1f} Q{bend[0]:.1f},{bend[1]:.1f} {ex:.1f},{ey:.1f}" fill="none" '
            f'stroke="{ORANGE}" stroke-width="{2 + min(cell.value, 10)}" marker-end="url(#arrow)" opacity="0.9"/>'
            + geo_text((x1 + x2) / 2 + 24, (y1 + y2) / 2 - 18, fm.number(cell.value), size=12, fill=ORANGE,
                       weight="bold"))


def _towards(point, target, distance: float):
    """The point `distance` pixels from `point` in the direction of `target`."""
    dx, dy = target[0] - point[0], target[1] - point[1]
    length = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    return point[0] + dx / length * distance, point[1] + dy / length * distance


def _origin(spot, radius: float, name: str, hidden: bool, value: float, fm: Formats) -> str:
    x, y = spot
    fill = "url(#hatch)" if hidden else BLUE
    return (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{fill}" opacity="0.85" stroke="#fff"/>'
            + geo_text(x, y + 4, "·" if hidden else fm.number(value), weight="bold", fill=INK if hidden else "white",
                       halo=False)
            + geo_text(x, y + radius + 15, name, weight="bold"))


def bars(items: list[tuple[str, float]], title: str, fm: Formats, *, width: int = 560) -> str:
    """Horizontal bars, largest first."""
    items = sorted(items, key=lambda kv: -kv[1])
    peak = max([v for _, v in items] + [1])
    label_w, row_h = 250, 24
    parts = []
    for i, (key, value) in enumerate(items):
        y = 8 + i * row_h
        w = (width - label_w - 50) * value / peak
        parts.append(_text(label_w - 8, y + 14, key, anchor="end", size=11)
                     + f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1):.1f}" height="16" fill="{BLUE}"/>'
                     + _text(label_w + w + 6, y + 14, fm.number(value), size=11))
    if not items:
        parts.append(_text(10, 20, fm._("nothing to show yet"), fill=GREY))
    return _svg(width, 16 + max(len(items), 1) * row_h, "".join(parts), title)


def outlook(rows: list, year: int, fm: Formats, label, *, width: int = 560) -> str:
    """Per constraint, per region: open demand needed by the end of `year` (orange; hatched when not released)
    against the supply there by then (blue)."""
    panels = [(c, [r for r in rows if r.constraint == c and r.year == year]) for c in ("floor_space_m2",
                                                                                      "cleanroom_m2", "grid_mw")]
    panels = [(c, found) for c, found in panels if found]
    parts, y = [], 6
    label_w, bar_h = 110, 10
    for constraint, found in panels:
        peak = max([max(r.supply, _demand_of(r) or 0) for r in found] + [1])
        needed = fm._("needed by the end of %(year)s") % {"year": year}
        parts.append(_text(6, y + 12, f"{label(constraint)} — {needed}", weight="bold"))
        y += 20
        for r in found:
            demand = _demand_of(r)
            scale = (width - label_w - 90) / peak
            parts.append(_text(label_w - 6, y + 12, label(r.region), anchor="end", size=11))
            if demand is None:
                parts.append(f'<rect x="{label_w}" y="{y}" width="40" height="{bar_h}" fill="url(#hatch)"/>')
            else:
                parts.append(f'<rect x="{label_w}" y="{y}" width="{max(demand * scale, 1):.1f}" height="{bar_h}" '
                             f'fill="{ORANGE}"/>')
            parts.append(f'<rect x="{label_w}" y="{y + bar_h + 1}" width="{max(r.supply * scale, 1):.1f}" '
                         f'height="{bar_h}" fill="{BLUE}"/>')
            parts.append(_text(label_w + max(demand or 0, r.supply) * scale + 6, y + 16,
                               fm.number(r.supply), size=10, fill=GREY))
            y += 2 * bar_h + 8
        y += 6
    parts.append(_text(6, y + 12, fm._("orange: open demand; blue: supply in the catalogue; hatched: not released"),
                       size=10))
    return _svg(width, y + 20, "".join(parts), fm._("Regional outlook: demand against supply"))


def _demand_of(row) -> float | None:
    if row.demand is not None:
        return row.demand
    if row.demand_band is not None:
        return (row.demand_band.low + row.demand_band.high) / 2
    return None
