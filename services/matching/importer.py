"""Load real supply data (a province's business-park register, a grid operator's capacity export) from CSV or
GeoJSON into the catalogue, row by row: bad rows are reported with their line and field, good rows load."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from services.matching.domain import Site
from services.matching.domain.sites import site_key

TRUE, FALSE = {"true", "yes", "ja", "1", "y"}, {"false", "no", "nee", "0", "n"}
INVALID = "(invalid)"  # a GeoJSON feature that is no row at all: the reason why, reported on its row
BOOLEAN_FIELDS = {name for name, f in Site.model_fields.items() if f.annotation in (bool, bool | None)}


@dataclass
class Parsed:
    """The outcome of reading a file: valid sites by row, and per-row errors."""

    sites: list[tuple[int, Site]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    # A refused row's schema errors as facts, by row and field: pydantic's type and limits (clients word them).
    facts: dict[int, dict[str, dict]] = field(default_factory=dict)


def _cell(name: str, raw):
    """A cell as pydantic should see it: empty is unknown (None), yes/no are booleans."""
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            return None
        if name in BOOLEAN_FIELDS and raw.lower() in TRUE | FALSE:
            return raw.lower() in TRUE
    return raw


def ids_of(rows: Iterable[tuple[int, dict]]) -> list[str]:
    """The site ids a file mentions, as the catalogue keys them (rows with an invalid id are left out)."""
    out = []
    for _, row in rows:
        raw = row.get("id")
        if not isinstance(raw, str) or not raw.strip():
            continue
        try:
            out.append(site_key(raw))
        except ValueError:
            continue
    return out


def _validate(row: dict, defaults: dict[str, str], existing: dict[str, Site]) -> Site:
    """A full row is a site; a row for a known site may give only what changed (e.g. a grid capacity export)."""
    if INVALID in row:
        raise ValueError(row[INVALID])
    unknown = sorted(set(row) - set(Site.model_fields))
    if unknown:
        raise ValueError(f"unknown columns: {', '.join(unknown)}")
    given = {k: _cell(k, v) for k, v in row.items()}
    given = {k: v for k, v in given.items() if v is not None}
    if isinstance(given.get("id"), str):
        try:
            given["id"] = site_key(given["id"])  # a row for "Oost-A" updates the stored "oost-a"
        except ValueError as err:
            raise ValueError(f"id: {err}") from None
    stored = existing[given["id"]].as_row() if given.get("id") in existing else {}
    return Site.model_validate({k: _cell(k, v) for k, v in defaults.items()} | stored | given)


def _reason(err: Exception) -> str:
    if isinstance(err, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg'].removeprefix('Value error, ')}"
                         for e in err.errors())
    return str(err)


def _facts(err: ValidationError) -> dict[str, dict]:
    """Each field's first error as its type and limits (scalars, as text), keyed as `_reason` names the field."""
    out: dict[str, dict] = {}
    for e in err.errors():
        ctx = {k: str(v) for k, v in (e.get("ctx") or {}).items() if isinstance(v, str | int | float | bool)}
        out.setdefault(".".join(map(str, e["loc"])) or "row", {"type": e["type"], "ctx": ctx or None})
    return out


def parse_rows(rows: Iterable[tuple[int, dict]], defaults: dict[str, str] | None = None,
               existing: dict[str, Site] | None = None) -> Parsed:
    """Validate each row independently; a duplicate id within the file is an error on the later row."""
    out, seen = Parsed(), {}
    for number, row in rows:
        try:
            site = _validate(row, defaults or {}, existing or {})
        except (ValidationError, ValueError) as err:
            out.errors.append((number, _reason(err)))
            if isinstance(err, ValidationError):
                out.facts[number] = _facts(err)
            continue
        if site.id in seen:
            out.errors.append((number, f"id: {site.id!r} already given on row {seen[site.id]}"))
            continue
        seen[site.id] = number
        out.sites.append((number, site))
    return out


def csv_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """Rows with their line numbers (the header is line 1); ';'-separated files are recognised."""
    return csv_text_rows(path.read_text(encoding="utf-8-sig"))


def csv_text_rows(text: str) -> Iterator[tuple[int, dict]]:
    """The rows of a CSV file's text (an upload), as `csv_rows`."""
    text = text.removeprefix("\ufeff")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    for row in reader:
        yield reader.line_num, {k.strip(): v for k, v in row.items() if k is not None}


def geojson_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """Features as rows (numbered from 1); a Point or the mean of a polygon's ring gives the coordinates."""
    return geojson_text_rows(path.read_text(encoding="utf-8"))


def geojson_text_rows(text: str) -> Iterator[tuple[int, dict]]:
    """The features of a GeoJSON file's text (an upload), as `geojson_rows`; raises ValueError when it is none."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"GeoJSON: not JSON ({err.msg}, line {err.lineno})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ValueError("GeoJSON: expected a FeatureCollection")
    for number, feature in enumerate(doc.get("features") or [], start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
            yield number, {INVALID: "feature: expected an object with properties"}
            continue
        props = dict(feature.get("properties") or {})
        try:
            lon_lat = _point(feature.get("geometry"))
        except (TypeError, IndexError, KeyError, AttributeError, ZeroDivisionError):
            yield number, {INVALID: "geometry: expected a Point, Polygon or MultiPolygon with coordinates"}
            continue
        if lon_lat:
            props.setdefault("longitude", lon_lat[0])
            props.setdefault("latitude", lon_lat[1])
        yield number, props


def _point(geometry) -> tuple[float, float] | None:
    if not geometry:
        return None
    coords = geometry.get("coordinates")
    kind = geometry.get("type")
    if kind == "Point":
        return coords[0], coords[1]
    ring = coords[0] if kind == "Polygon" else coords[0][0] if kind == "MultiPolygon" else None
    if not ring:
        return None
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def rows_of(path: Path, renames: dict[str, str] | None = None) -> list[tuple[int, dict]]:
    """The raw rows of a .csv, .geojson or .json file, columns renamed to site fields (e.g. MW=grid_mw_available)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = list(csv_rows(path))
    elif suffix in (".geojson", ".json"):
        rows = list(geojson_rows(path))
    else:
        raise ValueError(f"{path.name}: expected a .csv or .geojson file")
    renames = renames or {}
    return [(n, {renames.get(k, k): v for k, v in row.items()}) for n, row in rows]


def read(path: Path, defaults: dict[str, str] | None = None, *, renames: dict[str, str] | None = None,
         existing: dict[str, Site] | None = None) -> Parsed:
    """Parse and validate a file of sites; rows for sites in `existing` may be partial."""
    return parse_rows(rows_of(path, renames), defaults, existing)
