"""Persistence for the projections: facts, figure deltas, amount steps and the reported snapshots.

The hot paths (a batch of facts, the sums as of a date, a rebuild) go straight to the driver with set-based
statements over arrays: one statement per table per batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import CreateIndex, DropIndex

from services.reporting.domain.facts import Fact
from services.reporting.domain.figures import CellKey, Sums
from services.reporting.domain.periods import period_of
from services.reporting.orm import fact, reported_snapshot

# Every write to the projections takes this one transaction-scoped lock: a batch reads the stored facts of its
# entities and writes the difference its facts make, which is only right if no other batch changes the same
# entities meanwhile. Batches are short (a few set-based statements), so one lock for all is simple and enough.
PROJECTION_LOCK = 0x5EED_FAC7
DeltaRow = tuple[str, date, str, str, int, float]  # (grain, bucket, metric, key, n, amount)
StepRow = tuple[str, str, str, date, date | None, float]  # (entity, metric, key, since, until, amount)


async def _raw(session: AsyncSession):
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def lock_projection(session: AsyncSession) -> None:
    """Take the projections' write lock (re-entrant, held until commit)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PROJECTION_LOCK})


def _lead_id(f: Fact) -> str | None:
    return f.body.get("lead_id") if f.topic in ("lead-registered", "lead-updated") else None


def _json(body: dict) -> str:
    """A fact's body as JSON text: orjson (a tenth of the standard library's cost: this runs once per event)."""
    try:
        return orjson.dumps(body).decode()
    except TypeError:  # an integer beyond 64 bits (a site-changed value may be any JSON number)
        return json.dumps(body)


def _fact_record(f: Fact) -> tuple:
    return (f.event_id, f.topic, f.occurred_at, f.subject, _json(f.body), f.arrived_at, f.clamped,
            f.case_id, f.company_ref, _lead_id(f))


FACT_COLUMNS = ("event_id", "topic", "occurred_at", "subject", "body", "arrived_at", "clamped", "case_id",
                "company_ref", "lead_id")
INSERT_FACTS = f"""
INSERT INTO reporting.fact ({", ".join(FACT_COLUMNS)})
SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::jsonb[], $6::timestamptz[],
                     $7::bool[], $8::text[], $9::text[], $10::text[])
ON CONFLICT (event_id) DO NOTHING RETURNING event_id"""


async def insert_facts(session: AsyncSession, facts: Sequence[Fact]) -> set[UUID]:
    """Store facts; returns the ids of those that were new (one already stored is left as it is)."""
    if not facts:
        return set()
    columns = list(zip(*(_fact_record(f) for f in facts), strict=True))
    rows = await (await _raw(session)).fetch(INSERT_FACTS, *columns)
    return {r[0] for r in rows}


async def companies_of_leads(session: AsyncSession, lead_ids: Iterable[str]) -> dict[str, str]:
    """The company of each lead, from its stored lead-registered."""
    rows = await (await _raw(session)).fetch(
        "SELECT lead_id, company_ref FROM reporting.fact WHERE topic = 'lead-registered' AND lead_id = ANY($1)",
        list(lead_ids))
    return {r[0]: r[1] for r in rows}


async def attach_updates_to_companies(session: AsyncSession, companies: dict[str, str]) -> set[UUID]:
    """Stored lead-updated facts that named no company (older producers) get their lead's company."""
    if not companies:
        return set()
    rows = await (await _raw(session)).fetch(
        "UPDATE reporting.fact f SET company_ref = c.company_ref, "
        "body = jsonb_set(f.body, '{company_ref}', to_jsonb(c.company_ref)) "
        "FROM unnest($1::text[], $2::text[]) AS c(lead_id, company_ref) "
        "WHERE f.lead_id = c.lead_id AND f.topic = 'lead-updated' AND f.company_ref IS NULL RETURNING f.event_id",
        list(companies), list(companies.values()))
    return {r[0] for r in rows}


def _fact(row) -> Fact:
    """A stored fact as the folds read it (the live path's and the rebuild's). orjson parses the body in half the
    standard library's time; it reads an integer beyond 64 bits as a float, which changes no figure: the folds
    take amounts as floats and read no other number (the outlook, which reads the supply values, has its own
    reader)."""
    body = row[4]
    return Fact(row[0], row[1], row[2], row[3], orjson.loads(body) if isinstance(body, str) else body,
                arrived_at=row[5], clamped=row[6])


