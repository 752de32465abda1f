"""The engine's pool: no ping round trip on a busy connection, and recovery when PostgreSQL closed the connections."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared.db import make_engine
from tests.kafka import eventually
from tests.lifecycle import disposed

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def _count_pings(engine) -> list:
    pings: list = []
    dialect = engine.sync_engine.dialect
    real = dialect.do_ping

    def counted(dbapi_connection):
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    dialect.do_ping = counted
    return pings


async def _backend_pid(engine) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT pg_backend_pid()"))


async def test_a_busy_connection_is_used_without_a_ping(database_url):
    engine = make_engine(database_url, pool_size=1)
    pings = _count_pings(engine)
    try:
        for _ in range(20):
            await _backend_pid(engine)
    finally:
        await disposed(engine)
    assert pings == []


async def test_a_connection_idle_past_the_limit_is_pinged_before_use(database_url):
    engine = make_engine(database_url, pool_size=1, ping_after_idle_seconds=0)
    pings = _count_pings(engine)
    try:
        await _backend_pid(engine)
        await _backend_pid(engine)
    finally:
        await disposed(engine)
    assert len(pings) == 1


async def test_connections_the_server_closed_are_replaced_without_a_failed_statement(database_url):
    """As after a PostgreSQL restart: every pooled connection terminated; the next use just works."""
    engine = make_engine(database_url, pool_size=2)
    killer = make_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as a, engine.connect() as b:  # two pooled connections
            pids = [await c.scalar(text("SELECT pg_backend_pid()")) for c in (a, b)]
            raw = [(await c.get_raw_connection()).driver_connection for c in (a, b)]
        async with killer.connect() as conn:
            for pid in pids:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        async def closed() -> bool:
            return all(r.is_closed() for r in raw)

        assert await eventually(closed, timeout=10, interval=0.05), "the driver never noticed the termination"
        assert await _backend_pid(engine) not in pids
        assert await _backend_pid(engine) not in pids
    finally:
        await disposed(engine)
        await disposed(killer)
