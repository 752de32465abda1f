"""The look-alike job on real PostgreSQL: off the lead's path, each pair flagged once, renamed names compared again,
one job at a time across instances, and only when the pipeline is quiet or a name waited too long."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from services.intake import look_alikes
from services.intake.bootstrap import bootstrap
from services.intake.config import IntakeSettings
from services.intake.domain import lead_id
from services.intake.orm import lead, name_review
from shared.contracts import LeadSignalled
from shared.db import transaction
from tests.factories import intake_lead_payload
from tests.integration.test_set_based_batches import _no_dead_letters, items

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
async def intake(infra, run_id):
    from tests.integration.conftest import fresh_sessions

    async with fresh_sessions(infra, run_id, "intake") as sessions:
        deps = bootstrap(IntakeSettings())
        yield replace(deps.runtime.appliers["intake"], sessions=sessions), sessions


def signalled(name: str, organisation: str = "oost-nl") -> dict:
    return intake_lead_payload(organisation=organisation, name=name)


def lid(payload: dict):
    return lead_id(payload["data"]["organisation"], payload["data"]["reference"])


async def apply(applier, *payloads: dict) -> None:
    await applier(items([LeadSignalled.model_validate(p) for p in payloads], "lead-signalled"), _no_dead_letters)


async def check(sessions, *, batch: int = 500) -> int:
    async with transaction(sessions) as session:
        return await look_alikes.check_new_names(session, batch=batch)


async def flagged(sessions) -> set[tuple]:
    async with sessions() as session:
        return set(map(tuple, (await session.execute(select(name_review.c.lead_id, name_review.c.similar_lead_id)))))


async def waiting(sessions) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(lead).where(lead.c.names_checked.is_(None)))


async def test_leads_are_registered_without_waiting_and_each_look_alike_pair_is_flagged_once(intake):
    applier, sessions = intake
    one, two, other = signalled("Fotonica Twente B.V."), signalled("FOTONICA TWENTE, bv", "bom"), \
        signalled("Lichtlab Gamma B.V.")
    await apply(applier, one, two, other)
    assert await flagged(sessions) == set() and await waiting(sessions) == 3

    assert await check(sessions) == 3
    first = await flagged(sessions)
    assert first in ({(lid(two), lid(one))}, {(lid(one), lid(two))}), "one row for the pair, either way round"

    # A third look-alike later: compared with both, which are not compared again.
    three = signalled("Fotonica-Twente B.V.", "nom")
    await apply(applier, three)
    assert await check(sessions) == 1
    assert await flagged(sessions) == first | {(lid(three), lid(one)), (lid(three), lid(two))}
    assert await waiting(sessions) == 0 and await check(sessions) == 0
    async with sessions() as session:
        cases = (await session.execute(select(lead.c.case_id).where(lead.c.id.in_([lid(one), lid(two)])))).all()
    assert len({c.case_id for c in cases}) == 2, "look-alikes are never merged"


@pytest.mark.parametrize("batch", [1, 2, 500])
async def test_each_pair_is_compared_once_within_a_batch_and_across_batches(intake, batch):
    applier, sessions = intake
    orgs = ("oost-nl", "bom", "nom", "innovationquarter")
    await apply(applier, *[signalled(f"Kwantum Delta {c} B.V.", org) for c, org in zip("wxyz", orgs, strict=True)])
    checked = [await check(sessions, batch=batch) for _ in range(-(-4 // batch) + 1)]
    assert sum(checked) == 4 and checked[-1] == 0
    pairs = await flagged(sessions)
    assert len(pairs) == 6 and len({frozenset(p) for p in pairs}) == 6, pairs


async def test_a_renamed_lead_is_compared_again_and_an_erased_name_never(intake):
    applier, sessions = intake
    one, two = signalled("Lichtlab Gamma B.V."), signalled("Nanofab Noord B.V.", "bom")
    await apply(applier, one, two)
    await check(sessions)
    assert await flagged(sessions) == set()

    renamed = signalled("x", "bom")  # a later event of the same lead, the company renamed
    renamed["data"] = two["data"] | {"company": two["data"]["company"] | {"name": "Lichtlab Gamma BV"}}
    await apply(applier, renamed)
    assert await waiting(sessions) == 1
    await check(sessions)
    assert await flagged(sessions) == {(lid(two), lid(one))}

    erased = signalled("Lichtlab Gamma", "nom")
    await apply(applier, erased)
    async with transaction(sessions) as session:  # as repository.erase_leads leaves it
        await session.execute(update(lead).where(lead.c.id == lid(erased)).values(name_key=None))
    assert await check(sessions) == 1
    assert await flagged(sessions) == {(lid(two), lid(one))} and await waiting(sessions) == 0


async def test_while_another_instance_checks_names_this_one_leaves_them_waiting(intake):
    applier, sessions = intake
    await apply(applier, signalled("Fotonica Twente B.V."), signalled("Fotonica Twente BV", "bom"))
    async with transaction(sessions) as other_instance:
        await other_instance.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": look_alikes.LOCK_KEY})
        assert await check(sessions) == 0
        assert await waiting(sessions) == 2
    assert await check(sessions) == 2 and len(await flagged(sessions)) == 1


async def test_names_are_due_once_the_pipeline_is_quiet_or_the_oldest_waited_too_long(intake):
    applier, sessions = intake
    settings = IntakeSettings(name_review_quiet_seconds=5, name_review_max_delay_seconds=60)
    async with sessions() as session:
        assert not await look_alikes.names_due(session, settings), "nothing waits"
    await apply(applier, signalled("Fotonica Twente B.V."))
    async with sessions() as session:
        signalled_at = await session.scalar(select(func.max(lead.c.created_at)))
        assert not await look_alikes.names_due(session, settings, now=signalled_at + timedelta(seconds=1))
        assert await look_alikes.names_due(session, settings, now=signalled_at + timedelta(seconds=6))
        assert not await look_alikes.names_due(session, settings, now=signalled_at + timedelta(seconds=6),
                                               quiet_for=1), "the process still takes in work"
        await session.execute(update(lead).values(created_at=lead.c.created_at - timedelta(seconds=120)))
        await apply(applier, signalled("Lichtlab Gamma B.V."))  # a new name now: busy, but one waited too long
        newest = await session.scalar(select(func.max(lead.c.created_at)))
        assert await look_alikes.names_due(session, settings, now=newest + timedelta(seconds=1))
        await session.rollback()
