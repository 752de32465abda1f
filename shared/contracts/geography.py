"""Dutch municipalities and provinces by their CBS codes: which province a municipality lies in.

One source of truth for every service (intake derives a lead's province from it; notifications finds a
municipality's province with it). `data/gemeenten.csv` has the columns of CBS's "Gemeenten alfabetisch"
table of the municipal division of the year (gemeentelijke indeling op 1 januari; CBS open data, CC BY 4.0):
GemeentecodeGM, Gemeentenaam, ProvinciecodePV, Provincienaam. The shipped table holds the 342 municipalities of
the division in force since 1 January 2023 (the last reorganisation formed Voorne aan Zee); it was written
without network access and checked, code by code and province by province, against published CBS-derived lists.
Each year, after the municipal reorganisations of 1 January, replace it from CBS's own file (that also
confirms it): `python -m shared.contracts.geography FILE.csv`.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from functools import cache
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "gemeenten.csv"
COLUMNS = ("GemeentecodeGM", "Gemeentenaam", "ProvinciecodePV", "Provincienaam")

# CBS province codes ("gebieden in Nederland": PV20..PV31) and their official names.
PROVINCES: dict[str, str] = {
    "PV20": "Groningen", "PV21": "Fryslân", "PV22": "Drenthe", "PV23": "Overijssel", "PV24": "Flevoland",
    "PV25": "Gelderland", "PV26": "Utrecht", "PV27": "Noord-Holland", "PV28": "Zuid-Holland",
    "PV29": "Zeeland", "PV30": "Noord-Brabant", "PV31": "Limburg",
}
_ALIASES = {"friesland": "PV21", "brabant": "PV30"}


def _normal(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", plain.removeprefix("provincie "))


_BY_NAME = {_normal(name): code for code, name in PROVINCES.items()} | _ALIASES


def province_code(name_or_code: str | None) -> str | None:
    """The CBS code (PV20..PV31) of a province given by code or by name in any common spelling."""
    if not name_or_code:
        return None
    if name_or_code.upper() in PROVINCES:
        return name_or_code.upper()
    return _BY_NAME.get(_normal(name_or_code))


def province_name(code: str) -> str:
    """The official name of a province by its CBS code (PV23 -> Overijssel)."""
    return PROVINCES[code]


@cache
def municipalities() -> dict[str, tuple[str, str]]:
    """Municipality code (GMxxxx) -> (its name, its province's PV code), from the CBS table."""
    return _read(TABLE.read_text(encoding="utf-8"))


def province_of_municipality(code: str) -> str | None:
    """The PV code of the province a municipality (GMxxxx) lies in; None for a code that is not in the table."""
    entry = municipalities().get(code.upper())
    return entry[1] if entry else None


def _read(text: str) -> dict[str, tuple[str, str]]:
    lines = text.splitlines()
    dialect = csv.Sniffer().sniff(lines[0], delimiters=",;\t") if lines else "excel"
    out: dict[str, tuple[str, str]] = {}
    for row in csv.DictReader(lines, dialect=dialect):
        cells = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        code, province = cells["GemeentecodeGM"].upper(), cells["ProvinciecodePV"].upper()
        if not re.fullmatch(r"GM\d{4}", code) or province not in PROVINCES:
            raise ValueError(f"not a CBS municipality row: {code!r} in {province!r}")
        out[code] = (cells["Gemeentenaam"], province)
    return out


def main(argv: list[str]) -> int:
    """Replace the table with CBS's file of the year (CSV with the COLUMNS above; other columns are dropped)."""
    if len(argv) != 1:
        print("usage: python -m shared.contracts.geography CBS-GEMEENTEN.csv")
        return 2
    # Codec names are case-insensitive: "UTF-8" is the same codec, so a mutant that changes the case is equivalent.
    table = _read(Path(argv[0]).read_text(encoding="utf-8-sig"))  # pragma: no mutate
    with TABLE.open("w", newline="", encoding="utf-8") as out:  # pragma: no mutate
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for code, (name, pv) in sorted(table.items(), key=lambda item: item[1][0].lower()):
            writer.writerow([code, name, pv, PROVINCES[pv]])
    print(f"wrote {len(table)} municipalities to {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
