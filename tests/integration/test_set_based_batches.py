"""One set-based transaction per batch: a batch of N events costs the same number of SQL statements as a batch
of two, on real PostgreSQL, through the consumer runtime's BatchApplier as production runs it."""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from aiokafka.structs import ConsumerRecord
from sqlalchemy import event, func, select

from services.intake import look_alikes
from services.intake import orm as intake_orm
from services.intake.bootstrap import bootstrap as intake_bootstrap
from services.intake.config import IntakeSettings
from services.matching import orm as matching_orm
from services.matching.bootstrap import bootstrap as matching_bootstrap
from services.matching.config import MatchingSettings
from shared.contracts import LeadSignalled, MatchProposed
from tests.factories import case_opened_event, demand, intake_lead_payload, random_kvk

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
_OFFSETS = itertools.count()


@contextlib.contextmanager
def statements(engine) -> Iterator[list[str]]:
    """The SQL statements sent to PostgreSQL meanwhile (a multi-row executemany counts once per round trip)."""
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


def items(events, topic: str, headers=lambda _e: []) -> list:
    return [(ConsumerRecord(topic, 0, next(_OFFSETS), 0, 0, e.key, e.to_json(), None, 0, 0, headers(e)), e)
            for e in events]


def traceparent(trace_id: str) -> list[tuple[str, bytes]]:
    return [("traceparent", f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01".encode())]


async def _no_dead_letters(record, failure, attempts) -> None:
    raise AssertionError(f"dead-lettered: {failure.reason}")


@pytest.fixture
async def matching(infra, run_id):
    from tests.integration.conftest import fresh_sessions

    async with fresh_sessions(infra, run_id, "matching") as sessions:
        deps = matching_bootstrap(MatchingSettings(load_reference_sites=False))
        yield deps, sessions


async def test_a_batch_of_cases_costs_matching_the_same_statements_as_two(matching):
    deps, sessions = matching
    applier = replace(deps.runtime.appliers["matching"], sessions=sessions)
    engine = sessions.kw["bind"]
    counts = []
    for n in (2, 20):
        cases = [case_opened_event(demand=demand(floor_space_m2=1000)) for _ in range(n)]
        with statements(engine) as sent:
            await applier(items(cases, "case-opened"), _no_dead_letters)
        counts.append(len(sent))
    async with sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(matching_orm.case_match))
        queued = await session.scalar(select(func.count()).select_from(matching_orm.outbox))
    assert (stored, queued) == (22, 22)
    assert counts[0] == counts[1], f"statements per batch grow with its size: {counts}"



@pytest.fixture
async def intake(infra, run_id):
    from tests.integration.conftest import fresh_sessions

    async with fresh_sessions(infra, run_id, "intake") as sessions:
        yield intake_bootstrap(IntakeSettings()), sessions


async def test_a_batch_of_new_leads_costs_intake_the_same_statements_as_a_small_one(intake):
    """Eligible leads of new companies, some consenting, some look-alike names: the common batch."""
    deps, sessions = intake
    applier = replace(deps.runtime.appliers["intake"], sessions=sessions)
    engine = sessions.kw["bind"]
    counts = []
    for n in (6, 30):
        leads = [LeadSignalled.model_validate(intake_lead_payload(name=f"Fotonica Twente {i % 3} B.V.",
                                                                  consent="consented" if i % 2 else "nda"))
                 for i in range(n)]
        with statements(engine) as sent:
            await applier(items(leads, "lead-signalled"), _no_dead_letters)
        counts.append(len(sent))
    async with sessions() as session:
        cases = await session.scalar(select(func.count()).select_from(intake_orm.case))
        reviews = await session.scalar(select(func.count()).select_from(intake_orm.name_review))
        events = (await session.execute(select(intake_orm.outbox.c.topic))).scalars().all()
    assert cases == 36 and reviews == 0, "look-alike names wait for their job, off the lead's path"
    async with sessions() as session, session.begin():
        assert await look_alikes.check_new_names(session) == 36
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(intake_orm.name_review)) > 0
    assert sorted(set(events)) == ["case-opened", "consent-granted", "lead-registered"]
    assert counts[0] == counts[1], f"statements per batch grow with its size: {counts}"


