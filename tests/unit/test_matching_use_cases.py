"""Matching's case use cases on the in-memory unit of work: the same functions its consumers run."""

from __future__ import annotations

import asyncio
import inspect
import uuid

import pytest

from services.matching import handlers, repository
from services.matching.bootstrap import bootstrap
from services.matching.config import MatchingSettings
from services.matching.domain import Catalogue, Site
from services.matching.unit_of_work import Matches
from shared.contracts import CaseClosed, CaseOpened, LeadUpdated, MatchProposed
from shared.contracts.events import Explanation
from tests.factories import case_opened_event, demand
from tests.fakes.matching import FakeMatchingUnitOfWork

SMALL = demand(floor_space_m2=1500, grid_connection_mw=1.0)
HUGE = demand(floor_space_m2=5_000_000)  # no site anywhere has this much


@pytest.fixture
def deps():
    built = bootstrap(MatchingSettings())  # builds, connects to nothing
    built.supply.catalogue = Catalogue.of([Site.model_validate(r) for r in repository.reference_sites()])
    return built


@pytest.fixture
def uow():
    return FakeMatchingUnitOfWork()


async def run(use_case, uow, evt, deps):
    """What the consumer does: the use case on the batch's unit of work, then the batch commits."""
    await use_case(uow, evt, deps=deps)
    await uow.commit()


def lead_updated(case: CaseOpened, **data) -> LeadUpdated:
    c = case.data
    return LeadUpdated.model_validate({"source": "/groeiruimte/intake", "subject": str(c.lead_id), "data": {
        "lead_id": str(c.lead_id), "case_id": str(c.case_id), "stage": c.stage,
        "technology_domains": list(c.technology_domains), "demand": c.demand.model_dump(mode="json"),
        "investment_eur": c.investment_eur, "investment_status": c.investment_status, "eligible": True,
        "triage_reason": "test", "changed": ["demand"]} | data})


def closed(case: CaseOpened) -> CaseClosed:
    return CaseClosed.model_validate({"source": "/t", "subject": str(case.data.case_id), "data": {
        "case_id": str(case.data.case_id), "outcome": "stayed", "origin_region": "oost"}})


async def test_a_case_opened_gets_ranked_proposals_in_one_match_proposed(uow, deps):
    case = case_opened_event(demand=SMALL)
    await run(handlers.propose_sites_for_case, uow, case, deps)

    (proposed,) = uow.outbox.of(MatchProposed)
    m = proposed.data
    assert (m.case_id, m.revision, m.trigger, proposed.subject) == (case.data.case_id, 1, "case-opened",
                                                                     str(case.data.case_id))
    assert m.proposals and not m.no_proposition
    assert [p.rank for p in m.proposals] == sorted(p.rank for p in m.proposals)
    assert uow.matches.rows[case.data.case_id]["revision"] == 1 and uow.supply_refreshes == 1


async def test_a_case_no_site_can_house_gets_no_proposition_with_what_blocks_it(uow, deps):
    case = case_opened_event(demand=HUGE)
    await run(handlers.propose_sites_for_case, uow, case, deps)
    (proposed,) = uow.outbox.of(MatchProposed)
    assert proposed.data.no_proposition and proposed.data.proposals == () and proposed.data.blocking


async def test_the_same_case_opened_again_emits_nothing_new(uow, deps):
    case = case_opened_event(demand=SMALL)
    await run(handlers.propose_sites_for_case, uow, case, deps)
    again = case.model_copy(update={"id": uuid.uuid4()})
    await run(handlers.propose_sites_for_case, uow, again, deps)
    assert len(uow.outbox.of(MatchProposed)) == 1


async def test_a_match_stored_with_its_absent_facts_as_nulls_is_the_same_match(uow, deps):
    """Matches stored before the facts left out what does not apply wrote every fact field (as null or empty):
    the same case again must not count as a new match (a new revision would tell the municipalities again)."""
    case = case_opened_event(demand=SMALL)
    await run(handlers.propose_sites_for_case, uow, case, deps)
    row = uow.matches.rows[case.data.case_id]
    every_fact = {name: None for name in Explanation.model_fields} | {"graduates": {}, "access": [], "domains": []}
    for proposal in row["proposals"]:
        proposal["explanation_facts"] = [every_fact | fact for fact in proposal["explanation_facts"]]
    assert any(None in fact.values() for p in row["proposals"] for fact in p["explanation_facts"])

    await run(handlers.propose_sites_for_case, uow, case.model_copy(update={"id": uuid.uuid4()}), deps)
    assert len(uow.outbox.of(MatchProposed)) == 1


