"""Notifications' use cases on the in-memory unit of work: the same functions its consumers and reply routes run,
without PostgreSQL (the SQL behind the protocol is covered by tests/integration/test_notifications_flow.py)."""

from __future__ import annotations

import inspect
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications import domain, handlers, repository
from services.notifications.bootstrap import bootstrap
from services.notifications.config import NotificationsSettings
from services.notifications.repository.cases import ERASED
from services.notifications.unit_of_work import Cases, Deliveries, Replies
from shared import sealing
from shared.contracts import (
    CaseOpened,
    ConsentGranted,
    IdentityErased,
    LeadUpdated,
    MatchProposed,
    RecipientReplied,
    RelocationRealised,
)
from shared.messaging import Rejected
from tests.fakes.notifications import FakeCases, FakeDeliveries, FakeNotificationsUnitOfWork, FakeReplies

SOURCE = "/groeiruimte/test"
ENSCHEDE = {"municipality_code": "GM0153", "province": "Overijssel", "region": "oost"}
DELFT = {"municipality_code": "GM0503", "province": "Zuid-Holland", "region": "west"}
NAME, KVK = "Geheim Fotonica B.V.", "12345678"
T0 = datetime(2025, 3, 3, 10, tzinfo=UTC)


class Keys:
    """Intake's identity keys as notifications sees them: a key, or None once erased."""

    def __init__(self) -> None:
        self.keys: dict[uuid.UUID, bytes] = {}

    async def key(self, key_id):
        return self.keys.get(key_id)


class Woken:
    def __init__(self) -> None:
        self.times = 0

    def wake(self, *_) -> None:
        self.times += 1


@pytest.fixture
def deps():
    built = bootstrap(NotificationsSettings(budget_per_period=2))  # builds, connects to nothing
    built.identity_keys, built.mailer = Keys(), Woken()
    return built


@pytest.fixture
def uow(deps):
    return FakeNotificationsUnitOfWork(domain.load_directory(deps.settings.recipients_file))


async def run(use_case, uow, evt, deps):
    """What the consumer does: the use case on the batch's unit of work, then the batch commits."""
    await use_case(uow, evt, deps=deps)
    await uow.commit()


def proposal(rank: int, site: str, place: dict, score: float = 0.9) -> dict:
    return {"rank": rank, "site_id": site, "site_name": f"Site {site}", "region": place["region"],
            "province": place["province"], "municipality_code": place["municipality_code"],
            "own_region": place["region"] == "oost", "score": score, "contributions": {"space": score}}


def proposed(case_id, *proposals: dict, revision: int = 1, time: datetime = T0) -> MatchProposed:
    return MatchProposed.model_validate({"source": SOURCE, "subject": str(case_id), "time": time, "data": {
        "case_id": case_id, "code_name": "Reiger-1", "technology_domains": ["optical-systems-integrated-photonics"],
        "origin_region": "oost", "proposals": list(proposals), "no_proposition": not proposals,
        "revision": revision, "blocking": {} if proposals else {"oost": ["grid_capacity"]},
        "blocking_details": {} if proposals else {"oost": ["grid: no site can deliver 90 MW"]}}})


def location(place: dict) -> dict:
    return {"municipality_code": place["municipality_code"], "province": place["province"],
            "region": place["region"]}


def opened(case_id, *, housing: bool, time: datetime = T0) -> CaseOpened:
    demand = {"floor_space": {"floor_space_m2": 4000, "needed_by": "2027-08-15"}}
    if housing:
        demand["housing"] = {"staff_to_house": 120, "transport_needs": ["rail"], "needed_by": "2028-02-01"}
    return CaseOpened.model_validate({"source": SOURCE, "subject": str(case_id), "time": time, "data": {
        "case_id": case_id, "lead_id": uuid.uuid4(), "code_name": "Reiger-1", "organisation": "oost-nl",
        "company_ref": "hash", "stage": "scale-up", "technology_domains": ["optical-systems-integrated-photonics"],
        "origin": location(ENSCHEDE), "demand": demand, "investment_eur": 1e7, "investment_status": "estimated",
        "signalled_at": "2025-01-01T00:00:00+00:00"}})


def updated(case: CaseOpened, *, housing: dict | None, time: datetime) -> LeadUpdated:
    c = case.data
    demand = c.demand.model_dump(mode="json") | {"housing": housing}
    return LeadUpdated.model_validate({"source": SOURCE, "subject": str(c.lead_id), "time": time, "data": {
        "lead_id": str(c.lead_id), "case_id": str(c.case_id), "stage": c.stage,
        "technology_domains": list(c.technology_domains), "demand": demand, "investment_eur": c.investment_eur,
        "investment_status": c.investment_status, "eligible": True, "triage_reason": "test",
        "changed": ["demand"]}})


def consent(case_id, keys: Keys) -> ConsentGranted:
    key_id, key = uuid.uuid4(), sealing.new_key()
    keys.keys[key_id] = key
    identity = sealing.seal(key, key_id=key_id, case_id=case_id, company_name=NAME, kvk_number=KVK)
    return ConsentGranted.model_validate({"source": SOURCE, "subject": str(case_id), "data": {
        "case_id": case_id, "identity": identity.model_dump(mode="json")}})


