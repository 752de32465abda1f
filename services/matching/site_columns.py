"""The site table read straight into catalogue columns, set-wise: no Site object and no JSON parsing per row.

Every write of a site row makes PostgreSQL compute its catalogue columns from the stored record (which a Site
validated when it was written) into `catalogue_row`, fixed-width big-endian numbers (a trigger, see the
migration). A load is then one binary COPY of those rows, which numpy reads as it is, and one text COPY of the
labels (id, name, province, municipality), split in C. At a million sites that is seconds and a few hundred MB,
where a Site.model_validate per row took minutes and gigabytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching.domain.catalogue import ALWAYS, DAYS, FLOATS, NEVER, Catalogue, Labels
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
    ]
    return cols


COLUMNS = _columns()
PACKED = np.dtype([(name, PG_TYPES[pg]) for name, pg, _ in COLUMNS])
# A COPY row: field count, catalogue_row's length and bytes, changed_xid's length and value.
ROW = np.dtype([("fields", ">i2"), ("row_len", ">i4"), ("row", PACKED), ("xid_len", ">i4"), ("changed_xid", ">i8")])
assert NEVER > 0 > ALWAYS  # the day defaults are written into the SQL as plain integers
SEPARATOR = "\x1f"  # between the labels of a row in the text COPY (unit separator)


def packed_expression() -> str:
    """The SQL that computes `catalogue_row` from `record` (the migration's trigger holds a copy of it)."""
    return " || ".join(f"{pg}send(({expr})::{pg})" for _, pg, expr in COLUMNS)


def _where(since: int | None) -> str:
    changed = "" if since is None else f" AND changed_xid >= {int(since)}"
    # No ORDER BY: sorting a million rows by id took PostgreSQL twice as long as reading them. The two COPYs
    # still meet row for row: one snapshot's table read twice in physical order (synchronized scans off, see
    # read), and a row moved in between changes its changed_xid, which read() checks.
    return f"FROM matching.site WHERE catalogue_row IS NOT NULL{changed}"


def numbers_sql(since: int | None) -> str:
    return f"SELECT catalogue_row, changed_xid {_where(since)}"


def labels_sql(since: int | None) -> str:
    return f"SELECT concat_ws(E'\\x1f', id, name, province, municipality_code, changed_xid) {_where(since)}"


def parse_numbers(raw: bytes) -> np.ndarray:
    """The rows of a binary COPY of fixed-width fields that are never NULL (the WHERE clause sees to that)."""
    body = memoryview(raw)[COPY_HEADER:len(raw) - 2]  # without the header and the -1 trailer
    rows = np.frombuffer(body, dtype=ROW)
    if len(rows) and not ((rows["row_len"] == PACKED.itemsize).all() and (rows["xid_len"] == 8).all()):
        raise ValueError("catalogue_row has another layout than site_columns.COLUMNS: migrate the database")
    return rows


def parse_labels(raw: bytes, count: int) -> list[list[str]]:
    """[ids, names, provinces, municipality codes, changed_xids] from the text COPY, split in C; a label that holds
    the separator itself (or an escape) makes it parse row by row."""
    text = raw.decode()
    fields = text.replace("\n", SEPARATOR).split(SEPARATOR)[:-1] if text else []
    if len(fields) != 5 * count or "\\" in text:
        rows = [_unescape(line).split(SEPARATOR) for line in text.split("\n")[:-1]]
        rows = [r[:1] + [SEPARATOR.join(r[1:-3])] + r[-3:] for r in rows]  # only a name may hold it
        return [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in range(5)]
    return [fields[k::5] for k in range(5)]


def _unescape(line: str) -> str:
    """COPY's text format escapes backslash, newline, carriage return and tab."""
    if "\\" not in line:
        return line
    return (line.replace("\\\\", "\x00").replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")
            .replace("\x00", "\\"))


# The oldest transaction still running that may write here: the snapshot's running transactions (or, with none, the
# next to come), less those whose session is in another database (pg_locks and pg_stat_activity show that to any
# role). Transactions elsewhere on the cluster would only make the next read take more rows again.
WATERMARK = """
WITH snapshot AS MATERIALIZED (SELECT pg_current_snapshot() AS s)
SELECT coalesce((SELECT min(x::text::bigint) FROM snapshot, pg_snapshot_xip(s) AS x WHERE NOT EXISTS (
                     SELECT FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
                     WHERE l.locktype = 'transactionid' AND l.transactionid = x::text::xid
                       AND a.datname <> current_database())),
                (SELECT pg_snapshot_xmax(s)::text::bigint FROM snapshot))"""
# The watermark, and whether any site was written (or deleted) at or after transaction $1, in one round trip: most
# refreshes (a Kafka batch's) find nothing, and reading that with the copies took five (docs/benchmarks.md).
# The highest change number, not EXISTS: max() over an indexed column reads one end of the index whatever the
# statistics say; EXISTS (... changed_xid >= $1) was planned as a scan of the whole table after a bulk load (half a
# second per batch at a million sites, until the table was analysed).
CHANGED_SINCE = WATERMARK + """,
       coalesce((SELECT max(changed_xid) FROM matching.site) >= $1, false)
       OR coalesce((SELECT max(changed_xid) FROM matching.site_change WHERE action = 'deleted') >= $1, false)"""


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


async def changed_since(session: AsyncSession, since: int) -> tuple[int, bool]:
    """The watermark now, and whether a read from `since` would bring anything (a site written or deleted by
    transaction `since` or later). One snapshot: what commits after it has an id of at least the watermark."""
    row = await (await _asyncpg(session)).fetchrow(CHANGED_SINCE, since)
    return int(row[0]), bool(row[1])


async def read(session: AsyncSession, *, since: int | None) -> Read:
    """The sites written at or after transaction `since` (every site when None), and deletions since.

    The watermark is the oldest transaction still running before the copy: anything that commits later has an id
    at least that, so the next read starts there and misses nothing, whatever order transactions commit in.
    """
    raw = await _asyncpg(session)
    # A scan may otherwise start where another one on the same table is, which would shift one COPY's order.
    await raw.execute("SET LOCAL synchronize_seqscans = off")
    watermark = await raw.fetchval(WATERMARK)
    for _ in range(ATTEMPTS):
        numbers = parse_numbers(await _copy(raw, numbers_sql(since), "binary"))
        labels = parse_labels(await _copy(raw, labels_sql(since), "text"), len(numbers))
        # Two statements, two snapshots (READ COMMITTED): the same rows in both, or read again.
        if len(labels[4]) == len(numbers) and np.array_equal(np.array(labels[4], dtype=np.int64),
                                                             numbers["changed_xid"]):
            break
    else:
        raise RuntimeError("the site table kept changing while it was read")
    deleted = [] if since is None else [r[0] for r in await raw.fetch(
        "SELECT DISTINCT site_id FROM matching.site_change WHERE action = 'deleted' AND changed_xid >= $1", since)]
    return _assemble(numbers["row"], labels, deleted, watermark)


def _assemble(numbers: np.ndarray, labels: list[list[str]], deleted: list[str], watermark: int) -> Read:
    ids, names, provinces, municipalities, _ = labels
    retired = numbers["retired"] == 1
    present = set(ids) if deleted else set()
    removed = [ids[i] for i in np.flatnonzero(retired)] + [d for d in deleted if d not in present]
    cols = {name: numbers[name] for name, _, _ in COLUMNS if name != "retired"}
    # Provinces and municipality codes repeat: one string object for each value, not one per site.
    shared = {v: v for v in set(provinces) | set(municipalities)}
    labelled = Labels(names, list(map(shared.__getitem__, provinces)), list(map(shared.__getitem__, municipalities)))
    if retired.any():
        keep = np.flatnonzero(~retired)
        cols = {name: a[keep] for name, a in cols.items()}
        ids, labelled = [ids[i] for i in keep], labelled.kept(~retired)
    return Read(Catalogue.from_columns(cols, ids, labelled), removed, len(ids) + int(retired.sum()) + len(deleted),
                int(watermark))
