"""Provinces and municipalities by their CBS codes: spellings, the shipped table, and replacing it from CBS's file."""

from __future__ import annotations

import pytest

from shared.contracts import geography
from shared.contracts.geography import (
    PROVINCES,
    municipalities,
    province_code,
    province_name,
    province_of_municipality,
)


@pytest.mark.parametrize("given, code", [
    ("PV23", "PV23"), ("pv23", "PV23"), ("Overijssel", "PV23"), ("overijssel", "PV23"),
    ("Provincie Overijssel", "PV23"), ("provincie overijssel", "PV23"),
    ("Fryslân", "PV21"), ("Fryslan", "PV21"), ("Friesland", "PV21"), ("FRIESLAND", "PV21"),
    ("Noord-Holland", "PV27"), ("Noord Holland", "PV27"), ("noordholland", "PV27"),
    ("Brabant", "PV30"), ("Noord-Brabant", "PV30"),
])
def test_a_province_is_found_by_its_code_or_any_common_spelling(given, code):
    assert province_code(given) == code


@pytest.mark.parametrize("given", [None, "", "Atlantis", "PV32", "PV2", "Holland"])
def test_what_is_no_province_has_no_code(given):
    assert province_code(given) is None


def test_every_province_is_named_officially_by_its_code():
    assert province_name("PV23") == "Overijssel" and province_name("PV21") == "Fryslân"
    assert sorted(PROVINCES) == [f"PV{n}" for n in range(20, 32)]
    with pytest.raises(KeyError):
        province_name("PV99")


def test_the_shipped_table_holds_the_342_municipalities_of_2023_each_in_a_province():
    table = municipalities()
    assert len(table) == 342
    assert table["GM0153"] == ("Enschede", "PV23") and table["GM0518"] == ("'s-Gravenhage", "PV28")
    assert {pv for _, pv in table.values()} == set(PROVINCES)


def test_a_municipality_lies_in_its_province_whatever_the_case_of_its_code():
    assert province_of_municipality("GM0153") == "PV23"
    assert province_of_municipality("gm0772") == "PV30"
    assert province_of_municipality("GM9999") is None


CBS = ("\ufeffGemeentecodeGM;Gemeentenaam;ProvinciecodePV;Provincienaam;Extra\n"
       " gm0153 ; Enschede ;pv23;Overijssel;x\n"
       "GM0014;Groningen;PV20;Groningen;y\n"
       "GM0358;aalsmeer;PV27;Noord-Holland;z\n")


@pytest.fixture
def table(tmp_path, monkeypatch):
    """The table that `main` writes, in a temporary place (never the shipped one)."""
    target = tmp_path / "gemeenten.csv"
    monkeypatch.setattr(geography, "TABLE", target)
    return target


def test_replacing_the_table_from_cbss_file_keeps_the_four_columns_sorted_by_name(tmp_path, table, capsys):
    source = tmp_path / "cbs.csv"
    source.write_text(CBS, encoding="utf-8")
    assert geography.main([str(source)]) == 0
    assert table.read_text(encoding="utf-8").splitlines() == [
        "GemeentecodeGM,Gemeentenaam,ProvinciecodePV,Provincienaam",
        "GM0358,aalsmeer,PV27,Noord-Holland",
        "GM0153,Enschede,PV23,Overijssel",
        "GM0014,Groningen,PV20,Groningen",
    ]
    assert f"wrote 3 municipalities to {table}" in capsys.readouterr().out


@pytest.mark.parametrize("row", ["GM153;Enschede;PV23;Overijssel", "GM0153;Enschede;PV40;Nergens",
                                 "XX0153;Enschede;PV23;Overijssel"])
def test_a_row_that_is_no_cbs_municipality_refuses_the_whole_file(tmp_path, table, row):
    source = tmp_path / "cbs.csv"
    source.write_text("GemeentecodeGM;Gemeentenaam;ProvinciecodePV;Provincienaam\n" + row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a CBS municipality row"):
        geography.main([str(source)])
    assert not table.exists()


def test_the_table_is_read_whatever_the_delimiter():
    for sep in (",", ";", "\t"):
        text = sep.join(geography.COLUMNS) + "\n" + sep.join(["GM0153", "Enschede", "PV23", "Overijssel"]) + "\n"
        assert geography._read(text) == {"GM0153": ("Enschede", "PV23")}


def test_main_without_exactly_one_file_says_how_to_call_it(table, capsys):
    assert geography.main([]) == 2 and geography.main(["a.csv", "b.csv"]) == 2
    assert "usage: python -m shared.contracts.geography" in capsys.readouterr().out
    assert not table.exists()


def test_main_says_exactly_how_to_call_it(capsys):
    geography.main([])
    assert capsys.readouterr().out == "usage: python -m shared.contracts.geography CBS-GEMEENTEN.csv\n"
