"""The site catalogue on a map when there are too many sites for a marker each: per municipality a circle with
the number of sites in it (its municipality filled), and the same counts as a table beside the map."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from shared.geo.boundaries import municipalities, provinces, region_of_province
from shared.geo.canvas import (
    SITE,
    Canvas,
    MapWords,
    country,
    document,
    layer,
    region_fills,
    region_labels,
    text,
    zoomed,
)
from shared.geo.map import MapView

WITH_SITES = "#cfe0f1"
# More municipalities with sites than this on the whole country, and the circles cover each other: the map then
# counts per province (the table keeps the municipalities).
CROWDED = 40


def count_map(counts: Mapping[str, int], *, title: str, description: str, words: MapWords = MapWords(),
              width: int = 520, focus: str | None = None, show_municipalities: bool = True) -> MapView:
    """Sites per municipality (GMxxxx -> count): counts of unknown codes and zeros are left out. With many
    municipalities on the whole country the circles count per province; the table always lists municipalities."""
    canvas = zoomed(focus, width) if focus else country(width)
    known = {code.upper(): n for code, n in counts.items() if code.upper() in municipalities() and n > 0}
    body = canvas.provinces(region_fills()) + (canvas.municipalities() if show_municipalities else "")
    body += layer(canvas, [municipalities()[c] for c in known], {}, SITE, 0.8, "gemeenten-met-locaties",
                  fill=WITH_SITES)
    body += region_labels(canvas, names=dict(words.regions))
    crowded = focus is None and len(known) > CROWDED
    drawn = _per_province(known) if crowded else known
    # Largest first, so that a small count next to a large one is drawn on top and stays readable.
    body += "".join(_count(canvas, code, n) for code, n in sorted(drawn.items(), key=lambda kv: -kv[1]))
    body += _legend(words.count_legend_province if crowded else words.count_legend)
    svg = document(canvas, body, title=title, description=description, attribution=words.attribution)
    return MapView(svg=svg, table=_table(known, words))


def _radius(n: int) -> float:
    return min(8 + 1.5 * n ** 0.5, 16)


def _per_province(known: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for code, n in known.items():
        pv = municipalities()[code].province
        out[pv] = out.get(pv, 0) + n
    return out


def _count(canvas: Canvas, code: str, n: int) -> str:
    area = municipalities().get(code) or provinces()[code]
    x0, y0, x1, y1 = canvas.bbox
    if not (x0 <= area.label[0] <= x1 and y0 <= area.label[1] <= y1):
        return ""
    x, y = canvas.point(area.label)
    return (f'<g class="count" data-code="{code}"><title>{escape(area.name)}: {n}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{_radius(n):.1f}" fill="{SITE}" stroke="#fff" stroke-width="1.5"/>'
            + text(x, y + 4, n, size=10, weight="bold", fill="#fff", halo=False) + "</g>")


def _legend(meaning: str, *, x: float = 12, y: float = 18) -> str:
    return (f'<rect x="{x - 4}" y="{y - 12}" width="250" height="26" fill="#fff" opacity="0.85" rx="3"/>'
            f'<circle cx="{x + 8}" cy="{y}" r="9" fill="{SITE}"/>' + text(x + 8, y + 4, "n", size=10, fill="#fff",
                                                                         halo=False)
            + text(x + 22, y + 4, meaning, size=11, anchor="start"))


def _table(known: Mapping[str, int], words: MapWords) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in (
        words.municipality, words.province, words.region, words.sites))
    rows = "".join(_row(code, n, words) for code, n in sorted(
        known.items(), key=lambda kv: (-kv[1], municipalities()[kv[0]].name)))
    return (f'<table class="map-table"><caption>{escape(words.caption)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{rows}</tbody></table>')


def _row(code: str, n: int, words: MapWords) -> str:
    area = municipalities()[code]
    region = region_of_province(area.province)
    cells = (area.name, provinces()[area.province].name,
             words.region_name(region) if region else words.outside_regions, str(n))
    return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"
