"""Intake's use cases on the in-memory unit of work: the same functions the consumer and the HTTP API run."""

from __future__ import annotations

import inspect
import uuid
from datetime import timedelta

import pytest

from services.intake import domain, repository
from services.intake.bootstrap import bootstrap
from services.intake.config import IntakeSettings
from services.intake.handlers import Via, keep_case_closed, keep_case_matched, receive_lead
from services.intake.look_alikes import Activity, look_alike_reviews
from services.intake.unit_of_work import Leads
from shared.contracts import (
    CaseClosed,
    CaseOpened,
    ConsentGranted,
    LeadRegistered,
    LeadSignalled,
    LeadUpdated,
    MatchProposed,
)
from shared.messaging import Rejected
from shared.names import name_digests
from tests.factories import intake_lead_payload, random_kvk
from tests.fakes.intake import FakeIntakeUnitOfWork

VIA = Via("test", "kafka")


@pytest.fixture
def deps():
    return bootstrap(IntakeSettings())  # builds, connects to nothing


@pytest.fixture
def uow():
    return FakeIntakeUnitOfWork()


async def signal(uow, deps, payload: dict):
    """What an entrypoint does: the use case, then commit."""
    outcome = await receive_lead(uow, LeadSignalled.model_validate(payload), via=VIA, deps=deps)
    await uow.commit()
    return outcome


def lead_of(payload: dict) -> uuid.UUID:
    return domain.lead_id(payload["data"]["organisation"], payload["data"]["reference"])


async def test_an_eligible_lead_signalled_opens_its_case_and_emits_registered_then_case_opened(uow, deps):
    payload = intake_lead_payload()
    outcome = await signal(uow, deps, payload)

    lid = lead_of(payload)
    assert (outcome.result, outcome.case_id) == ("registered", domain.case_id(lid))
    assert [type(e) for e in uow.outbox.published] == [CaseOpened, LeadRegistered]
    (opened,) = uow.outbox.of(CaseOpened)
    assert (opened.data.case_id, opened.data.lead_id, opened.subject) == (outcome.case_id, lid, str(outcome.case_id))
    assert "kvk" not in opened.to_json().decode().lower() and payload["data"]["company"]["name"] not in \
        opened.to_json().decode()
    assert uow.leads.leads[lid].status == "case-opened"
    assert [a.action for a in uow.leads.audit_trail] == ["registered"]


async def test_lead_registered_carries_the_keyed_digest_of_the_company_s_name_and_never_the_name(uow, deps):
    payload = intake_lead_payload()
    await signal(uow, deps, payload)
    (registered,) = uow.outbox.of(LeadRegistered)
    name = payload["data"]["company"]["name"]
    key = deps.settings.name_hash_key.get_secret_value().encode()
    assert registered.data.name_digests == tuple(sorted(name_digests(name, key))) != ()
    assert set(registered.data.name_digests) != name_digests(name, b"another key")
    body = registered.to_json().decode()
    assert name not in body and payload["data"]["company"]["kvk_number"] not in body


async def test_the_same_lead_again_changes_nothing_and_emits_nothing(uow, deps):
    payload = intake_lead_payload()
    await signal(uow, deps, payload)
    before = list(uow.outbox.published)
    again = payload | {"id": str(uuid.uuid4())}
    assert (await signal(uow, deps, again)).result == "unchanged"
    assert uow.outbox.published == before


async def test_a_second_roms_lead_for_the_same_company_joins_its_case_without_opening_another(uow, deps):
    kvk = random_kvk()
    first, second = intake_lead_payload(kvk=kvk), intake_lead_payload(organisation="bom", kvk=kvk)
    opened = await signal(uow, deps, first)
    joined = await signal(uow, deps, second)

    assert joined.case_id == opened.case_id
    assert len(uow.outbox.of(CaseOpened)) == 1
    assert {(c, lead) for c, lead in uow.leads.origins} == {(opened.case_id, lead_of(first)),
                                                             (opened.case_id, lead_of(second))}
    assert uow.leads.leads[lead_of(second)].status == "case-joined"
    assert uow.outbox.of(LeadRegistered)[-1].data.case_id == opened.case_id


async def test_a_lead_beyond_the_horizon_stays_in_the_portfolio_until_an_eligible_one_brings_it_in(uow, deps):
    kvk = random_kvk()
    far = intake_lead_payload(kvk=kvk, needed_in_days=365 * 5)
    assert (await signal(uow, deps, far)).case_id is None
    assert uow.outbox.of(CaseOpened) == [] and uow.leads.leads[lead_of(far)].status == "portfolio"

    near = await signal(uow, deps, intake_lead_payload(organisation="bom", kvk=kvk))
    assert uow.leads.leads[lead_of(far)].case_id == near.case_id
    (moved,) = [e for e in uow.outbox.of(LeadUpdated) if e.data.lead_id == lead_of(far)]
    assert moved.data.changed == ("case_id",) and moved.data.case_id == near.case_id
    assert uow.leads.audit_trail[-1].action == "joined-case"


async def test_a_reference_that_collides_with_another_organisations_lead_id_is_rejected(uow, deps):
    reference = f"R-{uuid.uuid4().hex[:6]}"
    await signal(uow, deps, intake_lead_payload(organisation="bom/x", reference=reference))
    with pytest.raises(Rejected, match="data.reference"):
        await signal(uow, deps, intake_lead_payload(organisation="bom", reference=f"x/{reference}"))