async def entity_facts(session: AsyncSession, *, case_ids: Iterable[str], company_refs: Iterable[str]) -> list[Fact]:
    """Every stored fact of these cases and companies, in the order they were stored."""
    rows = await (await _raw(session)).fetch(
        "SELECT event_id, topic, occurred_at, subject, body, arrived_at, clamped FROM reporting.fact "
        "WHERE case_id = ANY($1) OR company_ref = ANY($2) ORDER BY seq", list(case_ids), list(company_refs))
    return [_fact(r) for r in rows]


ADD_DELTAS = """
INSERT INTO reporting.figure_delta AS d (grain, bucket, metric, key, n, amount)
SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::bigint[], $6::float8[])
ON CONFLICT (grain, bucket, metric, key) DO UPDATE SET n = d.n + EXCLUDED.n, amount = d.amount + EXCLUDED.amount"""


async def add_deltas(session: AsyncSession, rows: Sequence[DeltaRow]) -> None:
    """Add delta rows to the stored ones (one row per grain, bucket and cell in `rows`)."""
    if rows:
        await (await _raw(session)).execute(ADD_DELTAS, *zip(*rows, strict=True))


async def replace_steps(session: AsyncSession, entities: Sequence[str], steps: Sequence[StepRow]) -> None:
    """The amount steps of these entities become `steps`."""
    raw = await _raw(session)
    if entities:
        await raw.execute("DELETE FROM reporting.amount_step WHERE entity = ANY($1)", list(entities))
    if steps:
        await raw.execute("INSERT INTO reporting.amount_step (entity, metric, key, since, until, amount) "
                          "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::date[], "
                          "$6::float8[])", *zip(*steps, strict=True))


HALF_YEARS = """
SELECT d.day, f.metric, f.key, sum(f.n)::bigint, sum(f.amount)
FROM unnest($1::date[], $2::date[]) AS d(day, upto)
JOIN reporting.figure_delta f ON f.grain = 'h' AND f.bucket < d.upto
GROUP BY d.day, f.metric, f.key"""
WITHIN_HALF_YEAR = """
SELECT metric, key, sum(n)::bigint, sum(amount) FROM reporting.figure_delta
WHERE (grain = 'm' AND bucket >= $1 AND bucket < $2) OR (grain = 'd' AND bucket >= $2 AND bucket <= $3)
GROUP BY metric, key"""


async def sums_as_of(session: AsyncSession, days: Sequence[date]) -> dict[date, Sums]:
    """Every cell summed over the deltas up to the end of each day: whole half-years, then the months and days
    of its own half-year (none when the day ends its half-year, as the trend's do)."""
    raw = await _raw(session)
    periods = {day: period_of(day) for day in days}
    whole = {day for day, period in periods.items() if day == period.end}
    upto = [p.end + timedelta(days=1) if day in whole else p.start for day, p in periods.items()]
    out: dict[date, dict[CellKey, tuple[int, float]]] = {day: {} for day in days}
    for day, metric, key, n, amount in await raw.fetch(HALF_YEARS, list(periods), upto):
        out[day][(metric, key)] = (n, amount)
    for day in set(days) - whole:
        sums = out[day]
        start = periods[day].start
        for metric, key, n, amount in await raw.fetch(WITHIN_HALF_YEAR, start, day.replace(day=1), day):
            n0, a0 = sums.get((metric, key), (0, 0.0))
            sums[(metric, key)] = (n0 + n, a0 + amount)
    return out


LARGEST = """
SELECT c.day, c.metric, c.key, t.amount FROM unnest($1::date[], $2::text[], $3::text[]) AS c(day, metric, key)
CROSS JOIN LATERAL (SELECT s.amount FROM reporting.amount_step s
                    WHERE s.metric = c.metric AND s.key = c.key AND s.since <= c.day
                      AND (s.until IS NULL OR s.until > c.day)
                    ORDER BY s.amount DESC LIMIT 2) t"""