async def test_a_batch_of_match_proposals_costs_intake_the_same_statements_as_two(intake):
    deps, sessions = intake
    applier = replace(deps.runtime.appliers["intake-case-matched"], sessions=sessions)
    engine = sessions.kw["bind"]
    counts = []
    for n in (2, 20):
        proposals = [match_proposed_event() for _ in range(n)]
        with statements(engine) as sent:
            await applier(items(proposals, "match-proposed"), _no_dead_letters)
        counts.append(len(sent))
    assert counts[0] == counts[1], f"statements per batch grow with its size: {counts}"


def match_proposed_event(case_id=None, *, revision: int = 1, no_proposition: bool = True,
                         time: str | None = None) -> MatchProposed:
    case_id = case_id or uuid.uuid4()
    return MatchProposed.model_validate({"source": "/t", "subject": str(case_id), **({"time": time} if time else {}),
                                         "data": {
        "case_id": str(case_id), "code_name": "x", "technology_domains": [], "origin_region": "oost",
        "proposals": [], "no_proposition": no_proposition, "revision": revision, "trigger": "case-opened"}})


async def test_each_event_of_a_batch_continues_the_trace_of_the_event_it_follows_from(matching):
    """One trace follows a lead through every service, also when its events are applied as one batch."""
    deps, sessions = matching
    applier = replace(deps.runtime.appliers["matching"], sessions=sessions)
    cases = [case_opened_event(demand=demand(floor_space_m2=1000)) for _ in range(3)]
    traces = {c.id: uuid.uuid4().hex for c in cases}
    await applier(items(cases, "case-opened", lambda e: traceparent(traces[e.id])), _no_dead_letters)
    async with sessions() as session:
        rows = (await session.execute(select(matching_orm.outbox.c.key, matching_orm.outbox.c.headers))).all()
    by_case = {c.subject: traces[c.id] for c in cases}
    assert {key: headers["traceparent"].split("-")[1] for key, headers in rows} == by_case


def _lead(**kw) -> LeadSignalled:
    return LeadSignalled.model_validate(intake_lead_payload(**kw))


async def _intake_state(sessions) -> dict:
    """What intake stored and emits, without generated keys and times (comparable across databases)."""
    o = intake_orm
    queries = {
        "leads": select(o.lead.c.id, o.lead.c.status, o.lead.c.case_id, o.lead.c.eligible, o.lead.c.version),
        "cases": select(o.case.c.id, o.case.c.company_ref, o.case.c.opened_by_lead_id,
                        o.case.c.consent_granted_at.is_not(None)),
        "origins": select(o.lead_origin.c.case_id, o.lead_origin.c.lead_id, o.lead_origin.c.revision_at_join),
        "reviews": select(o.name_review.c.lead_id, o.name_review.c.similar_lead_id),
        "audit": select(o.lead_audit.c.lead_id, o.lead_audit.c.action, o.lead_audit.c.actor),
        "outbox": select(o.outbox.c.topic, o.outbox.c.key),
    }
    async with sessions() as session:
        return {name: sorted(map(tuple, (await session.execute(q)).all()), key=repr) for name, q in queries.items()}


