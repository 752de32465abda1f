"""An offline map of the Netherlands as inline SVG: provinces (and optionally municipalities) outlined, the five
programme regions shaded and named, numbered markers for sites and a distinct one for a company's current location.

No JavaScript, no tiles, nothing fetched: the page carries the map. Accessible by construction: role="img" with a
<title> and <desc>, every marker has a number or shape *and* a text label, and `MapView.table` is the same content
as a table to place beside the map (colour is never the only carrier of meaning). Words are Dutch unless the caller
passes `MapWords.english()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape
from math import cos, sin

from shared.geo.boundaries import (
    REGION_NAMES,
    Area,
    Point,
    municipalities,
    province_at,
    provinces,
    rd_from_wgs84,
    region_of_province,
)
from shared.geo.canvas import (
    CURRENT,
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


@dataclass(frozen=True)
class Marker:
    """A place to mark: by latitude/longitude, or else at its municipality's label point."""

    label: str
    kind: str = "site"  # "site" (numbered circle) or "current" (diamond)
    number: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    municipality_code: str | None = None
    note: str = ""


@dataclass(frozen=True)
class PlacedMarker:
    """A marker where it was drawn, with the areas it lies in (for the text alternative)."""

    marker: Marker
    rd: Point
    municipality: str | None
    province: str | None
    region: str | None


@dataclass(frozen=True)
class MapView:
    svg: str
    placed: list[PlacedMarker] = field(default_factory=list)
    table: str = ""


def place(marker: Marker) -> PlacedMarker | None:
    """Where a marker goes and which municipality, province and region that is; None when it has no position."""
    if marker.latitude is not None and marker.longitude is not None:
        rd = rd_from_wgs84(marker.latitude, marker.longitude)
    elif marker.municipality_code and marker.municipality_code.upper() in municipalities():
        rd = municipalities()[marker.municipality_code.upper()].label
    else:
        return None
    municipality = _municipality(marker, rd)
    province = municipality.province if municipality else province_at(rd)
    return PlacedMarker(marker=marker, rd=rd, municipality=municipality.name if municipality else None,
                        province=province, region=region_of_province(province) if province else None)


def _municipality(marker: Marker, rd: Point) -> Area | None:
    given = municipalities().get((marker.municipality_code or "").upper())
    if given is not None:
        return given
    return next((area for area in municipalities().values() if area.contains(rd)), None)


def _marker_svg(x: float, y: float, marker: Marker, words: MapWords, *, east: bool) -> str:
    kind = words.current if marker.kind == "current" else words.site
    prefix = f"{marker.number}. " if marker.number is not None else ""
    tooltip = f"<title>{escape(prefix + marker.label)} ({escape(kind)})</title>"
    number = text(x, y + 4, marker.number, size=11, weight="bold", fill="#fff", halo=False) \
        if marker.number is not None else ""
    # A numbered marker is named in the table; one without a number (the current location) is named here, on
    # the side of the marker that has room.
    caption = "" if marker.number is not None else \
        text(x - 13 if east else x + 13, y + 4, marker.label, size=11, anchor="end" if east else "start")
    return f'<g class="marker marker-{marker.kind}">{tooltip}{_shape(x, y, marker.kind)}{number}{caption}</g>'


