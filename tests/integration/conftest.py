import contextlib
import uuid

import pytest

from deploy.databases import create_database, drop_database
from shared.db import make_engine, make_sessionmaker
from tests.lifecycle import disposed

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def fresh_sessions(infra, run_id, service: str):
    """Sessions on a fresh database with one service's schema alone: the rows a test stores are all there is."""
    name = f"groeiruimte_test_{run_id}_{service}_{uuid.uuid4().hex[:6]}"
    url = await create_database(infra.database_url, name, services=[service])
    engine = make_engine(url, pool_size=3)
    try:
        yield make_sessionmaker(engine)
    finally:
        try:
            await disposed(engine)
        finally:
            await drop_database(infra.database_url, name)


@pytest.fixture
async def reporting_sessions(infra, run_id):
    async with fresh_sessions(infra, run_id, "reporting") as sessions:
        yield sessions


@pytest.fixture
async def notifications_sessions(infra, run_id):
    async with fresh_sessions(infra, run_id, "notifications") as sessions:
        yield sessions


@pytest.fixture
async def engine(database_url):
    """An engine on the test's database (the plan tests EXPLAIN the statements the repositories send on it)."""
    engine = make_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()
