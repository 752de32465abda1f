"""A ROM's CRM export (CSV, one lead per row) as leads: pure parsing, errors named by column. No I/O."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydantic import ValidationError

from shared.contracts.events import LeadSignalledData
from shared.http import error_facts

# Column -> where it goes in the lead contract. Columns marked LIST hold several values separated by ";".
COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference",),
    "company_name": ("company", "name"),
    "kvk_number": ("company", "kvk_number"),
    "organisation_kind": ("organisation_kind",),
    "consent": ("consent",),
    "stage": ("stage",),
    "life_phase": ("life_phase",),
    "technology_domains": ("technology_domains",),
    "sector": ("sector",),
    "municipality_code": ("location", "municipality_code"),
    "province": ("location", "province"),
    "region": ("location", "region"),
    "investment_eur": ("investment_eur",),
    "investment_status": ("investment_status",),
    "leaving_likelihood": ("leaving_risk", "likelihood"),
    "leaving_countries": ("leaving_risk", "candidate_countries"),
    "low_value_production": ("low_value_production",),
    "negative_externalities": ("negative_externalities",),
    "contact_role": ("contact", "role"),
    "contact_email": ("contact", "email"),
    "floor_space_m2": ("demand", "floor_space", "floor_space_m2"),
    "cleanroom_iso_class": ("demand", "floor_space", "cleanroom_iso_class"),
    "cleanroom_m2": ("demand", "floor_space", "cleanroom_m2"),
    "vibration_free": ("demand", "floor_space", "vibration_free"),
    "environmental_category": ("demand", "floor_space", "environmental_category"),
    "floor_space_needed_by": ("demand", "floor_space", "needed_by"),
    "capital_facility": ("demand", "capital", "facility"),
    "capital_description": ("demand", "capital", "description"),
    "capital_needed_by": ("demand", "capital", "needed_by"),
    "talent_fte_mbo": ("demand", "talent", "fte_mbo"),
    "talent_fte_hbo": ("demand", "talent", "fte_hbo"),
    "talent_fte_wo": ("demand", "talent", "fte_wo"),
    "talent_needed_by": ("demand", "talent", "needed_by"),
    "housing_staff": ("demand", "housing", "staff_to_house"),
    "housing_transport": ("demand", "housing", "transport_needs"),
    "housing_needed_by": ("demand", "housing", "needed_by"),
    "energy_grid_mw": ("demand", "energy", "grid_connection_mw"),
    "energy_needed_by": ("demand", "energy", "needed_by"),
}
LIST_COLUMNS = frozenset({"technology_domains", "leaving_countries", "housing_transport"})
# technology_domains may be empty (then sector says what the company does), the province follows from the
# municipality code and the investment may be unknown: those columns are optional.
REQUIRED_COLUMNS = ("reference", "company_name", "kvk_number", "stage", "municipality_code", "region")
_PATHS = {path: column for column, path in COLUMNS.items()}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str
    type: str | None = None  # pydantic's error type and limits, for clients that word the reason themselves
    ctx: dict | None = None


@dataclass(frozen=True)
class Row:
    number: int
    lead: LeadSignalledData | None
    errors: tuple[RowError, ...] = ()


def header_problems(header: Iterable[str]) -> tuple[list[str], list[str]]:
    """(missing required columns, unknown columns that will be ignored)."""
    names = set(header)
    return [c for c in REQUIRED_COLUMNS if c not in names], sorted(names - set(COLUMNS))


def nested(cells: dict[str, str], organisation: str) -> dict:
    """The row's non-empty cells placed where they go in the contract (strings; pydantic converts them)."""
    out: dict = {"organisation": organisation}
    for column, raw in cells.items():
        value = (raw or "").strip()
        if column not in COLUMNS or not value:
            continue
        node = out
        *parents, leaf = COLUMNS[column]
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = [v.strip() for v in value.split(";") if v.strip()] if column in LIST_COLUMNS else value
    return out


def column_of(loc: tuple) -> str:
    """The CSV column a validation error points at (or the contract path when no single column does)."""
    path = tuple(str(p) for p in loc if not isinstance(p, int))
    for end in range(len(path), 0, -1):
        if path[:end] in _PATHS:
            return _PATHS[path[:end]]
    return ".".join(path) or "(row)"


def parse_row(number: int, cells: dict[str, str], organisation: str) -> Row:
    try:
        return Row(number, LeadSignalledData.model_validate(nested(cells, organisation)))
    except ValidationError as err:
        # One error per column: a bad list item also fails the list's minimum length, which says nothing new.
        first: dict[str, dict] = {}
        for e in err.errors():
            first.setdefault(column_of(e["loc"]), {"reason": _reason(e), **error_facts(e)})
        return Row(number, None, tuple(RowError(number, column, **facts) for column, facts in first.items()))


def _reason(error: dict) -> str:
    if tuple(error["loc"]) == ("demand",) and error["type"] == "missing":
        return ("no space demand: fill the columns of at least one type (floor_space_*, capital_*, talent_*, "
                "housing_*, energy_*)")
    return error["msg"]


def read_rows(text: str, organisation: str) -> Iterator[Row]:
    """Each data row as a lead or its errors; numbers are the file's line numbers (the header is line 1)."""
    lines = text.splitlines(keepends=True)
    reader = csv.DictReader(lines, dialect=dialect(lines[0] if lines else ""))
    for cells in reader:
        yield parse_row(reader.line_num, {k: v for k, v in cells.items() if k is not None}, organisation)


def header(text: str) -> list[str]:
    first = text.splitlines()[:1]
    return next(csv.reader(first, dialect=dialect(first[0])), []) if first else []


def dialect(first_line: str):
    """Comma, semicolon (Dutch spreadsheet exports) or tab, whichever the header uses."""
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        return "excel"
