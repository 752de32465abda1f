import uuid

import pytest

from deploy.databases import create_database, drop_database
from shared.db import make_engine, make_sessionmaker
from tests.lifecycle import disposed

pytestmark = pytest.mark.integration


@pytest.fixture
async def reporting_sessions(infra, run_id):
    """Sessions on a fresh database with reporting's schema alone: the facts a test stores are all there is."""
    name = f"groeiruimte_test_{run_id}_reporting_{uuid.uuid4().hex[:6]}"
    url = await create_database(infra.database_url, name, services=["reporting"])
    engine = make_engine(url, pool_size=3)
    try:
        yield make_sessionmaker(engine)
    finally:
        try:
            await disposed(engine)
        finally:
            await drop_database(infra.database_url, name)