SEAM = [(protocol, fake, name) for protocol, fake in ((Cases, FakeCases), (Deliveries, FakeDeliveries),
                                                       (Replies, FakeReplies))
        for name in sorted(n for n in vars(protocol) if not n.startswith("_"))]


@pytest.mark.parametrize(("protocol", "fake", "name"), SEAM, ids=[f"{p.__name__}.{n}" for p, _, n in SEAM])
def test_every_method_of_the_seam_is_a_repository_function_with_the_same_parameters(protocol, fake, name):
    """The production unit of work binds each method to repository.<name>(session, ...); the fake has it too."""
    wanted = [p for p in inspect.signature(getattr(protocol, name)).parameters if p != "self"]
    assert list(inspect.signature(getattr(repository, name)).parameters) == ["session", *wanted]
    assert [p for p in inspect.signature(getattr(fake, name)).parameters if p != "self"] == wanted


async def test_a_proposal_is_told_to_each_relevant_site_s_municipality_and_province_once(uow, deps):
    case_id = uuid.uuid4()
    evt = proposed(case_id, proposal(1, "oost-kennispark", ENSCHEDE), proposal(2, "west-delft", DELFT),
                   proposal(3, "west-weak", DELFT, score=0.1))
    await run(handlers.notify_about_proposal, uow, evt, deps)
    told = {(m["recipient_code"], tuple(p["site_id"] for p in m["context"]["proposals"]))
            for m in uow.deliveries.mails}
    # Below the relevance threshold (0.5) a site is not mailed about; each province hears of its own sites.
    assert told == {("GM0153", ("oost-kennispark",)), ("PV23", ("oost-kennispark",)),
                    ("GM0503", ("west-delft",)), ("PV28", ("west-delft",))}
    assert all(m["context"]["code_name"] == "Reiger-1" and m["case_id"] == case_id for m in uow.deliveries.mails)
    assert deps.mailer.times == 1  # the mailer is woken once, after the commit

    await run(handlers.notify_about_proposal, uow, evt, deps)  # redelivered
    assert len(uow.deliveries.mails) == 4


async def test_no_proposition_anywhere_tells_the_coordinator_what_blocked_it(uow, deps):
    await run(handlers.notify_about_proposal, uow, proposed(uuid.uuid4()), deps)
    (mail,) = uow.deliveries.mails
    assert (mail["recipient_code"], mail["template"]) == ("COORDINATOR", "no_proposition")
    assert mail["context"]["blocking"] == {"oost": ["grid_capacity"]}


async def test_over_budget_proposals_go_into_the_period_s_digest(uow, deps):
    for n in range(4):  # budget 2 per period: the third and fourth case go into Enschede's digest
        await run(handlers.notify_about_proposal, uow,
                  proposed(uuid.uuid4(), proposal(1, f"oost-{n}", ENSCHEDE), time=T0 + timedelta(minutes=n)), deps)
    assert len(uow.deliveries.to("GM0153", "match_proposed")) == 2
    (period,) = [key for key in uow.deliveries.digests if key[0] == "GM0153"]
    assert [i["context"]["proposals"][0]["site_id"] for i in uow.deliveries.digests[period]] == ["oost-2", "oost-3"]


async def test_a_digest_that_went_out_lets_the_next_proposal_be_mailed_on_its_own(uow, deps):
    start, _ = domain.budget_period(T0, deps.settings.budget_period_seconds)
    uow.deliveries.used[("GM0153", start)] = 2
    uow.deliveries.digests_sent.add(("GM0153", start))
    await run(handlers.notify_about_proposal, uow, proposed(uuid.uuid4(), proposal(1, "oost-x", ENSCHEDE)), deps)
    assert [m["context"]["proposals"][0]["site_id"] for m in uow.deliveries.to("GM0153")] == ["oost-x"]


async def test_a_rematch_tells_each_recipient_only_of_sites_it_has_not_heard_of(uow, deps):
    case_id = uuid.uuid4()
    await run(handlers.notify_about_proposal, uow, proposed(case_id, proposal(1, "oost-a", ENSCHEDE)), deps)
    again = proposed(case_id, proposal(1, "oost-a", ENSCHEDE), proposal(2, "oost-b", ENSCHEDE), revision=2)
    await run(handlers.notify_about_proposal, uow, again, deps)
    second = [m for m in uow.deliveries.to("GM0153") if m["event_id"] == again.id]
    assert [[p["site_id"] for p in m["context"]["proposals"]] for m in second] == [["oost-b"]]


async def test_housing_demand_is_signalled_once_to_the_province_and_the_ministry(uow, deps):
    case = opened(uuid.uuid4(), housing=True)
    await run(handlers.keep_case_and_signal_housing, uow, case, deps)
    signals = sorted(m["recipient_code"] for m in uow.deliveries.mails if m["template"] == "housing_signal")
    assert signals == ["MIRT-EZ", "PV23"]

    same = updated(case, housing=case.data.demand.model_dump(mode="json")["housing"], time=T0 + timedelta(hours=1))
    await run(handlers.follow_lead_update, uow, same, deps)
    assert len(uow.deliveries.mails) == 2  # the same housing demand again: no second signal

    more = updated(case, housing={"staff_to_house": 300, "transport_needs": ["rail", "motorway"],
                                  "needed_by": "2028-02-01"}, time=T0 + timedelta(hours=2))
    await run(handlers.follow_lead_update, uow, more, deps)
    assert len(uow.deliveries.mails) == 4  # a changed demand is signalled again


