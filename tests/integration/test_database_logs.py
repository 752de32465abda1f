"""PostgreSQL's own server log never carries the values of a statement it refused (a lead's KvK number)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from deploy import stack

pytestmark = pytest.mark.integration


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def test_the_server_is_configured_to_log_errors_without_their_data(database_url):
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        for setting, value in stack.PG_LOG_SETTINGS.items():
            assert await conn.fetchval(f"SHOW {setting}") == value, setting
    finally:
        await conn.close()


async def test_a_refused_row_leaves_no_value_in_the_local_server_log(database_url):
    log = stack.STATE / "postgres" / "data" / "server.log"
    assert log.exists(), f"the tests' PostgreSQL is the local one, so its log must be at {log}"
    marker = f"{uuid.uuid4().int % 10**8:08d}"
    conn = await asyncpg.connect(_dsn(database_url))
    try:
        with pytest.raises(asyncpg.UntranslatableCharacterError):
            # A NUL escape in JSONB is what PostgreSQL refuses for a poison lead; its error CONTEXT quotes the data.
            await conn.execute("SELECT $1::jsonb", f'{{"kvk_number": "{marker}", "name": "Poison\\u0000 B.V."}}')
        await conn.execute("SELECT pg_catalog.pg_sleep(0)")  # a later statement: the error has been written
    finally:
        await conn.close()
    assert marker not in log.read_text(errors="replace")
