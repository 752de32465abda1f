"""Database helpers: one async engine per process, one schema per service, sessions that roll back by default."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import MetaData, Text, bindparam, cast, column, event, exc, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    """Metadata for a service's own schema; services never read each other's tables."""
    return MetaData(schema=schema, naming_convention=NAMING)


# A pooled connection idle longer than this is pinged before use; a busy one is not (see make_engine).
PING_AFTER_IDLE_SECONDS = 10.0


def make_engine(url: str, *, pool_size: int = 10, ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS,
                connect_args: dict[str, Any] | None = None) -> AsyncEngine:
    # hide_parameters: an error's text (logged, or shown in a traceback) never carries the statement's values,
    # which are company names and KvK numbers.
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=10, hide_parameters=True,
                                 json_serializer=json_text, json_deserializer=orjson.loads,
                                 connect_args=connect_args or {})
    check_connections_on_checkout(engine, ping_after_idle_seconds=ping_after_idle_seconds)
    return engine


def json_text(value: Any) -> str:
    """JSON and JSONB parameters as text: orjson, a tenth of json.dumps' cost (matching stores a document of some
    7 KB per case; json.dumps was a sixth of its CPU in the pipeline benchmark, docs/benchmarks.md)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def json_rows(name: str, *columns):
    """A bound JSON array of objects (text, see rows_json) as a table `name` with these (name, type) columns:
    a batch's rows sent as one parameter that PostgreSQL unpacks with jsonb_to_recordset, so a statement over a
    batch of 500 rows is one round trip (and one statement to plan), as over a batch of one."""
    fn = func.jsonb_to_recordset(cast(bindparam(name, type_=Text), JSONB))
    return fn.table_valued(*(column(n, t) for n, t in columns)).render_derived(name=name, with_types=True)


def rows_json(rows: list[dict]) -> str:
    """The rows as JSON text for json_rows, UUIDs and timestamps as strings that PostgreSQL reads back by column
    type. orjson, and text rather than a JSONB parameter: the standard library's encoder (which would also need a
    round trip through dicts to turn UUIDs into strings) cost ten times as much per batch, measured. The driver's
    own UUIDs (ids read back from the database) are written as their text too."""
    return orjson.dumps(rows, default=str).decode()


def check_connections_on_checkout(engine: AsyncEngine, *, ping_after_idle_seconds: float) -> None:
    """Replace the pool's pre-ping (a `BEGIN; ;ROLLBACK` round trip on every checkout) with checks that cost
    nothing on a healthy, busy connection.

    A connection the server closed (PostgreSQL restarted or terminated it) is known closed by the driver once
    the socket reported it: dropped without a round trip. One that sat idle longer than `ping_after_idle_seconds`
    (where a restart may have happened unnoticed) is pinged as before. Either failure invalidates the whole pool,
    so after a restart every old connection is replaced, not found broken one by one. A connection that breaks
    while busy fails its statement as a transient error (retried by the consumer runtime).
    """
    sync = engine.sync_engine
    dialect = sync.dialect

    @event.listens_for(sync, "checkin")
    def _note_idle_since(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(sync, "checkout")
    def _drop_dead(dbapi_connection, record, _proxy) -> None:
        if dbapi_connection.driver_connection.is_closed():
            raise exc.InvalidatePoolError("the server closed the connection")
        idle_since = record.info.get("idle_since")
        if idle_since is not None and time.monotonic() - idle_since > ping_after_idle_seconds:
            if not dialect._do_ping_w_event(dbapi_connection):
                raise exc.InvalidatePoolError("the connection did not answer a ping")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work: commits when the block ends normally, rolls back on any exception."""
    async with sessions() as session, session.begin():
        yield session
