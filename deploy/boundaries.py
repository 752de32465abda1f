"""Build the shipped map boundaries (shared/geo/data/) from CBS's generalised municipal boundaries.

    python -m deploy.boundaries SOURCE.geo.json

SOURCE is CBS's "gemeente_gegeneraliseerd" layer (CBS gebiedsindelingen, CC BY 4.0 "CBS, Kadaster") as GeoJSON in
RD New (EPSG:28992), one feature per municipality with a CBS code (`statcode` GMxxxx, or `regiocode` Gxxxx as in
the copy named in shared/geo/data/NOTICE.md). The script runs offline on that one file:

1. merges municipalities that a later reorganisation joined (MERGED below) into the division of the project's
   municipality table (shared/contracts/data/gemeenten.csv), and refuses to write when a code is missing or extra;
2. simplifies the municipalities as one coverage (shapely's `coverage_simplify`: neighbours keep one shared edge,
   so no gaps or overlaps appear between them);
3. dissolves the simplified municipalities into the twelve provinces by the table's province of each municipality,
   so province borders coincide with municipal ones;
4. writes two small GeoJSON files (integer metres in RD New) with a label point inside each area.

shapely is needed only here (a dev dependency); the services read the written files with the standard library.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

from shared.contracts.geography import PROVINCES, municipalities

OUT = Path(__file__).resolve().parents[1] / "shared" / "geo" / "data"
# Metres: at the scale the pages draw (about 500 m a pixel for the whole country) nothing visible is lost.
TOLERANCE_M = 250.0
# Reorganisations after the source's division: the new code and the codes it joined (CBS's "gemeentelijke
# herindelingen"). 1 January 2023: Brielle, Hellevoetsluis and Westvoorne formed Voorne aan Zee.
MERGED: dict[str, tuple[str, ...]] = {"GM1992": ("GM0501", "GM0530", "GM0614")}


def _code(properties: dict) -> str:
    if properties.get("statcode"):
        return str(properties["statcode"]).upper()
    return "GM" + str(properties["regiocode"])[1:]


def read_municipalities(source: Path) -> dict[str, shapely.Geometry]:
    """The source's municipalities by CBS code, joined into the table's current division."""
    features = json.loads(source.read_text(encoding="utf-8"))["features"]
    shapes = {_code(f["properties"]): shape(f["geometry"]) for f in features}
    for new, old in MERGED.items():
        if new not in shapes and all(code in shapes for code in old):
            shapes[new] = shapely.union_all([shapes.pop(code) for code in old])
    expected = set(municipalities())
    missing, extra = sorted(expected - set(shapes)), sorted(set(shapes) - expected)
    if missing or extra:
        raise SystemExit(f"source does not match the municipality table: missing {missing}, extra {extra}")
    return dict(sorted(shapes.items()))


def simplify(shapes: dict[str, shapely.Geometry], tolerance: float) -> dict[str, shapely.Geometry]:
    """Simplify all areas together so that shared borders stay shared."""
    codes = list(shapes)
    valid = [shapely.make_valid(shapes[c]) for c in codes]
    simplified = shapely.coverage_simplify(valid, tolerance)
    return {code: shapely.make_valid(geom) for code, geom in zip(codes, simplified, strict=True)}


def provinces(shapes: dict[str, shapely.Geometry]) -> dict[str, shapely.Geometry]:
    """Dissolve municipalities into their provinces (the table says which province each lies in)."""
    parts: dict[str, list[shapely.Geometry]] = defaultdict(list)
    table = municipalities()
    for code, geom in shapes.items():
        parts[table[code][1]].append(geom)
    # A tiny buffer there and back closes the hairline slivers a union of simplified parts can leave.
    return {pv: shapely.union_all(parts[pv]).buffer(1, join_style="mitre").buffer(-1, join_style="mitre")
            for pv in PROVINCES}


def _rounded(geom: shapely.Geometry) -> dict:
    geom = shapely.set_precision(geom, 1.0)
    out = mapping(geom)
    return json.loads(json.dumps(out), parse_float=lambda v: int(round(float(v))))


def _feature(code: str, name: str, geom: shapely.Geometry, **extra) -> dict:
    label = shapely.point_on_surface(geom)
    return {"type": "Feature", "id": code,
            "properties": {"code": code, "name": name, "label_x": round(label.x), "label_y": round(label.y), **extra},
            "geometry": _rounded(geom)}


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}},
            "features": features}


def write(name: str, data: dict) -> int:
    path = OUT / name
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return path.stat().st_size


def main(argv: list[str]) -> int:
    """Read SOURCE, write gemeenten.geo.json and provincies.geo.json, print their sizes."""
    if len(argv) != 1:
        print(__doc__)
        return 2
    table = municipalities()
    shapes = simplify(read_municipalities(Path(argv[0])), TOLERANCE_M)
    gm = [_feature(code, table[code][0], geom, province=table[code][1]) for code, geom in shapes.items()]
    pv = [_feature(code, PROVINCES[code], geom) for code, geom in provinces(shapes).items()]
    sizes = {name: write(name, collection(features))
             for name, features in (("gemeenten.geo.json", gm), ("provincies.geo.json", pv))}
    for name, size in sizes.items():
        print(f"wrote {OUT / name}: {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
