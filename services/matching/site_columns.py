"""The site table read straight into catalogue columns, set-wise: no Site object and no JSON parsing per row.

PostgreSQL computes each catalogue column from the stored record (which a Site validated when it was written) and
sends the numbers as one binary COPY of fixed-width rows, which numpy reads as it is; the labels (id, name,
province, municipality) come as a second COPY in CSV. At a million sites that is seconds and a few hundred MB,
where a Site.model_validate per row took minutes and gigabytes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.domain.catalogue import ALWAYS, DAYS, FLOATS, NEVER, Catalogue
from services.matching.domain.sites import ACCESS, CONGESTION, DOMAINS, ENV_CATEGORIES, REGIONS

COPY_HEADER = 19  # "PGCOPY\n\377\r\n\0", flags, header extension length
PG_TYPES = {"float4": ">f4", "int4": ">i4", "int2": ">i2", "int8": ">i8"}
# A copy attempt that saw the table change between its two statements is repeated (then the change is in both).
ATTEMPTS = 5


def _text(field: str) -> str:
    return f"(record->>'{field}')"


def _codes(values: tuple[str, ...]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]::text[]"


def _coded(field: str, values: tuple[str, ...]) -> str:
    """Position in `values` from 0, NaN for unknown."""
    return f"coalesce((array_position({_codes(values)}, {_text(field)}) - 1)::float4, 'NaN')"


def _bits(field: str, values: tuple[str, ...]) -> str:
    return " + ".join(f"((record->'{field}') ? '{v}')::int * {1 << k}" for k, v in enumerate(values))


def _columns() -> list[tuple[str, str, str]]:
    """(catalogue column, PostgreSQL type, expression over the record), as catalogue.row_of computes them."""
    cols = [(col, "float4", f"coalesce({_text(attr)}::float4, 'NaN')") for col, attr in FLOATS.items()]
    cols += [(col, "int4", f"coalesce({_text(attr)}::date - DATE '1970-01-01', {default})")
             for col, (attr, default) in DAYS.items()]
    cols += [
        ("iso", "float4", f"coalesce({_text('cleanroom_iso_class')}::float4, 'NaN')"),
        ("vibration", "float4", f"coalesce(({_text('vibration_free')}::boolean)::int::float4, 'NaN')"),
        ("env_max", "float4", _coded("environmental_category_max", ENV_CATEGORIES)),
        ("facility", "int2", f"(CASE {_text('cleanroom_facility')} WHEN 'shared' THEN 1 WHEN 'own' THEN 2 "
                             "ELSE 0 END)"),
        ("congestion", "float4", _coded("grid_congestion", CONGESTION)),
        ("fieldlabs", "int2", "coalesce(jsonb_array_length(record->'fieldlabs'), 0)"),
        ("region", "int2", f"coalesce(array_position({_codes(REGIONS)}, {_text('region')}), 0) - 1"),
        ("access", "int2", _bits("accessibility", ACCESS)),
        ("clusters", "int2", _bits("clusters", DOMAINS)),
        ("retired", "int2", f"coalesce({_text('retired')}::boolean, false)::int"),
        ("changed_xid", "int8", "changed_xid"),
    ]
    return cols


COLUMNS = _columns()
ROW = np.dtype([("fields", ">i2")] + [item for name, pg, _ in COLUMNS
                                      for item in ((f"{name}_len", ">i4"), (name, PG_TYPES[pg]))])
assert NEVER > 0 > ALWAYS  # the day defaults are written into the SQL as plain integers


def _where(since: int | None) -> str:
    # Retired sites are left out of a full load; after that they come as rows to remove.
    changed = "NOT coalesce((record->>'retired')::boolean, false)" if since is None else f"changed_xid >= {int(since)}"
    return f"FROM matching.site WHERE record != '{{}}'::jsonb AND {changed} ORDER BY id"


def numbers_sql(since: int | None) -> str:
    exprs = ", ".join(f"({expr})::{pg} AS {name}" for name, pg, expr in COLUMNS)
    return f"SELECT {exprs} {_where(since)}"


def labels_sql(since: int | None) -> str:
    return f"SELECT id, name, province, municipality_code, changed_xid {_where(since)}"


def parse_numbers(raw: bytes) -> np.ndarray:
    """The rows of a binary COPY whose fields are all fixed-width and never NULL (the SQL coalesces)."""
    body = memoryview(raw)[COPY_HEADER:len(raw) - 2]  # without the header and the -1 trailer
    rows = np.frombuffer(body, dtype=ROW)
    for name, pg, _ in COLUMNS:
        if len(rows) and not (rows[f"{name}_len"] == np.dtype(PG_TYPES[pg]).itemsize).all():
            raise ValueError(f"site column {name}: unexpected NULL or width in the COPY")
    return rows


def parse_labels(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode())))


@dataclass(frozen=True)
class Read:
    """What one read of the site table brought: sites in supply, ids to drop, rows read, the next watermark."""

    catalogue: Catalogue
    removed: list[str]
    rows: int
    watermark: int


async def _copy(raw_conn, sql: str, fmt: str) -> bytes:
    out = bytearray()

    async def sink(chunk: bytes) -> None:
        out.extend(chunk)

    await raw_conn.copy_from_query(sql, output=sink, format=fmt)
    return bytes(out)


async def _asyncpg(session: AsyncSession):
    conn = await session.connection()
    return (await conn.get_raw_connection()).driver_connection


async def read(session: AsyncSession, *, since: int | None) -> Read:
    """The sites written at or after transaction `since` (every site in supply when None), and deletions since.

    The watermark is the oldest transaction still running before the copy: anything that commits later has an id
    at least that, so the next read starts there and misses nothing, whatever order transactions commit in.
    """
    raw = await _asyncpg(session)
    watermark = await raw.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
    for _ in range(ATTEMPTS):
        numbers = parse_numbers(await _copy(raw, numbers_sql(since), "binary"))
        labels = parse_labels(await _copy(raw, labels_sql(since), "csv"))
        # Two statements, two snapshots (READ COMMITTED): the same rows in both, or read again.
        if len(labels) == len(numbers) and all(int(x) == n for (*_, x), n in zip(labels, numbers["changed_xid"],
                                                                                    strict=True)):
            break
    else:
        raise RuntimeError("the site table kept changing while it was read")
    deleted = [] if since is None else [r[0] for r in await raw.fetch(
        "SELECT DISTINCT site_id FROM matching.site_change WHERE action = 'deleted' AND changed_xid >= $1", since)]
    return _assemble(numbers, labels, deleted, watermark)


def _assemble(numbers: np.ndarray, labels: list[list[str]], deleted: list[str], watermark: int) -> Read:
    retired = numbers["retired"] == 1
    ids = [row[0] for row in labels]
    present = set(ids)
    removed = [ids[i] for i in np.flatnonzero(retired)] + [d for d in deleted if d not in present]
    keep = np.flatnonzero(~retired)
    cols = {name: numbers[name][keep] for name, _, _ in COLUMNS if name not in ("retired", "changed_xid")}
    shared: dict[str, str] = {}  # provinces and municipality codes repeat: one string object each
    kept = [labels[i] for i in keep]
    catalogue = Catalogue.from_columns(cols, [r[0] for r in kept], [
        (r[1], shared.setdefault(r[2], r[2]), shared.setdefault(r[3], r[3])) for r in kept])
    return Read(catalogue, removed, len(labels) + len(deleted), int(watermark))
