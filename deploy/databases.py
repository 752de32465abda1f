"""Fresh databases beside the configured one: each test module or benchmark run can have its own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import asyncpg
from sqlalchemy.engine import make_url

from deploy.processes import ROOT
from shared.migrations import upgrade


def _admin_dsn(server_url: str) -> str:
    return make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)


# Bounded, so that a server that stopped answering fails a test run or benchmark instead of hanging it; the
# statement bound is generous because CREATE/DROP DATABASE on a loaded machine can take tens of seconds.
CONNECT_WITHIN = 30.0
STATEMENT_WITHIN = 120.0


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(_admin_dsn(server_url), timeout=CONNECT_WITHIN)
    try:
        await conn.execute(sql, timeout=STATEMENT_WITHIN)
    finally:
        await conn.close(timeout=10)


async def create_database(server_url: str, name: str, *, services: Iterable[str] = ()) -> str:
    """Create `name` on the server of `server_url`, apply the named services' migrations, return its URL."""
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    for service in services:
        await asyncio.to_thread(upgrade, ROOT / "services" / service / "migrations", url)
    return url


async def drop_database(server_url: str, name: str) -> None:
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