async def largest_on(session: AsyncSession, cells: Sequence[tuple[date, str, str]]
                     ) -> dict[date, dict[CellKey, tuple[float, ...]]]:
    """The two largest single-case amounts holding on each (day, metric, key) asked for."""
    if not cells:
        return {}
    rows = await (await _raw(session)).fetch(LARGEST, *zip(*cells, strict=True))
    found: dict[date, dict[CellKey, list[float]]] = {}
    for day, metric, key, amount in rows:
        found.setdefault(day, {}).setdefault((metric, key), []).append(amount)
    return {day: {cell: tuple(sorted(a, reverse=True)) for cell, a in cells_.items()}
            for day, cells_ in found.items()}


async def event_counts(session: AsyncSession) -> dict[str, int]:
    """Events seen per topic (whatever their time)."""
    rows = await (await _raw(session)).fetch(
        "SELECT key, sum(n)::bigint FROM reporting.figure_delta WHERE grain = 'h' AND metric = 'events' GROUP BY key")
    return {r[0]: r[1] for r in rows}


async def late_since(session: AsyncSession, *, start: datetime, end: datetime, since: datetime) -> dict[str, int]:
    """Facts with event time in [start, end) that arrived after `since` (e.g. after a period was reported)."""
    rows = await (await _raw(session)).fetch(
        "SELECT topic, count(*) FROM reporting.fact WHERE occurred_at >= $1 AND occurred_at < $2 "
        "AND coalesce(arrived_at, recorded_at) > $3 GROUP BY topic ORDER BY topic", start, end, since)
    return {r[0]: r[1] for r in rows}


# --- rebuild -------------------------------------------------------------------------------------------------

async def forget_projections(session: AsyncSession, *, facts: bool) -> None:
    """Empty the projections, and the facts too with `facts` (a rebuild refills them in the same transaction).

    DELETE, not TRUNCATE: readers keep reading the old rows until the rebuild commits instead of waiting for it.
    """
    raw = await _raw(session)
    for table in ("fact", "figure_delta", "amount_step") if facts else ("figure_delta", "amount_step"):
        await raw.execute(f"DELETE FROM reporting.{table}")


async def driver_dsn(session: AsyncSession) -> str:
    """The session's database as a plain asyncpg DSN (for a worker process's own connection)."""
    url = (await session.connection()).engine.url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def export_snapshot(session: AsyncSession) -> str:
    """The transaction's view of the database, for other connections to read exactly the same rows."""
    return await (await _raw(session)).fetchval("SELECT pg_export_snapshot()")


# One share of the stored facts: the facts of the cases and companies in it (an entity is in share
# abs(hashtext(its id)) % shares: PostgreSQL picks the rows, so each reader reads only its own). A lead's fact
# belongs to its case and its company, which may lie in different shares. Each fact's own contribution
# (`single`) is counted in the share of its case, else of its company, else by its seq: so a fact is mostly read
# by one share only.
SHARE_OF_FACTS = """
SELECT event_id, topic, occurred_at, subject, body, arrived_at, clamped,
       coalesce(abs(hashtext(case_id)) % $2 = $1, false) AS of_case,
       coalesce(abs(hashtext(company_ref)) % $2 = $1, false) AS of_company,
       abs(hashtext(coalesce(case_id, company_ref, seq::text))) % $2 = $1 AS single
FROM reporting.fact
WHERE abs(hashtext(case_id)) % $2 = $1 OR abs(hashtext(company_ref)) % $2 = $1
   OR abs(hashtext(coalesce(case_id, company_ref, seq::text))) % $2 = $1
ORDER BY seq"""


@dataclass
class FactShare:
    """One share of the stored facts, in the order stored (the order the live path folds an entity's facts in)."""

    single: list[Fact] = field(default_factory=list)  # facts whose own contribution (fact_cells) is this share's
    cases: dict[str, list[Fact]] = field(default_factory=dict)  # every fact of each case in the share
    companies: dict[str, list[Fact]] = field(default_factory=dict)  # every fact of each company in the share
    read: int = 0  # rows read