async def test_a_demand_change_that_arrives_before_its_case_is_applied_when_the_case_opens(uow, deps):
    case = case_opened_event(demand=SMALL)
    await run(handlers.rematch_for_changed_demand, uow, lead_updated(case, demand=HUGE), deps)
    assert uow.outbox.of(MatchProposed) == [] and case.data.case_id in uow.matches.pending

    await run(handlers.propose_sites_for_case, uow, case, deps)
    (proposed,) = uow.outbox.of(MatchProposed)
    assert proposed.data.no_proposition  # matched on the newer (huge) demand, not the one in case-opened
    assert case.data.case_id not in uow.matches.pending


async def test_a_changed_demand_re_matches_the_open_case_as_a_new_revision(uow, deps):
    case = case_opened_event(demand=SMALL)
    await run(handlers.propose_sites_for_case, uow, case, deps)
    await run(handlers.rematch_for_changed_demand, uow, lead_updated(case, demand=HUGE), deps)
    first, second = uow.outbox.of(MatchProposed)
    assert (second.data.revision, second.data.trigger) == (2, "lead-updated")
    assert not first.data.no_proposition and second.data.no_proposition


async def test_a_closed_case_is_matched_no_more(uow, deps):
    case = case_opened_event(demand=SMALL)
    await run(handlers.propose_sites_for_case, uow, case, deps)
    await run(handlers.follow_case_closed, uow, closed(case), deps)
    await run(handlers.rematch_for_changed_demand, uow, lead_updated(case, demand=HUGE), deps)
    await run(handlers.propose_sites_for_case, uow, case.model_copy(update={"id": uuid.uuid4()}), deps)
    assert len(uow.outbox.of(MatchProposed)) == 1
    assert uow.matches.rows[case.data.case_id]["status"] == "closed"


async def test_a_new_site_that_fits_re_matches_an_open_case_that_had_no_proposition(uow, deps):
    case = case_opened_event(demand=demand(floor_space_m2=900_000))
    await run(handlers.propose_sites_for_case, uow, case, deps)
    assert uow.outbox.of(MatchProposed)[0].data.no_proposition

    roomy = Site.model_validate(repository.reference_sites()[0] | {"id": "roomy", "floor_space_m2": 1_000_000,
                                                                     "largest_lot_m2": 1_000_000})
    deps.supply.catalogue.upsert(roomy)
    assert await handlers.rematch_open_cases(uow, [roomy], deps=deps) == [str(case.data.case_id)]
    await uow.commit()
    latest = uow.outbox.of(MatchProposed)[-1].data
    assert (latest.revision, latest.trigger) == (2, "site-changed")
    assert "roomy" in {p.site_id for p in latest.proposals}


@pytest.mark.parametrize("name", sorted(n for n in vars(Matches) if not n.startswith("_")))
def test_every_method_of_the_seam_is_a_repository_function_with_the_same_parameters(name):
    """The production unit of work binds each `Matches` method to repository.<name>(session, ...)."""
    wanted = [p for p in inspect.signature(getattr(Matches, name)).parameters if p != "self"]
    given = list(inspect.signature(getattr(repository, name)).parameters)
    assert given == ["session", *wanted]


async def test_a_batch_of_cases_lets_other_tasks_run_between_cases(uow, deps, monkeypatch):
    """The consumer's heartbeat runs on the same event loop: scoring a whole batch must not starve it. Cases are
    scored together as many per pass as the catalogue's size allows (one at a time at national scale; here one
    at a time because the pass is made that small), and other tasks run between passes."""
    from services.matching.domain import batch

    monkeypatch.setattr(batch, "CELLS_PER_PASS", 1)
    cases = [case_opened_event(demand=SMALL) for _ in range(20)]
    ticks = 0
    scoring = asyncio.create_task(handlers.propose_sites_for_cases(uow, cases, deps=deps))
    while not scoring.done():
        ticks += 1
        await asyncio.sleep(0)
    await scoring
    await uow.commit()
    assert len(uow.outbox.of(MatchProposed)) == 20
    assert ticks >= 20
