"""Uploads with a preview (pure: no I/O; the routes are in upload_pages.py): a ROM's CSV export of leads and a
file of sites, read as text, and the services' per-row reports as what the preview and the result pages show.

The workbench validates nothing itself: intake (POST /leads/csv) and matching (POST /sites/import) check every row
with a dry run, as the person signed in, and only the person's confirmation sends the file again to be loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_BYTES = 4_000_000  # the services' own limits are per row count; this keeps one request's memory bounded
SITE_FORMATS = ("csv", "geojson")


class BadUpload(ValueError):
    """The file cannot be sent at all (empty, too large, not UTF-8, not a CSV or GeoJSON file)."""


def text_of(raw: bytes) -> str:
    """An uploaded file's text; spreadsheets write UTF-8 with a byte-order mark, which is dropped."""
    if not raw.strip():
        raise BadUpload("empty")
    if len(raw) > MAX_BYTES:
        raise BadUpload("too-large")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadUpload("not-utf8") from None


def site_format(filename: str, text: str) -> str:
    """CSV or GeoJSON, by the file's name, else by its first character (GeoJSON is a JSON object)."""
    name = filename.lower()
    if name.endswith((".geojson", ".json")):
        return "geojson"
    if name.endswith((".csv", ".txt")):
        return "csv"
    return "geojson" if text.lstrip().startswith("{") else "csv"


@dataclass(frozen=True)
class RowLine:
    """One row of a preview or a result: its line, what it is, and what happens or went wrong."""

    row: int
    key: str  # the lead's reference or the site's id
    name: str
    action: str | None  # registered/updated/unchanged (leads), create/change/unchanged (sites); None: refused
    errors: tuple[tuple[str, str], ...] = ()
    link: str | None = None

    @property
    def valid(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Report:
    rows: tuple[RowLine, ...]
    ignored_columns: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> int:
        return sum(1 for r in self.rows if r.valid)

    @property
    def refused(self) -> int:
        return len(self.rows) - self.valid

    @property
    def to_load(self) -> int:
        """Rows a confirmation would change (an unchanged row loads nothing)."""
        return sum(1 for r in self.rows if r.valid and r.action != "unchanged")


def lead_report(answer: Mapping[str, Any], plain: Callable[[Mapping[str, Any]], str | None] = lambda e: None
                ) -> Report:
    """intake's CsvReport; `plain` says a row's error in the reader's words (the lead form's help, or its type and
    limits); an error it cannot word keeps intake's reason."""
    rows = tuple(RowLine(row=r["row"], key=r.get("reference") or "", name=r.get("company_name") or "",
                         action=r.get("outcome"),
                         errors=tuple((e["column"], plain(e) or e["reason"]) for e in r["errors"]),
                         link=f"/leads/{r['lead_id']}" if r.get("lead_id") else None)
                 for r in answer["rows"])
    return Report(rows=rows, ignored_columns=tuple(answer.get("ignored_columns") or ()))


def site_report(answer: Mapping[str, Any], plain: Callable[[Mapping[str, Any]], str | None] = lambda e: None
                ) -> Report:
    """matching's SiteImport; `plain` words a row's error in the reader's language where it carries facts."""
    rows = tuple(RowLine(row=r["row"], key=r.get("site_id") or "", name=r.get("name") or "", action=r.get("action"),
                         errors=tuple((e["field"], plain(e) or e["reason"]) for e in r["errors"]),
                         link=f"/sites/{r['site_id']}" if r.get("site_id") and not r["errors"] else None)
                 for r in answer["rows"])
    return Report(rows=rows, extra={"rematched": len(answer.get("rematched_cases") or ())})


def file_errors(answer: Any, plain: Callable[[Mapping[str, Any]], str | None] = lambda e: None) -> str:
    """A service's 422 about the file as a whole (missing columns, too many rows) as one sentence; `plain` words
    an error in the reader's language from its type and facts (else the service's reason stands)."""
    if isinstance(answer, list):
        return " ".join(plain(e) or str(e.get("reason", "")) for e in answer if isinstance(e, Mapping))
    return str(answer)