async def test_a_lead_cannot_change_its_company(uow, deps):
    payload = intake_lead_payload()
    await signal(uow, deps, payload)
    moved = payload | {"id": str(uuid.uuid4())}
    moved["data"] = payload["data"] | {"company": payload["data"]["company"] | {"kvk_number": random_kvk()}}
    with pytest.raises(Rejected, match="kvk_number"):
        await signal(uow, deps, moved)


async def test_an_older_change_arriving_after_a_newer_one_is_ignored(uow, deps):
    payload = intake_lead_payload()
    await signal(uow, deps, payload)
    newer = LeadSignalled.model_validate(payload)
    older = payload | {"id": str(uuid.uuid4()), "time": (newer.time - timedelta(hours=1)).isoformat()}
    older["data"] = payload["data"] | {"stage": "grown-up"}
    assert (await signal(uow, deps, older)).result == "stale"
    assert uow.leads.leads[lead_of(payload)].payload["stage"] == payload["data"]["stage"]


async def test_a_changed_lead_is_updated_audited_and_announced(uow, deps):
    payload = intake_lead_payload()
    await signal(uow, deps, payload)
    changed = payload | {"id": str(uuid.uuid4())}
    changed["data"] = payload["data"] | {"investment_eur": 42_000_000}
    assert (await signal(uow, deps, changed)).result == "updated"
    (updated,) = uow.outbox.of(LeadUpdated)
    assert "investment_eur" in updated.data.changed
    assert uow.leads.audit_trail[-1].changes["investment_eur"]["new"] == 42_000_000


async def test_consent_is_shared_once_per_case(uow, deps):
    kvk = random_kvk()
    await signal(uow, deps, intake_lead_payload(kvk=kvk, consent="consented"))
    await signal(uow, deps, intake_lead_payload(organisation="bom", kvk=kvk, consent="consented"))
    assert len(uow.outbox.of(ConsentGranted)) == 1


async def test_a_new_or_renamed_lead_waits_for_the_look_alike_job_and_look_alikes_are_never_merged(uow, deps):
    first = await signal(uow, deps, intake_lead_payload(name="Fotonica Twente B.V."))
    payload = intake_lead_payload(name="Fotonica Twente BV")
    second = await signal(uow, deps, payload)
    assert second.case_id != first.case_id
    assert uow.leads.leads[second.lead_id].names_checked is None
    uow.leads.leads[second.lead_id].names_checked = 1
    payload["data"]["stage"] = "scale-up"  # the name unchanged: not compared again
    await signal(uow, deps, payload)
    assert uow.leads.leads[second.lead_id].names_checked == 1
    payload["data"]["company"]["name"] = "Lichtlab Twente BV"
    await signal(uow, deps, payload)
    assert uow.leads.leads[second.lead_id].names_checked is None


def test_look_alike_reviews_flag_the_candidates_whose_names_look_alike_never_the_lead_itself():
    own, alike, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    key = domain.name_key("Fotonica Twente B.V.")
    found = look_alike_reviews(own, key, [(own, key), (alike, domain.name_key("FOTONICA TWENTE, bv")),
                                          (other, domain.name_key("Lichtlab Twente"))])
    assert found == [dict(lead_id=own, similar_lead_id=alike, similarity=1.0)]


async def test_events_of_a_rolled_back_unit_of_work_never_leave(uow, deps):
    await receive_lead(uow, LeadSignalled.model_validate(intake_lead_payload()), via=VIA, deps=deps)
    await uow.rollback()
    assert uow.outbox.published == []


async def test_a_match_and_a_closure_are_kept_for_the_cases_rom(uow, deps):
    opened = await signal(uow, deps, intake_lead_payload())
    match = MatchProposed.model_validate({"source": "/t", "subject": str(opened.case_id), "data": {
        "case_id": str(opened.case_id), "code_name": "x", "technology_domains": [], "origin_region": "oost",
        "proposals": [], "no_proposition": True, "revision": 2, "trigger": "case-opened"}})
    await keep_case_matched(uow, match)
    found = uow.leads.cases[opened.case_id]
    assert (found.match_revision, found.sites_proposed, found.no_proposition) == (2, 0, True)
    closed = CaseClosed.model_validate({"source": "/t", "subject": str(opened.case_id), "data": {
        "case_id": str(opened.case_id), "outcome": "withdrew", "origin_region": "oost"}})
    await keep_case_closed(uow, closed)
    assert uow.leads.cases[opened.case_id].outcome == closed.data.outcome


@pytest.mark.parametrize("name", sorted(n for n in vars(Leads) if not n.startswith("_")))
def test_every_method_of_the_seam_is_a_repository_function_with_the_same_keywords(name):
    """The production unit of work binds each `Leads` method to repository.<name>(session, ...)."""
    wanted = [p for p in inspect.signature(getattr(Leads, name)).parameters if p != "self"]
    given = list(inspect.signature(getattr(repository, name)).parameters)
    assert given[0] == "session" and set(wanted) <= set(given[1:]) | {"values"}


def test_activity_tells_how_long_the_process_was_quiet():
    activity = Activity()
    assert activity.quiet_for() == float("inf")
    activity.note()
    assert 0 <= activity.quiet_for() < 60
