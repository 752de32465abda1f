"""The Netherlands' provinces and municipalities as shipped in data/ (CBS, Kadaster, CC BY 4.0: see data/NOTICE.md).

Coordinates are RD New (EPSG:28992) metres, the Dutch national grid: x grows east, y grows north. Read once, on
first use, with the standard library; latitude/longitude are converted with pyproj.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"
Point = tuple[float, float]
Ring = tuple[Point, ...]
Polygon = tuple[Ring, ...]  # the outer ring, then any holes

# The working areas of the programme's five ROMs (DOMAIN.md): NOM, Oost NL, BOM, InnovationQuarter and Horizon
# Flevoland. Utrecht, Noord-Holland, Zeeland and Limburg have ROMs of their own that are not (yet) in the programme.
REGION_PROVINCES: dict[str, tuple[str, ...]] = {
    "noord": ("PV20", "PV21", "PV22"), "oost": ("PV23", "PV25"), "zuid": ("PV30",), "west": ("PV28",),
    "midden": ("PV24",),
}
REGION_NAMES = {"noord": "Noord", "oost": "Oost", "zuid": "Zuid", "west": "West", "midden": "Midden"}


@dataclass(frozen=True)
class Area:
    """A province or municipality: its CBS code, name, polygons and a point inside it for labels and markers."""

    code: str
    name: str
    polygons: tuple[Polygon, ...]
    label: Point
    province: str | None = None  # a municipality's PV code

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(min x, min y, max x, max y) of the outer rings."""
        xs = [x for polygon in self.polygons for x, _ in polygon[0]]
        ys = [y for polygon in self.polygons for _, y in polygon[0]]
        return min(xs), min(ys), max(xs), max(ys)

    def contains(self, point: Point) -> bool:
        """Whether the point lies inside the area (inside an outer ring and in none of its holes)."""
        return any(_inside(point, polygon[0]) and not any(_inside(point, hole) for hole in polygon[1:])
                   for polygon in self.polygons)


def _inside(point: Point, ring: Ring) -> bool:
    # Even-odd ray casting: count the ring's edges a ray to the east crosses.
    x, y = point
    crossings = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            crossings = not crossings
    return crossings


def _polygons(geometry: dict) -> tuple[Polygon, ...]:
    parts = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return tuple(tuple(tuple((float(x), float(y)) for x, y in ring) for ring in polygon) for polygon in parts)


def _read(name: str) -> dict[str, Area]:
    features = json.loads((DATA / name).read_text(encoding="utf-8"))["features"]
    return {f["id"]: Area(code=f["id"], name=f["properties"]["name"], polygons=_polygons(f["geometry"]),
                          label=(f["properties"]["label_x"], f["properties"]["label_y"]),
                          province=f["properties"].get("province")) for f in features}


@cache
def provinces() -> dict[str, Area]:
    """The twelve provinces by CBS code (PV20..PV31)."""
    return _read("provincies.geo.json")


@cache
def municipalities() -> dict[str, Area]:
    """The 342 municipalities by CBS code (GMxxxx)."""
    return _read("gemeenten.geo.json")


def region_of_province(code: str) -> str | None:
    """The programme region whose ROM works in the province, or None outside the five."""
    return next((region for region, pvs in REGION_PROVINCES.items() if code in pvs), None)


@cache
def region_anchor(region: str) -> Point:
    """A point inside the region for its label: the centroid of its provinces, or (should that fall outside them,
    in a lake or between two provinces) the label point of its largest province."""
    areas = [provinces()[pv] for pv in REGION_PROVINCES[region]]
    centre = _centroid(areas)
    if any(area.contains(centre) for area in areas):
        return centre
    return max(areas, key=_extent).label


def _extent(area: Area) -> float:
    x0, y0, x1, y1 = area.bbox
    return (x1 - x0) * (y1 - y0)


def _centroid(areas: list[Area]) -> Point:
    """The area-weighted centroid of the outer rings (shoelace formula)."""
    total = cx = cy = 0.0
    for ring in (polygon[0] for area in areas for polygon in area.polygons):
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            cross = x1 * y2 - x2 * y1
            total, cx, cy = total + cross, cx + (x1 + x2) * cross, cy + (y1 + y2) * cross
    return cx / (3 * total), cy / (3 * total)


@cache
def country_bbox() -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of the whole country in RD metres."""
    boxes = [area.bbox for area in provinces().values()]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


@cache
def _wgs84_to_rd():
    from pyproj import Transformer  # imported on first use: the transformer loads PROJ's grid data

    return Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)


def rd_from_wgs84(latitude: float, longitude: float) -> Point:
    """Latitude/longitude (WGS84) as RD New metres."""
    x, y = _wgs84_to_rd().transform(longitude, latitude)
    return float(x), float(y)


def province_at(point: Point) -> str | None:
    """The PV code of the province the RD point lies in, or None (at sea, abroad)."""
    return next((code for code, area in provinces().items() if area.contains(point)), None)