async def test_a_mixed_batch_of_leads_ends_as_if_applied_one_after_another(infra, run_id):
    """The set-based path and the per-event one, on the same events: the same rows and the same events out."""
    from functools import partial

    from services.intake import handlers
    from tests.integration.conftest import fresh_sessions

    deps = intake_bootstrap(IntakeSettings())
    batched = deps.runtime.appliers["intake"]
    one_by_one = replace(batched, batch_effect=None, effect=partial(handlers.receive_signalled_lead, deps=deps))
    with_case, portfolio, known = random_kvk(), random_kvk(), random_kvk()
    earlier = [_lead(kvk=with_case, name="Lichtwerk Twente B.V."),
               _lead(kvk=portfolio, needed_in_days=4000),  # beyond the horizon: stays in the portfolio
               _lead(kvk=known, reference="KNOWN-1")]
    twice = random_kvk()
    changed = intake_lead_payload(kvk=known, name="Nieuwe Naam B.V.", reference="KNOWN-1")
    batch = [_lead(), _lead(consent="consented"),
             _lead(kvk=twice), _lead(kvk=twice, organisation="bom"),  # one company twice in the batch
             _lead(kvk=with_case, organisation="bom"),  # its company has a case: joins it
             _lead(kvk=portfolio, organisation="nom"),  # an earlier lead of its company joins the case it opens
             LeadSignalled.model_validate(changed),  # a known lead, changed
             _lead(name="Lichtwerk Twente B.V."),  # looks like an earlier company's name
             _lead(name="Zonnepaneel Zwolle B.V."), _lead(name="Zonnepaneel Zwolle B.V."),  # look alike each other
             _lead(needed_in_days=4000)]
    states = []
    for applier in (one_by_one, batched):
        async with fresh_sessions(infra, run_id, "intake") as sessions:
            first = replace(one_by_one, sessions=sessions)
            for evt in earlier:
                await first(items([evt], "lead-signalled"), _no_dead_letters)
            await replace(applier, sessions=sessions)(items(batch, "lead-signalled"), _no_dead_letters)
            async with sessions() as session, session.begin():
                await look_alikes.check_new_names(session)
            states.append(await _intake_state(sessions))
    per_event, set_based = states
    assert len(per_event["cases"]) == 9 and len(per_event["reviews"]) == 2  # the batch covers what it should
    for name in per_event:
        assert set_based[name] == per_event[name], name


def _proposed(case_id, revision: int, minute: int) -> MatchProposed:
    return match_proposed_event(case_id, revision=revision, no_proposition=revision % 2 == 0,
                                time=f"2026-12-03T10:{minute:02d}:00+00:00")


async def test_a_batch_of_match_proposals_ends_as_if_applied_one_after_another(infra, run_id):
    """Intake records each case's latest match in one UPDATE ... FROM, which changes a row once: a case twice or
    more in a batch, revisions out of order, the same revision again, one older than the stored: the same state as
    one event per batch."""
    from tests.integration.conftest import fresh_sessions

    deps = intake_bootstrap(IntakeSettings())
    states = []
    for per_event in (True, False):
        async with fresh_sessions(infra, run_id, "intake") as sessions:
            await replace(deps.runtime.appliers["intake"], sessions=sessions)(
                items([_lead() for _ in range(5)], "lead-signalled"), _no_dead_letters)
            async with sessions() as session:
                a, b, c, d, e = sorted((await session.execute(select(intake_orm.case.c.id))).scalars())
            matched = replace(deps.runtime.appliers["intake-case-matched"], sessions=sessions)
            await matched(items([_proposed(c, 5, 0)], "match-proposed"), _no_dead_letters)
            batch = [_proposed(a, 1, 1), _proposed(b, 2, 2), _proposed(a, 3, 3), _proposed(c, 4, 4),
                     _proposed(a, 2, 5), _proposed(b, 2, 6), _proposed(d, 1, 7), _proposed(d, 1, 8)]
            for part in ([[evt] for evt in batch] if per_event else [batch]):
                await matched(items(part, "match-proposed"), _no_dead_letters)
            async with sessions() as session:
                o = intake_orm.case
                rows = (await session.execute(select(o.c.id, o.c.match_revision, o.c.no_proposition,
                                                     o.c.proposed_at, o.c.sites_proposed))).all()
            order = {a: "a", b: "b", c: "c", d: "d", e: "e"}
            states.append(sorted((order[r.id], *r[1:]) for r in rows))
    one_by_one, set_based = states
    assert [(n, rev, at.minute) for n, rev, _, at, _ in one_by_one if rev] == [
        ("a", 3, 3), ("b", 2, 6), ("c", 5, 0), ("d", 1, 8)]
    assert set_based == one_by_one
