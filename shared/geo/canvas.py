"""The drawing surface of every map: RD New metres onto pixels, province and municipality layers, region tints and
names, labels with a halo, and the accessible <svg> element around it all (role="img", <title>, <desc>).

The boundaries are CBS, Kadaster (CC BY 4.0); every map carries that attribution.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from html import escape
from itertools import count

from shared.geo.boundaries import (
    REGION_NAMES,
    REGION_PROVINCES,
    Area,
    Point,
    country_bbox,
    municipalities,
    provinces,
    region_anchor,
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
    catalogue_site: str = "locatie in het aanbod"
    catalogue_legend: str = "locatie in het aanbod (nummer: zie de tabel)"
    current: str = "huidige locatie"
    outside_regions: str = "buiten de vijf programmaregio's"
    unknown: str = "onbekend"
    caption: str = "De kaart als tabel"
    sites: str = "Locaties"
    count_legend: str = "aantal locaties in de gemeente"
    count_legend_province: str = "aantal locaties in de provincie"
    attribution: str = "Grenzen: CBS, Kadaster (CC BY 4.0)"
    # The programme regions as the reader names them (on the map and in its table).
    regions: tuple[tuple[str, str], ...] = tuple(REGION_NAMES.items())

    @classmethod
    def english(cls) -> MapWords:
        return cls(number="No.", place="Location", kind="Kind", municipality="Municipality", province="Province",
                   region="Region", site="proposed site",
                   site_legend="proposed site (number: see the table)", catalogue_site="site in the catalogue",
                   catalogue_legend="site in the catalogue (number: see the table)", current="current location",
                   outside_regions="outside the five programme regions", unknown="unknown",
                   caption="The map as a table", sites="Sites",
                   count_legend="number of sites in the municipality",
                   count_legend_province="number of sites in the province",
                   attribution="Boundaries: CBS, Kadaster (CC BY 4.0)",
                   regions=(("noord", "North"), ("oost", "East"), ("zuid", "South"), ("west", "West"),
                            ("midden", "Middle")))

    def region_name(self, code: str) -> str:
        return dict(self.regions).get(code, code)


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
        return layer(self, provinces().values(), fills or {}, stroke, width, "provincies")

    def municipalities(self, *, stroke: str = "#c3cbd3", width: float = 0.4) -> str:
        """Every municipality outlined thinly, unfilled: context under the provinces."""
        return layer(self, municipalities().values(), {}, stroke, width, "gemeenten", fill="none")


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


def layer(canvas: Canvas, areas: Iterable[Area], fills: Mapping[str, str], stroke: str, width: float, name: str,
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


def region_labels(canvas: Canvas, regions: Iterable[str] = REGION_NAMES, *, size: int = 13,
                  names: Mapping[str, str] = REGION_NAMES) -> str:
    """Each region's name (in the reader's words: `names`) at a point inside it (the regions whose point is in
    the frame)."""
    x0, y0, x1, y1 = canvas.bbox
    shown = [r for r in regions if x0 <= region_anchor(r)[0] <= x1 and y0 <= region_anchor(r)[1] <= y1]
    return "".join(text(*canvas.point(region_anchor(r)), names[r], size=size, weight="bold", fill="#3e4c59")
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
