"""The shipped boundaries and the offline SVG map drawn from them (shared/geo)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest
from shapely.geometry import Polygon as ShapelyPolygon

from deploy import boundaries as build
from shared.contracts import geography
from shared.geo import boundaries as geo
from shared.geo.canvas import Canvas, MapWords, country
from shared.geo.counts import count_map
from shared.geo.map import Marker, site_map

SVG = "{http://www.w3.org/2000/svg}"
ZERNIKE = (53.24, 6.53)  # Zernike Campus, Groningen
HIGH_TECH_CAMPUS = (51.41, 5.46)  # Eindhoven


def test_shipped_boundaries_are_the_municipality_table_and_twelve_provinces():
    table = geography.municipalities()
    assert {code: (a.name, a.province) for code, a in geo.municipalities().items()} == table
    assert {code: a.name for code, a in geo.provinces().items()} == geography.PROVINCES


def test_shipped_boundaries_stay_small_and_carry_their_licence():
    sizes = sum(p.stat().st_size for p in geo.DATA.glob("*.geo.json"))
    assert sizes < 600 * 1024
    notice = (geo.DATA / "NOTICE.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notice and "CBS, Kadaster" in notice and "deploy.boundaries" in notice


def test_every_municipality_lies_in_its_own_province():
    provinces = geo.provinces()
    outside = [code for code, area in geo.municipalities().items()
               if not provinces[area.province].contains(area.label) or not area.contains(area.label)]
    assert outside == []


def test_regions_are_programme_provinces_and_named_inside_themselves():
    assert set(geo.REGION_PROVINCES) == set(geo.REGION_NAMES) == {"noord", "oost", "zuid", "west", "midden"}
    for region, pvs in geo.REGION_PROVINCES.items():
        assert geo.province_at(geo.region_anchor(region)) in pvs
        assert all(geo.region_of_province(pv) == region for pv in pvs)
    assert geo.region_of_province("PV26") is None  # Utrecht: a ROM outside the programme's five


def test_latitude_longitude_become_rd_new_metres():
    # The RD origin (Onze Lieve Vrouwetoren, Amersfoort) is at x=155000, y=463000 by definition.
    x, y = geo.rd_from_wgs84(52.15517440, 5.38720621)
    assert abs(x - 155000) < 2 and abs(y - 463000) < 2
    assert geo.province_at(geo.rd_from_wgs84(*ZERNIKE)) == "PV20"
    assert geo.province_at(geo.rd_from_wgs84(52.0, 3.0)) is None  # North Sea


def _svg(view) -> ET.Element:
    return ET.fromstring(view.svg)


def _province_pixel_box(canvas: Canvas, code: str) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = geo.provinces()[code].bbox
    (left, bottom), (right, top) = canvas.point((x0, y0)), canvas.point((x1, y1))
    return left, top, right, bottom


def _circles(root: ET.Element) -> list[tuple[float, float]]:
    return [(float(c.get("cx")), float(c.get("cy"))) for g in root.iter(f"{SVG}g")
            if g.get("class") == "marker marker-site" for c in g.iter(f"{SVG}circle")]


def test_map_is_valid_accessible_svg_with_all_twelve_provinces():
    view = site_map([Marker(label="Zernike Campus", number=1, latitude=ZERNIKE[0], longitude=ZERNIKE[1])],
                    title="Voorgestelde locaties", description="Eén locatie in Groningen.")
    root = _svg(view)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Voorgestelde locaties" and desc.text == "Eén locatie in Groningen."
    assert root.get("aria-labelledby") == title.get("id") and root.get("aria-describedby") == desc.get("id")
    drawn = {p.get("data-code") for g in root.iter(f"{SVG}g") if g.get("class") == "provincies"
             for p in g.iter(f"{SVG}path")}
    assert drawn == set(geography.PROVINCES)
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"Noord", "Oost", "Zuid", "West", "Midden", "Grenzen: CBS, Kadaster (CC BY 4.0)"} <= texts


def test_marker_is_drawn_inside_its_province_and_named_in_the_table():
    view = site_map([Marker(label="Zernike Campus", number=1, latitude=ZERNIKE[0], longitude=ZERNIKE[1]),
                     Marker(label="High Tech Campus", number=2, latitude=HIGH_TECH_CAMPUS[0],
                            longitude=HIGH_TECH_CAMPUS[1])],
                    title="t", description="d")
    (x1, y1), (x2, y2) = _circles(_svg(view))
    left, top, right, bottom = _province_pixel_box(country(), "PV20")
    assert left <= x1 <= right and top <= y1 <= bottom
    left, top, right, bottom = _province_pixel_box(country(), "PV30")
    assert left <= x2 <= right and top <= y2 <= bottom
    assert [(p.municipality, p.province, p.region) for p in view.placed] == [
        ("Groningen", "PV20", "noord"), ("Eindhoven", "PV30", "zuid")]
    rows = ET.fromstring(view.table).findall("./tbody/tr")
    assert [[td.text for td in row] for row in rows] == [
        ["1", "Zernike Campus", "voorgestelde locatie", "Groningen", "Groningen", "Noord"],
        ["2", "High Tech Campus", "voorgestelde locatie", "Eindhoven", "Noord-Brabant", "Zuid"]]


def test_current_location_by_municipality_is_a_labelled_diamond_not_a_colour_alone():
    view = site_map([Marker(label="Huidige vestiging", kind="current", municipality_code="gm0153")],
                    title="t", description="d")
    root = _svg(view)
    current = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "marker marker-current")
    assert current.find(f"{SVG}path") is not None and current.find(f"{SVG}circle") is None
    assert "Huidige vestiging" in {t.text for t in current.iter(f"{SVG}text")}
    assert view.placed[0].rd == geo.municipalities()["GM0153"].label  # Enschede's label point
    assert ["Huidige vestiging", "huidige locatie", "Enschede", "Overijssel", "Oost"] == [
        td.text for td in ET.fromstring(view.table).find("./tbody/tr")][1:]


def test_markers_on_one_spot_are_fanned_out_so_each_number_shows():
    same = [Marker(label=f"Locatie {n}", number=n, municipality_code="GM0014") for n in (1, 2, 3)]
    spots = _circles(_svg(site_map(same, title="t", description="d")))
    assert len(spots) == 3
    assert all((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 >= 16 ** 2 for i, a in enumerate(spots) for b in spots[i + 1:])


def test_text_is_escaped_unplaceable_markers_are_left_out_and_english_is_a_choice():
    view = site_map([Marker(label="<b>R&D</b>", number=1, municipality_code="GM0014"),
                     Marker(label="nowhere", number=2), Marker(label="unknown", number=3, municipality_code="GM9999")],
                    title="Sites & <more>", description="d", words=MapWords.english())
    root = _svg(view)  # parses: nothing unescaped leaked into the markup
    assert root.find(f"{SVG}title").text == "Sites & <more>"
    assert [p.marker.label for p in view.placed] == ["<b>R&D</b>"]
    table = ET.fromstring(view.table)
    assert table.find("caption").text == "The map as a table"
    assert [td.text for td in table.find("./tbody/tr")][2:] == ["proposed site", "Groningen", "Groningen", "North"]


def test_municipalities_can_be_outlined_and_highlighted():
    root = _svg(site_map([], title="t", description="d", show_municipalities=True, highlight=["GM0153"]))
    layers = {g.get("class"): g for g in root.iter(f"{SVG}g")}
    assert len(layers["gemeenten"].findall(f"{SVG}path")) == 342
    assert [p.get("data-code") for p in layers["gemeenten-gemarkeerd"].findall(f"{SVG}path")] == ["GM0153"]


def test_paths_stay_within_the_frame():
    canvas = country(400)
    pairs = [pair.split(",") for d in re.findall(r' d="([^"]+)"', canvas.provinces())
             for pair in re.findall(r"-?[\d.]+,-?[\d.]+", d)]
    xs, ys = [float(x) for x, _ in pairs], [float(y) for _, y in pairs]
    assert len(pairs) > 1000
    assert 0 <= min(xs) and max(xs) <= canvas.width and 0 <= min(ys) and max(ys) <= canvas.height


# --- the build script (deploy/boundaries.py) ---------------------------------------------------------------------

def _square(x: float, y: float, side: float = 10_000) -> list:
    return [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]


def test_build_refuses_a_source_that_does_not_match_the_table(tmp_path):
    source = tmp_path / "src.geo.json"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"statcode": "GM0014"},
         "geometry": {"type": "Polygon", "coordinates": [_square(0, 0)]}}]}))
    with pytest.raises(SystemExit, match="missing .*GM0153"):
        build.read_municipalities(source)


def test_build_joins_a_reorganisation_and_keeps_shared_borders_shared():
    # Two neighbours with a jagged shared border: simplified together, they still meet without gap or overlap.
    jagged = [[10_000, 0]] + [[10_000 + (150 if i % 2 else -150), i * 500] for i in range(1, 20)] + [[10_000, 10_000]]
    left = ShapelyPolygon([[0, 0], *jagged, [0, 10_000]])
    right = ShapelyPolygon([*jagged, [20_000, 10_000], [20_000, 0]][::-1])
    out = build.simplify({"GM0001": left, "GM0002": right}, 400)
    assert out["GM0001"].intersection(out["GM0002"]).area == pytest.approx(0, abs=1)
    assert out["GM0001"].union(out["GM0002"]).area == pytest.approx(left.area + right.area, rel=1e-3)
    assert len(out["GM0001"].exterior.coords) < len(left.exterior.coords)


def test_build_joins_municipalities_a_reorganisation_merged(tmp_path):
    before = (set(geography.municipalities()) - {"GM1992"}) | set(build.MERGED["GM1992"])
    features = [{"type": "Feature", "properties": {"regiocode": "G" + code[2:]},
                 "geometry": {"type": "Polygon", "coordinates": [_square(i * 10_000, 0)]}}
                for i, code in enumerate(sorted(before))]
    source = tmp_path / "src.geo.json"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    shapes = build.read_municipalities(source)
    assert set(shapes) == set(geography.municipalities())
    assert shapes["GM1992"].area == pytest.approx(3 * 10_000 ** 2)


def test_a_map_zoomed_to_a_province_carries_only_what_it_shows_and_keeps_the_rest_in_the_table():
    markers = [Marker(label="Zernike Campus", number=1, latitude=ZERNIKE[0], longitude=ZERNIKE[1]),
               Marker(label="High Tech Campus", number=2, latitude=HIGH_TECH_CAMPUS[0], longitude=HIGH_TECH_CAMPUS[1])]
    view = site_map(markers, title="t", description="d", focus="PV30", show_municipalities=True)
    root = _svg(view)
    drawn = {p.get("data-code") for g in root.iter(f"{SVG}g") if g.get("class") == "provincies"
             for p in g.iter(f"{SVG}path")}
    assert "PV30" in drawn and "PV20" not in drawn  # Groningen is far outside the frame
    assert len(_circles(root)) == 1 and len(view.placed) == 2
    assert len(ET.fromstring(view.table).findall("./tbody/tr")) == 2
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    assert width == 520 and height < country().height
    with pytest.raises(ValueError, match="GM9999"):
        site_map(markers, title="t", description="d", focus="GM9999")


def _counts(root: ET.Element) -> dict[str, str]:
    return {g.get("data-code"): g.find(f"{SVG}text").text for g in root.iter(f"{SVG}g") if g.get("class") == "count"}


def test_the_catalogue_counted_per_municipality_shows_each_count_in_a_circle_and_in_the_table():
    view = count_map({"GM0772": 12, "gm0014": 3, "GM0153": 0, "GM9999": 4}, title="Locaties", description="d")
    root = _svg(view)
    assert _counts(root) == {"GM0772": "12", "GM0014": "3"}  # zero and unknown codes are left out
    filled = [p.get("data-code") for g in root.iter(f"{SVG}g") if g.get("class") == "gemeenten-met-locaties"
              for p in g.iter(f"{SVG}path")]
    assert sorted(filled) == ["GM0014", "GM0772"]
    assert "aantal locaties in de gemeente" in {t.text for t in root.iter(f"{SVG}text")}
    rows = [[td.text for td in row] for row in ET.fromstring(view.table).findall("./tbody/tr")]
    assert rows == [["Eindhoven", "Noord-Brabant", "Zuid", "12"], ["Groningen", "Groningen", "Noord", "3"]]


def test_a_crowded_country_map_counts_per_province_and_the_table_keeps_the_municipalities():
    brabant = [code for code, area in geo.municipalities().items() if area.province == "PV30"]
    counts = {code: 2 for code in brabant}  # 50-odd municipalities: too many circles for the whole country
    view = count_map(counts, title="t", description="d", words=MapWords.english())
    root = _svg(view)
    assert _counts(root) == {"PV30": str(2 * len(brabant))}
    assert "number of sites in the province" in {t.text for t in root.iter(f"{SVG}text")}
    assert len(ET.fromstring(view.table).findall("./tbody/tr")) == len(brabant)
    zoomed_in = _svg(count_map(counts, title="t", description="d", focus="PV30"))
    assert len(_counts(zoomed_in)) == len(brabant)  # zoomed to the province, every municipality has its circle
