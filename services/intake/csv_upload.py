"""A ROM's CSV export over HTTP (the workbench's upload): every row checked as the import command checks it, then,
when asked, the valid rows submitted as the caller's organisation.

Each row is parsed by csv_rows (column names in the errors) and goes through the same handler as an HTTP or Kafka
lead in a transaction of its own; a preview (`dry_run`) rolls each back, so nothing is stored or sent.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from services.intake import csv_rows, submissions, views
from services.intake.handlers import Deps

MAX_ROWS = 1000  # a CRM export of one ROM; more is a job for the import command


class BadFile(ValueError):
    """The file as a whole cannot be read as leads (missing columns, too many rows): [{field, reason}]."""

    def __init__(self, reason: str, kind: str | None = None, **ctx: str | int) -> None:
        super().__init__(reason)
        # the type and its facts beside the sentence, for clients that word it in their reader's language
        self.errors = [{"field": "csv", "reason": reason, **({"type": kind} if kind else {}),
                        **({"ctx": ctx} if ctx else {})}]


def _rows(text: str, organisation: str) -> Iterator[tuple[csv_rows.Row, dict[str, str]]]:
    """Each row as csv_rows.read_rows reads it, with its cells (a refused row is still named by its reference)."""
    lines = text.splitlines(keepends=True)
    reader = csv.DictReader(lines, dialect=csv_rows.dialect(lines[0]))
    for cells in reader:
        cells = {k: v for k, v in cells.items() if k is not None}
        yield csv_rows.parse_row(reader.line_num, cells, organisation), cells


def read(text: str, organisation: str) -> tuple[list[tuple[csv_rows.Row, dict[str, str]]], list[str]]:
    """The file's rows (as leads of the caller's organisation, whatever the file says) and its ignored columns."""
    text = text.removeprefix("\ufeff")  # Excel writes a byte-order mark
    if not text.strip():
        raise BadFile("the file is empty", "file_empty")
    missing, unknown = csv_rows.header_problems(csv_rows.header(text))
    if missing:
        raise BadFile(f"missing required column(s): {', '.join(missing)}", "missing_columns",
                      columns=", ".join(missing))
    rows = list(_rows(text, organisation))
    if len(rows) > MAX_ROWS:
        raise BadFile(f"{len(rows)} rows; at most {MAX_ROWS} per upload", "too_many_rows", rows=len(rows),
                      max=MAX_ROWS)
    if not rows:
        raise BadFile("the file has a header but no rows", "file_empty")
    return rows, unknown


async def check_or_import(deps: Deps, text: str, organisation: str, *, dry_run: bool) -> views.CsvReport:
    rows, ignored = read(text, organisation)
    return views.CsvReport(dry_run=dry_run, ignored_columns=ignored,
                           rows=[await _one(deps, row, dry_run=dry_run) for row in rows])


async def _one(deps: Deps, read_row: tuple[csv_rows.Row, dict[str, str]], *, dry_run: bool) -> views.CsvRowResult:
    row, cells = read_row
    known = dict(row=row.number, reference=(cells.get("reference") or "").strip()[:100] or None,
                 company_name=(cells.get("company_name") or "").strip()[:200] or None)
    if row.lead is None:
        return views.CsvRowResult(**known, errors=[_cell_error(e.field, e.reason, type=e.type, ctx=e.ctx)
                                                   for e in row.errors])
    try:
        outcome, lead = await submissions.submit(deps, row.lead, channel="csv", dry_run=dry_run)
    except submissions.InvalidLead as err:
        return views.CsvRowResult(**known, errors=[
            _cell_error(csv_rows.column_of(tuple(e["field"].split("."))), e["reason"], field=e["field"],
                        type=e.get("type"), ctx=e.get("ctx"))
            for e in err.errors])
    return views.CsvRowResult(**known, outcome=outcome, lead_id=None if dry_run else lead.lead_id)


def _cell_error(column: str, reason: str, *, field: str | None = None, type: str | None = None,  # noqa: A002
                ctx: dict | None = None) -> views.CsvCellError:
    """The column, and the lead's field path it fills (the form's and the API's name for it), with the error's
    type and limits where the schema refused it."""
    path = field or (".".join(csv_rows.COLUMNS[column]) if column in csv_rows.COLUMNS else column)
    return views.CsvCellError(column=column, field=path, reason=reason, type=type, ctx=ctx)
