"""repository.match_and_pending: one statement that behaves as get_match(lock=True) then take_pending_update."""

from __future__ import annotations

import uuid

import pytest

from deploy.databases import create_database, drop_database
from services.matching import repository
from shared.db import make_engine, make_sessionmaker, transaction
from tests.lifecycle import disposed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def sessions(infra, run_id):
    name = f"groeiruimte_test_{run_id}_matching_repo_{uuid.uuid4().hex[:6]}"
    url = await create_database(infra.database_url, name, services=["matching"])
    engine = make_engine(url)
    try:
        yield make_sessionmaker(engine)
    finally:
        try:
            await disposed(engine)
        finally:
            await drop_database(infra.database_url, name)


async def _save(session, case_id, revision=1):
    await repository.save_match(session, case_id=case_id, code_name="Amber Canal 0001", case_payload={"x": 1},
                                result={"proposals": [{"site_id": "s1"}], "near_misses": [], "blocking": {},
                                        "blocking_details": {}, "cutoffs": None}, revision=revision)


async def test_no_match_yet_gives_none_and_takes_the_kept_change(sessions):
    case_id = uuid.uuid4()
    async with transaction(sessions) as session:
        await repository.keep_pending_update(session, case_id, {"stage": "scale-up"})
    async with transaction(sessions) as session:
        assert await repository.match_and_pending(session, case_id) == (None, {"stage": "scale-up"})
    async with transaction(sessions) as session:
        assert await repository.match_and_pending(session, case_id) == (None, None)


async def test_an_open_match_is_returned_with_the_kept_change(sessions):
    case_id = uuid.uuid4()
    async with transaction(sessions) as session:
        await _save(session, case_id, revision=3)
        await repository.keep_pending_update(session, case_id, {"stage": "growth"})
    async with transaction(sessions) as session:
        previous, pending = await repository.match_and_pending(session, case_id)
        assert (previous["revision"], previous["status"], previous["proposals"]) == (3, "open", [{"site_id": "s1"}])
        assert pending == {"stage": "growth"}
        assert previous == dict(await repository.get_match(session, case_id))


async def test_a_closed_case_keeps_its_kept_change(sessions):
    case_id = uuid.uuid4()
    async with transaction(sessions) as session:
        await _save(session, case_id)
        await repository.close_case(session, case_id, "relocated")
        await repository.keep_pending_update(session, case_id, {"stage": "growth"})
    async with transaction(sessions) as session:
        previous, pending = await repository.match_and_pending(session, case_id)
        assert (previous["status"], pending) == ("closed", None)
        assert await repository.take_pending_update(session, case_id) == {"stage": "growth"}
