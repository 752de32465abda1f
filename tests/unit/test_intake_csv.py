"""Reading a ROM's CSV export: rows become leads, bad cells are reported by row and column."""

from __future__ import annotations

from pathlib import Path

from services.intake import csv_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "intake-example-leads.csv"
HEADER = ("reference;company_name;kvk_number;stage;technology_domains;municipality_code;province;region;"
          "investment_eur;energy_grid_mw;energy_needed_by;leaving_countries;leaving_likelihood\n")


def test_the_shipped_example_is_valid_and_uses_every_column():
    text = EXAMPLE.read_text(encoding="utf-8")
    assert csv_rows.header_problems(csv_rows.header(text)) == ([], [])
    assert set(csv_rows.header(text)) == set(csv_rows.COLUMNS)
    rows = list(csv_rows.read_rows(text, "oost-nl"))
    assert [r.errors for r in rows] == [()] * 5
    first = rows[0].lead
    assert first.demand.floor_space.cleanroom_iso_class == 6 and first.demand.energy.grid_connection_mw == 4.5
    assert first.leaving_risk.candidate_countries == ("DE", "US") and first.contact.role == "CFO"
    assert rows[1].lead.demand.capital.facility == "shared" and rows[1].lead.consent == "consented"
    assert rows[2].lead.demand.housing.transport_needs == ("rail", "motorway")
    retail = rows[4].lead  # outside the NTS domains, no province, investment not known yet
    assert (retail.technology_domains, retail.sector, retail.investment_eur) == ((), "retail", None)
    assert retail.location.province == "Overijssel"


def test_columns_a_rom_often_cannot_fill_are_optional():
    assert "province" not in csv_rows.REQUIRED_COLUMNS and "investment_eur" not in csv_rows.REQUIRED_COLUMNS
    text = ("reference,company_name,kvk_number,stage,sector,municipality_code,region,energy_grid_mw,energy_needed_by\n"
            "R-1,Winkel B.V.,12345678,grown-up,retail,GM0772,zuid,1,2027-01-01\n"
            "R-2,Winkel B.V.,12345679,grown-up,,GM0772,zuid,1,2027-01-01\n")  # no domain and no sector
    assert csv_rows.header_problems(csv_rows.header(text)) == ([], [])
    first, second = csv_rows.read_rows(text, "bom")
    assert first.lead.location.province == "Noord-Brabant" and first.lead.investment_eur is None
    assert [(e.row, e.field) for e in second.errors] == [(3, "sector")]


def test_semicolon_files_and_errors_by_row_and_column():
    text = HEADER + ("A-1;Goed B.V.;12345678;scale-up;quantum-technologies;GM0153;Overijssel;oost;1000;2;2027-01-01;;\n"
                     "A-2;Fout B.V.;12;scale-up;quantum-technologies;GM0153;Overijssel;oost;1000;2;2027-01-01;;\n"
                     "A-3;Leeg B.V.;12345679;scale-up;quantum-technologies;GM0153;Overijssel;oost;1000;;;;\n"
                     "A-4;Land B.V.;12345670;scale-up;quantum-technologies;GM0153;Overijssel;oost;1000;2;2027-01-01;"
                     "Germany;high\n")
    rows = list(csv_rows.read_rows(text, "oost-nl"))
    assert rows[0].lead is not None and rows[0].lead.organisation == "oost-nl"
    assert [(e.row, e.field) for e in rows[1].errors] == [(3, "kvk_number")]
    assert [(e.row, e.field) for e in rows[2].errors] == [(4, "demand")]
    assert "at least one type" in rows[2].errors[0].reason
    assert [(e.row, e.field) for e in rows[3].errors] == [(5, "leaving_countries")]


def test_missing_required_columns_and_unknown_ones_are_named():
    missing, unknown = csv_rows.header_problems(["reference", "kvk_number", "colour"])
    assert "company_name" in missing and "stage" in missing and unknown == ["colour"]


def test_a_nested_error_points_at_its_column():
    assert csv_rows.column_of(("demand", "floor_space", "needed_by")) == "floor_space_needed_by"
    assert csv_rows.column_of(("technology_domains", 0)) == "technology_domains"
    assert csv_rows.column_of(("leaving_risk",)) == "leaving_risk"