async def test_an_older_demand_arriving_late_does_not_replace_a_newer_one(uow, deps):
    case = opened(uuid.uuid4(), housing=False, time=T0)
    newer = updated(case, housing=None, time=T0 + timedelta(days=1))
    await run(handlers.follow_lead_update, uow, newer, deps)
    await run(handlers.keep_case_and_signal_housing, uow, case, deps)
    assert uow.cases.rows[case.data.case_id]["demand_as_of"] == newer.time


async def test_a_consent_releases_the_identity_and_an_erasure_redacts_it_from_the_case_s_mails(uow, deps):
    case_id = uuid.uuid4()
    await run(handlers.release_identity, uow, consent(case_id, deps.identity_keys), deps)
    assert (uow.cases.rows[case_id]["company_name"], uow.cases.rows[case_id]["kvk_number"]) == (NAME, KVK)
    await uow.deliveries.add_delivery(event_id=uuid.uuid4(), case_id=case_id, recipient_code="GM0153", email="x",
                                      template="match_proposed", context={"company": NAME, "kvk": KVK})
    erased = IdentityErased.model_validate({"source": SOURCE, "subject": str(case_id), "data": {
        "case_id": case_id, "lead_ids": [uuid.uuid4()], "requested_by": "oost-nl"}})
    await run(handlers.forget_identity, uow, erased, deps)
    assert uow.cases.rows[case_id]["company_name"] is None and uow.cases.rows[case_id]["kvk_number"] is None
    assert uow.deliveries.mails[0]["context"] == {"company": ERASED, "kvk": ERASED}


async def test_a_consent_whose_key_was_destroyed_releases_nothing(uow, deps):
    case_id = uuid.uuid4()
    granted = consent(case_id, deps.identity_keys)
    deps.identity_keys.keys.clear()  # erased before the consent was consumed
    await run(handlers.release_identity, uow, granted, deps)
    assert case_id not in uow.cases.rows


async def test_a_sealed_identity_copied_onto_another_case_is_dead_lettered(uow, deps):
    granted = consent(uuid.uuid4(), deps.identity_keys)
    forged = ConsentGranted.model_validate(granted.model_dump(mode="json") | {
        "data": granted.data.model_dump(mode="json") | {"case_id": str(uuid.uuid4())}})
    with pytest.raises(Rejected, match="data.identity"):
        await run(handlers.release_identity, uow, forged, deps)


async def test_a_code_name_with_a_line_break_is_dead_lettered_before_anything_is_recorded(uow, deps):
    evt = proposed(uuid.uuid4(), proposal(1, "oost-a", ENSCHEDE))
    forged = MatchProposed.model_validate(evt.model_dump(mode="json") | {
        "data": evt.data.model_dump(mode="json") | {"code_name": "Reiger\r\nBcc: x@example.org"}})
    with pytest.raises(Rejected, match="data.code_name"):
        await run(handlers.notify_about_proposal, uow, forged, deps)
    assert uow.deliveries.mails == []


async def test_a_relocation_tells_both_sides_which_side_they_are_on(uow, deps):
    moved = RelocationRealised.model_validate({"source": SOURCE, "subject": "c", "time": T0, "data": {
        "case_id": uuid.uuid4(), "origin": location(ENSCHEDE), "destination": location(DELFT),
        "investment_retained_eur": 1e6, "investment_status": "verified", "jobs": 40, "new_scale_up": False,
        "evidence_ref": "contract"}})
    await run(handlers.notify_about_relocation, uow, moved, deps)
    roles = {m["recipient_code"]: m["context"]["roles"] for m in uow.deliveries.mails}
    assert roles == {"GM0153": ["origin"], "PV23": ["origin"], "GM0503": ["destination"], "PV28": ["destination"]}


async def test_a_changed_answer_is_published_once_and_an_unknown_site_refused(uow, deps):
    case_id = uuid.uuid4()
    await run(handlers.notify_about_proposal, uow, proposed(case_id, proposal(1, "oost-a", ENSCHEDE)), deps)
    answer = dict(case_id=case_id, recipient="GM0153", response="offer", site_id="oost-a", message="Welkom",
                  via="api")
    assert await handlers.record_answer(uow, deps=deps, **answer) is True
    assert await handlers.record_answer(uow, deps=deps, **answer) is False  # a double click changes nothing
    await uow.commit()
    (replied,) = uow.outbox.of(RecipientReplied)
    assert (replied.data.site_id, replied.data.response) == ("oost-a", "offer")
    with pytest.raises(handlers.UnknownSite, match="oost-b"):
        await handlers.record_answer(uow, deps=deps, **answer | {"site_id": "oost-b"})
