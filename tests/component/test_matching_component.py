"""Matching's app against the in-memory broker: a case in, ranked proposals out; closing stops re-matching."""

from __future__ import annotations

from faststream.kafka import TestKafkaBroker

from services.matching import repository
from shared.contracts import CaseClosed, CaseOpened, LeadUpdated, MatchProposed
from tests.component.helpers import probe_dead_letters, probe_event, publish, relay
from tests.factories import case_opened_event, demand


async def load_catalogue(matching) -> None:
    """What the service's startup hook does (seed the reference sites, load them into memory)."""
    for hook in matching.runtime.startup_hooks:
        await hook(matching.runtime)


async def test_a_case_opened_comes_out_as_one_match_proposed_with_ranked_sites(build):
    matching = build("matching")
    proposed = probe_event(matching, MatchProposed)
    case = case_opened_event(demand=demand(floor_space_m2=1500, grid_connection_mw=1.0))
    async with TestKafkaBroker(matching.runtime.broker):
        await load_catalogue(matching)
        await publish(matching, case)
        await relay(matching)

    (match,) = proposed.events(MatchProposed)
    assert (match.data.case_id, match.data.revision, match.data.trigger) == (case.data.case_id, 1, "case-opened")
    assert match.data.proposals and [p.rank for p in match.data.proposals] == list(
        range(1, len(match.data.proposals) + 1))
    async with matching.runtime.sessions() as session:
        assert (await repository.get_match(session, case.data.case_id))["revision"] == 1


async def test_a_closed_case_is_not_re_matched_when_its_demand_changes(build):
    matching = build("matching")
    proposed = probe_event(matching, MatchProposed)
    case = case_opened_event(demand=demand(floor_space_m2=1500))
    closed = CaseClosed.model_validate({"source": "/t", "subject": str(case.data.case_id), "data": {
        "case_id": str(case.data.case_id), "outcome": "stayed", "origin_region": "oost"}})
    c = case.data
    changed = LeadUpdated.model_validate({"source": "/t", "subject": str(c.lead_id), "data": {
        "lead_id": str(c.lead_id), "case_id": str(c.case_id), "stage": c.stage,
        "technology_domains": list(c.technology_domains),
        "demand": demand(floor_space_m2=5_000_000), "investment_eur": c.investment_eur,
        "investment_status": c.investment_status, "eligible": True, "triage_reason": "t", "changed": ["demand"]}})
    async with TestKafkaBroker(matching.runtime.broker):
        await load_catalogue(matching)
        for evt in (case, closed, changed):
            await publish(matching, evt)
        await relay(matching)

    assert [m.data.revision for m in proposed.events(MatchProposed)] == [1]
    async with matching.runtime.sessions() as session:
        assert (await repository.get_match(session, c.case_id))["status"] == "closed"


async def test_an_event_that_is_not_json_is_dead_lettered_and_the_next_one_is_matched(build):
    matching = build("matching")
    dead, proposed = probe_dead_letters(matching, CaseOpened), probe_event(matching, MatchProposed)
    case = case_opened_event(demand=demand(floor_space_m2=1500))
    async with TestKafkaBroker(matching.runtime.broker):
        await load_catalogue(matching)
        await publish(matching, b"{not json", topic=CaseOpened.topic)
        await publish(matching, case)
        await relay(matching)

    assert [h["dlq-consumer-group"] for h in dead.headers()] == ["matching"]
    assert [m.data.case_id for m in proposed.events(MatchProposed)] == [case.data.case_id]
