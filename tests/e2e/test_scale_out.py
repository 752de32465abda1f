"""Two instances of intake and of matching in the same consumer groups share the work and lose and duplicate
nothing: counted as events on Kafka and as rows in the databases (`make bench-scale` does the same with
thousands of leads and prints the throughput of one and of two instances)."""

from __future__ import annotations

import asyncio

import pytest

from bench.scale import count, our_cases, send, start_instances, wait_proposed
from deploy.processes import stop_all
from tests.factories import lead_payload
from tests.kafka import eventually, members_on
from tests.settle import pipeline_settled

pytestmark = pytest.mark.e2e
LEADS = 100


async def test_two_instances_of_intake_and_matching_lose_and_duplicate_nothing(system, service_env, infra,
                                                                                 topic_prefix, artifacts):
    # The session's system runs one of each service: start a second intake and a second matching beside them.
    extra = await asyncio.to_thread(start_instances, service_env, 1, artifacts / "logs", label="scale-out")
    try:
        for group, topic in (("intake", "lead-signalled"), ("matching", "case-opened")):
            shared = await eventually(
                lambda g=group, t=topic: _two_members(infra.kafka, topic_prefix + g, topic_prefix + t),
                timeout=90, interval=0.5)
            assert shared, f"the second {group} instance got no partition of {topic}"
        leads = [lead_payload() for _ in range(LEADS)]
        cases = our_cases(leads)
        await send(infra.kafka, topic_prefix, leads)
        await wait_proposed(infra.kafka, topic_prefix, cases, timeout=180)
        await pipeline_settled(infra.kafka, service_env["DATABASE_URL"], topic_prefix)
        got = await count(infra.kafka, service_env["DATABASE_URL"], topic_prefix, cases, instances=2, seconds=1)
    finally:
        await asyncio.to_thread(stop_all, extra)
    assert (got.cases_opened, got.cases_lost, got.cases_duplicated) == (LEADS, 0, 0)
    assert (got.proposed, got.proposed_lost, got.proposed_duplicated) == (LEADS, 0, 0)
    assert (got.case_rows, got.match_rows) == (LEADS, LEADS)


async def _two_members(bootstrap: str, group: str, topic: str) -> bool:
    return len(await members_on(bootstrap, group, topic)) >= 2
