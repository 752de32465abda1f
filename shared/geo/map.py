"""An offline map of the Netherlands as inline SVG: provinces (and optionally municipalities) outlined, the five
programme regions shaded and named, numbered markers for sites and a distinct one for a company's current location.

No JavaScript, no tiles, nothing fetched: the page carries the map. Accessible by construction: role="img" with a
<title> and <desc>, every marker has a number or shape *and* a text label, and `MapView.table` is the same content
as a table to place beside the map (colour is never the only carrier of meaning). Words are Dutch unless the caller
passes `MapWords.english()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from html import escape
from itertools import count
from math import cos, sin

from shared.geo.boundaries import (
    REGION_NAMES,
    REGION_PROVINCES,
    Area,
    Point,
    country_bbox,
    municipalities,
    province_at,
    provinces,
    rd_from_wgs84,
    region_anchor,
    region_of_province,
)

INK, GREY, LAND, SEA = "#1b2733", "#7b8794", "#f4f6f8", "#ffffff"
SITE, CURRENT = "#1f5f99", "#b45309"
# Light tints (the outline and the region's name carry the meaning; the tint only groups provinces).
REGION_FILLS = {"noord": "#dbe8f5", "oost": "#e3efdc", "zuid": "#f6e7d2", "west": "#eadff2", "midden": "#dff1f0"}
_ids = count(1)


@dataclass(frozen=True)
class MapWords:
    """The map's own words (the caller supplies titles and marker labels)."""

    number: str = "Nr."
    place: str = "Locatie"
    kind: str = "Soort"
    municipality: str = "Gemeente"
    province: str = "Provincie"
    region: str = "Regio"
    site: str = "voorgestelde locatie"
    site_legend: str = "voorgestelde locatie (nummer: zie de tabel)"
    current: str = "huidige locatie"
    outside_regions: str = "buiten de vijf programmaregio's"
    unknown: str = "onbekend"
    caption: str = "De kaart als tabel"
    attribution: str = "Grenzen: CBS, Kadaster (CC BY 4.0)"

    @classmethod
    def english(cls) -> MapWords:
        return cls(number="No.", place="Location", kind="Kind", municipality="Municipality", province="Province",
                   region="Region", site="proposed site",
                   site_legend="proposed site (number: see the table)", current="current location",
                   outside_regions="outside the five programme regions", unknown="unknown",
                   caption="The map as a table", attribution="Boundaries: CBS, Kadaster (CC BY 4.0)")


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


class Canvas:
    """RD New metres scaled onto a width × height pixel frame, north up; `bbox` (RD) zooms to part of the country."""

    def __init__(self, width: int = 520, *, bbox: tuple[float, float, float, float] | None = None,
                 margin: int = 10) -> None:
        x0, y0, x1, y1 = self.bbox = bbox or country_bbox()
        self.x0, self.y1, self.margin = x0, y1, margin
        self.scale = (width - 2 * margin) / (x1 - x0)
        self.width, self.height = width, round((y1 - y0) * self.scale + 2 * margin)
        self._paths: dict[str, str] = {}

    def point(self, rd: Point) -> Point:
        """The pixel position of an RD point."""
        return (self.margin + (rd[0] - self.x0) * self.scale, self.margin + (self.y1 - rd[1]) * self.scale)

    def path(self, area: Area) -> str:
        """The SVG path data of an area (even-odd: holes stay open); kept, as the same canvas draws it again."""
        if area.code not in self._paths:
            self._paths[area.code] = "".join(self._ring(ring) for polygon in area.polygons for ring in polygon)
        return self._paths[area.code]

    def _ring(self, ring: Sequence[Point]) -> str:
        xy = [self.point(p) for p in ring]
        return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in xy) + "Z"

    def provinces(self, fills: Mapping[str, str] | None = None, *, stroke: str = GREY, width: float = 1.0) -> str:
        """Every province outlined, filled by `fills` (PV code -> colour or pattern), the land colour otherwise."""
        return _layer(self, provinces().values(), fills or {}, stroke, width, "provincies")

    def municipalities(self, *, stroke: str = "#c3cbd3", width: float = 0.4) -> str:
        """Every municipality outlined thinly, unfilled: context under the provinces."""
        return _layer(self, municipalities().values(), {}, stroke, width, "gemeenten", fill="none")


@cache
def country(width: int = 520) -> Canvas:
    """The whole country at a width; one shared canvas per width, so its paths are projected once per process."""
    return Canvas(width)


@lru_cache(maxsize=64)
def zoomed(focus: str, width: int = 520) -> Canvas:
    """A canvas on one province (PVxx), municipality (GMxxxx) or programme region ('zuid'), with some room around."""
    return Canvas(width, bbox=focus_bbox(focus))