async def share_of_stored_facts(connection, share: int, shares: int, *, fetch: int = 20_000) -> FactShare:
    """One share of the stored facts, read through a cursor (`connection`: asyncpg's, in a transaction) and
    turned into facts as the live path reads them (`_fact`)."""
    out = FactShare()
    cursor = await connection.cursor(SHARE_OF_FACTS, share, shares)
    while rows := await cursor.fetch(fetch):
        out.read += len(rows)
        for row in rows:
            f = _fact(row)
            if row[9]:
                out.single.append(f)
            if row[7]:
                out.cases.setdefault(f.case_id, []).append(f)
            if row[8]:
                out.companies.setdefault(f.company_ref, []).append(f)
    return out


@asynccontextmanager
async def fact_indexes_built_after(session: AsyncSession):
    """Load facts without the fact table's secondary indexes and build them once afterwards.

    Building an index over a million rows once costs a fraction of maintaining it row by row during the COPY
    (PostgreSQL's manual, "Populating a Database"). Dropping them locks the fact table until the rebuild
    commits; the figures' readers read the delta rows and amount steps, which stay readable throughout.
    """
    for index in fact.indexes:
        await session.execute(DropIndex(index))
    yield
    for index in fact.indexes:
        await session.execute(CreateIndex(index))


async def copy_facts(session: AsyncSession, facts: Sequence[Fact]) -> None:
    """Store many facts fast (COPY): for a rebuild into empty tables, whose replay has each event once."""
    if facts:
        await (await _raw(session)).copy_records_to_table(
            "fact", schema_name="reporting", columns=FACT_COLUMNS, records=[_fact_record(f) for f in facts])


async def copy_deltas(session: AsyncSession, rows: Iterable[DeltaRow]) -> None:
    await (await _raw(session)).copy_records_to_table(
        "figure_delta", schema_name="reporting", columns=("grain", "bucket", "metric", "key", "n", "amount"),
        records=list(rows))


ROLL_UP = """
INSERT INTO reporting.figure_delta (grain, bucket, metric, key, n, amount)
SELECT $1, {bucket}, metric, key, sum(n), sum(amount) FROM reporting.figure_delta WHERE grain = 'd'
GROUP BY 2, metric, key HAVING sum(n) <> 0 OR sum(amount) <> 0"""


async def roll_up_days(session: AsyncSession) -> None:
    """The month and half-year rows from the day rows (a rebuild loads only those)."""
    raw = await _raw(session)
    await raw.execute(ROLL_UP.format(bucket="date_trunc('month', bucket)::date"), "m")
    await raw.execute(ROLL_UP.format(bucket="make_date(extract(year FROM bucket)::int, "
                                            "CASE WHEN extract(month FROM bucket) <= 6 THEN 1 ELSE 7 END, 1)"), "h")
    # Statistics now, not whenever autovacuum comes by: the reads' plans depend on them.
    await raw.execute("ANALYZE reporting.figure_delta")
    await raw.execute("ANALYZE reporting.amount_step")


async def copy_steps(session: AsyncSession, rows: Iterable[StepRow]) -> None:
    await (await _raw(session)).copy_records_to_table(
        "amount_step", schema_name="reporting", columns=("entity", "metric", "key", "since", "until", "amount"),
        records=list(rows))


# --- reported snapshots --------------------------------------------------------------------------------------

async def save_snapshot(session: AsyncSession, *, period: str, as_of: str, figures: dict, reported_by: str,
                        cells: dict[str, Any] | None = None) -> bool:
    """Freeze the figures of a period; False when that period was already reported (it stays as it was)."""
    stmt = (insert(reported_snapshot).values(period=period, as_of=as_of, figures=figures, reported_by=reported_by,
                                             cells=cells)
            .on_conflict_do_nothing().returning(reported_snapshot.c.period))
    return (await session.execute(stmt)).first() is not None


async def snapshot(session: AsyncSession, period: str) -> dict | None:
    row = (await session.execute(select(reported_snapshot).where(reported_snapshot.c.period == period))).first()
    return dict(row._mapping) if row else None


async def snapshots(session: AsyncSession) -> list[dict]:
    rows = await session.execute(select(reported_snapshot.c.period, reported_snapshot.c.as_of,
                                        reported_snapshot.c.reported_by, reported_snapshot.c.reported_at)
                                 .order_by(reported_snapshot.c.period))
    return [dict(r._mapping) for r in rows]