def _shape(x: float, y: float, kind: str) -> str:
    if kind == "current":
        return (f'<path d="M{x:.1f},{y - 10:.1f}L{x + 10:.1f},{y:.1f}L{x:.1f},{y + 10:.1f}L{x - 10:.1f},{y:.1f}Z" '
                f'fill="{CURRENT}" stroke="#fff" stroke-width="2"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{SITE}" stroke="#fff" stroke-width="2"/>'


def _dodged(points: Sequence[Point], gap: float = 17) -> list[Point]:
    """Markers that would cover each other are fanned out around their spot, so every number stays readable."""
    out: list[Point] = []
    for x, y in points:
        tries = 0
        nx, ny = x, y
        while any((nx - ox) ** 2 + (ny - oy) ** 2 < gap ** 2 for ox, oy in out) and tries < 24:
            tries += 1
            angle = tries * 2.4  # the golden angle: successive tries spread evenly round the spot
            nx, ny = x + gap * (1 + tries // 8) * cos(angle), y + gap * (1 + tries // 8) * sin(angle)
        out.append((nx, ny))
    return out


def _markers(canvas: Canvas, placed: Sequence[PlacedMarker], words: MapWords) -> str:
    # The current location first (underneath), the sites on top: a proposal is what the reader looks for.
    x0, y0, x1, y1 = canvas.bbox
    inside = [p for p in placed if x0 <= p.rd[0] <= x1 and y0 <= p.rd[1] <= y1]  # the others: in the table only
    ordered = sorted(inside, key=lambda p: p.marker.kind != "current")
    spots = _dodged([canvas.point(p.rd) for p in ordered])
    return "".join(_marker_svg(x, y, p.marker, words, east=x > canvas.width * 0.6)
                   for (x, y), p in zip(spots, ordered, strict=True))


def legend(words: MapWords, kinds: Iterable[str] = ("site", "current"), *, x: float = 12, y: float = 18) -> str:
    """What the marker shapes on the map mean, in words (on a white ground: a zoomed map may have land there)."""
    meanings = {"site": words.site_legend, "current": words.current}
    shown = [kind for kind in ("site", "current") if kind in set(kinds)]
    if not shown:
        return ""
    ground = f'<rect x="{x - 4}" y="{y - 12}" width="270" height="{24 * len(shown) + 2}" fill="#fff" ' \
             'opacity="0.85" rx="3"/>'
    return ground + "".join(_shape(x + 8, y + 24 * i, kind) + text(x + 22, y + 24 * i + 4, meanings[kind], size=11,
                                                                   anchor="start") for i, kind in enumerate(shown))


def table(placed: Sequence[PlacedMarker], words: MapWords = MapWords()) -> str:
    """The markers as an HTML table: number, place, kind, municipality, province, region."""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in (
        words.number, words.place, words.kind, words.municipality, words.province, words.region))
    rows = "".join(_row(p, words) for p in placed)
    return (f'<table class="map-table"><caption>{escape(words.caption)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{rows}</tbody></table>')


def _row(p: PlacedMarker, words: MapWords) -> str:
    m = p.marker
    province = provinces()[p.province].name if p.province else words.unknown
    region = words.region_name(p.region) if p.region else words.outside_regions
    cells = (str(m.number) if m.number is not None else "—", m.label + (f" ({m.note})" if m.note else ""),
             words.current if m.kind == "current" else words.site, p.municipality or words.unknown, province, region)
    return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"


def site_map(markers: Iterable[Marker], *, title: str, description: str, words: MapWords = MapWords(),
             width: int = 520, shade_regions: Iterable[str] = REGION_NAMES, show_municipalities: bool = False,
             highlight: Iterable[str] = (), focus: str | None = None) -> MapView:
    """Sites and a company's current location on the map of the Netherlands, with the same content as a table.

    `highlight`: municipality codes to fill (e.g. the municipalities a list is filtered to); `focus`: a province,
    municipality or region to zoom to (markers outside it stay in the table)."""
    canvas = zoomed(focus, width) if focus else country(width)
    placed = [p for p in (place(m) for m in markers) if p is not None]
    body = canvas.provinces(region_fills(shade_regions))
    if show_municipalities:
        body += canvas.municipalities()
    body += _highlighted(canvas, highlight) + region_labels(canvas, shade_regions, names=dict(words.regions))
    body += _markers(canvas, placed, words) + legend(words, {p.marker.kind for p in placed})
    svg = document(canvas, body, title=title, description=description, attribution=words.attribution)
    return MapView(svg=svg, placed=placed, table=table(placed, words))


def _highlighted(canvas: Canvas, codes: Iterable[str]) -> str:
    areas = [municipalities()[c] for c in codes if c in municipalities()]
    return layer(canvas, areas, {}, SITE, 1.0, "gemeenten-gemarkeerd", fill="#9ec5e8") if areas else ""

