"""Reading supply from CSV and GeoJSON: good rows load, each bad row is reported with its line and field."""

from __future__ import annotations

import json

from rich.console import Console

from services.matching import cli, importer
from services.matching.config import MatchingSettings

NO_DATABASE = MatchingSettings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")

HEADER = ("id,name,region,province,municipality_code,floor_space_m2,grid_mw_available,grid_congestion,"
          "vibration_free,clusters,accessibility\n")


def test_csv_rows_are_validated_one_by_one(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(HEADER
                    + "oost-a,Park A,oost,Overijssel,GM0153,12000,4.5,congested,ja,"
                      "energy-materials;process-technology,rail\n"
                    + "oost-b,Park B,oost,Overijssel,0153,12000,,,,,\n"
                    + "oost-c,Park C,oost,Overijssel,GM0164,lots,,,,,\n"
                    + "oost-a,Park A again,oost,Overijssel,GM0153,1,,,,,\n"
                    + "oost-d,Park D,oost,Overijssel,GM0164,800,,,,,\n")
    parsed = importer.read(path)
    assert [s.id for _, s in parsed.sites] == ["oost-a", "oost-d"]
    a = parsed.sites[0][1]
    assert a.vibration_free is True and a.grid_congestion == "congested" and len(a.clusters) == 2
    assert parsed.sites[1][1].grid_mw_available is None  # an empty cell is unknown, not zero
    errors = dict(parsed.errors)
    assert errors[3].startswith("municipality_code: String should match pattern")
    assert errors[4].startswith("floor_space_m2: Input should be a valid number")
    assert errors[5] == "id: 'oost-a' already given on row 2"


def test_geojson_features_take_coordinates_from_their_geometry_and_defaults_fill_gaps(tmp_path):
    path = tmp_path / "grid.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [6.85, 52.24]},
         "properties": {"id": "oost-kp", "name": "Kennispark", "municipality_code": "GM0153",
                        "floor_space_m2": 5000, "grid_mw_available": 3}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[6.0, 52.0], [6.2, 52.0], [6.1, 52.3]]]},
         "properties": {"id": "oost-poly", "name": "Polygon park", "municipality_code": "GM0153",
                        "floor_space_m2": 100, "colour": "red"}},
    ]}))
    parsed = importer.read(path, {"region": "oost", "province": "Overijssel"})
    (number, kp), = parsed.sites
    assert (number, kp.latitude, kp.longitude, kp.region.value) == (1, 52.24, 6.85, "oost")
    assert parsed.errors == [(2, "unknown columns: colour")]


def test_dry_run_reports_errors_and_loads_nothing(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(HEADER + "oost-b,Park B,oost,Overijssel,0153,12000,,,,,\n")
    console = Console(record=True, width=200)
    assert cli.main([str(path), "--dry-run"], NO_DATABASE, console) == 1
    out = console.export_text()
    assert "1 invalid rows" in out and "municipality_code" in out and "nothing loaded" in out
    assert "catalogue not reachable" in out


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    console = Console(record=True, width=200)
    assert cli.main([str(tmp_path / "sites.xlsx")], NO_DATABASE, console) == 2
    assert "expected a .csv or .geojson file" in console.export_text()


def test_a_row_for_a_known_site_may_give_only_what_changed_under_its_own_column_names(tmp_path):
    known = importer.read(_full(tmp_path)).sites[0][1]
    export = tmp_path / "grid-export.csv"
    export.write_text("locatie;Beschikbaar_MW;congestie\noost-a;7,5;congested\noost-new;3;none\n")
    parsed = importer.read(export, renames={"locatie": "id", "Beschikbaar_MW": "grid_mw_available",
                                            "congestie": "grid_congestion"}, existing={known.id: known})
    assert [(s.id, s.name, s.grid_mw_available) for _, s in parsed.sites] == []  # 7,5 is not a number
    assert parsed.errors[0][0] == 2 and parsed.errors[0][1].startswith("grid_mw_available:")
    assert parsed.errors[1][0] == 3 and "name: Field required" in parsed.errors[1][1]  # a new site needs it all
    export.write_text("locatie;Beschikbaar_MW;congestie\noost-a;7.5;congested\n")
    (_, updated), = importer.read(export, renames={"locatie": "id", "Beschikbaar_MW": "grid_mw_available",
                                                   "congestie": "grid_congestion"},
                                  existing={known.id: known}).sites
    assert (updated.name, updated.grid_mw_available, updated.floor_space_m2) == ("Park A", 7.5, 12000)


def _full(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(HEADER + "oost-a,Park A,oost,Overijssel,GM0153,12000,4.5,congested,ja,energy-materials,rail\n")
    return path


def test_an_error_s_rule_is_printed_as_text_not_swallowed_as_rich_markup():
    """A pydantic rule like `[a-z0-9]` looks like a rich style tag; the table must show it as it is."""
    console = Console(record=True, width=200)
    parsed = importer.Parsed(errors=[(2, "id: String should match pattern '^[a-z0-9][a-z0-9-]{1,99}$'")])
    cli._print_errors(console, parsed)
    assert "'^[a-z0-9][a-z0-9-]{1,99}$'" in console.export_text()


def test_site_ids_are_lower_cased_and_an_invalid_one_is_told_its_rule_in_words(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(HEADER + "Oost-Upper,Park U,oost,Overijssel,GM0153,12000,,,,,\n"
                    + "oost_under score,Park X,oost,Overijssel,GM0153,12000,,,,,\n")
    console = Console(record=True, width=300)
    assert cli.main([str(path), "--dry-run"], NO_DATABASE, console) == 1
    parsed = importer.read(path)
    assert [s.id for _, s in parsed.sites] == ["oost-upper"]
    (number, reason), = parsed.errors
    assert number == 3 and reason.startswith("id: site id 'oost_under score' is not valid: 2 to 100 characters, "
                                             "only lower-case letters a-z, digits 0-9 and '-'")
    assert "only lower-case letters a-z, digits 0-9 and '-'" in console.export_text()


def test_a_partial_row_with_an_upper_case_id_updates_the_stored_site(tmp_path):
    known = importer.read(_full(tmp_path)).sites[0][1]
    export = tmp_path / "grid-export.csv"
    export.write_text("id,grid_mw_available\nOOST-A,9\n")
    (_, updated), = importer.read(export, existing={known.id: known}).sites
    assert (updated.id, updated.name, updated.grid_mw_available) == ("oost-a", known.name, 9.0)


def test_environmental_category_6_is_accepted():
    path_row = {"id": "zware-industrie", "name": "Haven", "region": "west", "province": "Zuid-Holland",
                "municipality_code": "GM0599", "floor_space_m2": "1000", "environmental_category_max": "6"}
    parsed = importer.parse_rows([(2, path_row)])
    assert parsed.errors == [] and parsed.sites[0][1].environmental_category_max.value == "6"