def focus_bbox(focus: str, *, pad: float = 0.08, least_m: float = 20_000) -> tuple[float, float, float, float]:
    """The RD box of an area to zoom to; ValueError for a code or region that does not exist."""
    boxes = [area.bbox for area in _focus_areas(focus)]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    dx, dy = max(x1 - x0, least_m) * pad + max(0, least_m - (x1 - x0)) / 2, \
        max(y1 - y0, least_m) * pad + max(0, least_m - (y1 - y0)) / 2
    return x0 - dx, y0 - dy, x1 + dx, y1 + dy


def _focus_areas(focus: str) -> list[Area]:
    if focus.lower() in REGION_PROVINCES:
        return [provinces()[pv] for pv in REGION_PROVINCES[focus.lower()]]
    found = provinces().get(focus.upper()) or municipalities().get(focus.upper())
    if found is None:
        raise ValueError(f"no province, municipality or region {focus!r} to zoom to")
    return [found]


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _layer(canvas: Canvas, areas: Iterable[Area], fills: Mapping[str, str], stroke: str, width: float, name: str,
           *, fill: str = LAND) -> str:
    # Areas outside the frame are left out: a zoomed map carries only what it shows.
    paths = "".join(f'<path d="{canvas.path(a)}" fill="{fills.get(a.code, fill)}" data-code="{a.code}">'
                    f'<title>{escape(a.name)}</title></path>' for a in areas if _overlaps(a.bbox, canvas.bbox))
    return (f'<g class="{name}" stroke="{stroke}" stroke-width="{width}" stroke-linejoin="round" '
            f'fill-rule="evenodd">{paths}</g>')


def text(x: float, y: float, content: object, *, size: int = 12, anchor: str = "middle", weight: str = "normal",
         fill: str = INK, halo: bool = True) -> str:
    """A label; the white halo keeps it readable over outlines and tints."""
    outline = ' stroke="#fff" stroke-width="3" paint-order="stroke"' if halo else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}" font-family="sans-serif"{outline}>{escape(str(content))}</text>')


def region_fills(regions: Iterable[str] = REGION_NAMES) -> dict[str, str]:
    """PV code -> the tint of its programme region, for the regions asked for."""
    return {pv: REGION_FILLS[region] for region in regions for pv in REGION_PROVINCES[region]}


def region_labels(canvas: Canvas, regions: Iterable[str] = REGION_NAMES, *, size: int = 13) -> str:
    """Each region's name at a point inside it (the regions whose point is in the frame)."""
    x0, y0, x1, y1 = canvas.bbox
    shown = [r for r in regions if x0 <= region_anchor(r)[0] <= x1 and y0 <= region_anchor(r)[1] <= y1]
    return "".join(text(*canvas.point(region_anchor(r)), REGION_NAMES[r], size=size, weight="bold", fill="#3e4c59")
                   for r in shown)


def document(canvas: Canvas, body: str, *, title: str, description: str, attribution: str | None = None,
             below: int = 0) -> str:
    """The SVG element: role="img", labelled by its <title> and described by its <desc>; `below` adds room under
    the map (for a legend drawn at y > canvas.height)."""
    n, height = next(_ids), canvas.height + below
    credit = text(canvas.width - 6, canvas.height - 6, attribution, size=9, anchor="end", fill="#52606d") \
        if attribution else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {canvas.width} {height}" '
            f'style="width:100%;max-width:{canvas.width}px;height:auto" role="img" '
            f'aria-labelledby="map-title-{n}" aria-describedby="map-desc-{n}">'
            f'<title id="map-title-{n}">{escape(title)}</title><desc id="map-desc-{n}">{escape(description)}</desc>'
            f'<rect width="{canvas.width}" height="{height}" fill="{SEA}"/>{body}{credit}</svg>')


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


def legend(words: MapWords, *, x: float = 12, y: float = 18) -> str:
    """What the two marker shapes mean, in words (on a white ground: a zoomed map may have land there)."""
    ground = f'<rect x="{x - 4}" y="{y - 12}" width="250" height="50" fill="#fff" opacity="0.85" rx="3"/>'
    return (ground + _shape(x + 8, y, "site") + text(x + 22, y + 4, words.site_legend, size=11, anchor="start")
            + _shape(x + 8, y + 24, "current") + text(x + 22, y + 28, words.current, size=11, anchor="start"))


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
    region = REGION_NAMES[p.region] if p.region else words.outside_regions
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
    body += _highlighted(canvas, highlight) + region_labels(canvas, shade_regions)
    body += _markers(canvas, placed, words) + legend(words)
    svg = document(canvas, body, title=title, description=description, attribution=words.attribution)
    return MapView(svg=svg, placed=placed, table=table(placed, words))


def _highlighted(canvas: Canvas, codes: Iterable[str]) -> str:
    areas = [municipalities()[c] for c in codes if c in municipalities()]
    return _layer(canvas, areas, {}, SITE, 1.0, "gemeenten-gemarkeerd", fill="#9ec5e8") if areas else ""

