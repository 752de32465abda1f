"""Who may change a site, its history, retiring and deleting sites: matching's HTTP API on real Kafka and
PostgreSQL (its own database and topics, so its catalogue changes touch no other test module)."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from deploy.databases import create_database, drop_database
from services.matching.app import create_app
from services.matching.config import MatchingSettings
from services.matching.orm import processed_event
from services.matching.supply import Supply
from shared.contracts import MatchProposed, SiteChanged
from tests.factories import case_opened_event
from tests.kafka import collect, eventually, produce

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
TOKENS = ("coord:taskforce:coordinator,enschede:GM0153:municipality,eindhoven:GM0772:municipality,"
          "overijssel:PV23:province,brabant:PV30:province,rom:oost-nl:rom")
COORD, ENSCHEDE, EINDHOVEN, OVERIJSSEL, BRABANT, ROM = (
    {"Authorization": f"Bearer {t}"} for t in ("coord", "enschede", "eindhoven", "overijssel", "brabant", "rom"))
NEED = "2027-06-01"
DEMAND = {"floor_space": {"floor_space_m2": 5000, "needed_by": NEED}}
PLACES = {"oost": ("Overijssel", "GM0153"), "zuid": ("Noord-Brabant", "GM0772")}


def site(sid: str, region: str = "oost", **overrides) -> dict:
    province, municipality = PLACES[region]
    return {"id": sid, "name": sid.title(), "region": region, "province": province, "municipality_code": municipality,
            "floor_space_m2": 10_000, "largest_lot_m2": 6_000, "grid_mw_available": 5.0,
            "clusters": ["semiconductor-technologies"], "knowledge_distance_km": 3.0} | overrides


@pytest.fixture(scope="module")
async def settings(infra, run_id, topic_prefix):
    name = f"groeiruimte_test_{run_id}_owners_{uuid.uuid4().hex[:6]}"
    url = await create_database(infra.database_url, name, services=["matching"])
    yield MatchingSettings(kafka_bootstrap_servers=infra.kafka, database_url=url, kafka_session_timeout_ms=6000,
                           topic_prefix=f"{topic_prefix}owners-{uuid.uuid4().hex[:6]}.", load_reference_sites=False,
                           api_tokens=SecretStr(TOKENS), outbox_poll_seconds=0.5)
    await drop_database(infra.database_url, name)


@pytest.fixture(scope="module")
async def app(settings):
    app = create_app(settings)
    async with app.state.runtime.running():
        async with _client(app) as client:
            for body in (site("o-park"), site("z-campus", "zuid")):
                assert (await client.put(f"/sites/{body['id']}", json=body, headers=COORD)).status_code == 200
        yield app


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://matching")


@pytest.fixture
async def client(app):
    async with _client(app) as c:
        yield c


async def open_case(settings) -> uuid.UUID:
    evt = case_opened_event(demand=DEMAND)
    await produce(settings.kafka_bootstrap_servers, settings.topic("case-opened"), [evt.to_json()], keys=[evt.key])
    return evt.data.case_id


async def match_of(settings, case_id, *, revision: int = 1) -> MatchProposed:
    """The case's match-proposed of this revision (None on timeout)."""
    async def seen():
        for r in await collect(settings.kafka_bootstrap_servers, settings.topic("match-proposed"), until=10**6,
                               timeout=0.5):
            e = MatchProposed.from_json(r.value)
            if e.data.case_id == case_id and e.data.revision == revision:
                return e
        return None
    return await eventually(seen, timeout=30)


async def site_events(settings, site_id: str) -> list[SiteChanged]:
    return [e for r in await collect(settings.kafka_bootstrap_servers, settings.topic("site-changed"), until=10**6,
                                     timeout=0.5) if (e := SiteChanged.from_json(r.value)).data.site_id == site_id]


async def test_a_municipality_or_province_changes_only_the_sites_that_lie_in_it(client):
    other = await client.patch("/sites/z-campus", json={"grid_mw_available": 9}, headers=ENSCHEDE)
    assert other.status_code == 403 and other.json()["detail"].startswith(
        "site_id: site 'z-campus' lies in GM0772 (Noord-Brabant); only that municipality, that province or the "
        "coordinator may change it, not GM0153")
    assert other.json()["refusal"] == {"type": "not-site-owner", "site_id": "z-campus", "municipality_code": "GM0772",
                                       "province": "Noord-Brabant", "organisation": "GM0153", "role": "municipality"}
    assert (await client.put("/sites/z-campus", json=site("z-campus", "zuid", floor_space_m2=1),
                             headers=ENSCHEDE)).status_code == 403
    assert (await client.patch("/sites/z-campus", json={"name": "x"}, headers=OVERIJSSEL)).status_code == 403
    assert (await client.get("/sites/z-campus", headers=COORD)).json()["grid_mw_available"] == 5.0

    elsewhere = await client.put("/sites/o-elsewhere", json=site("o-elsewhere", "zuid"), headers=ENSCHEDE)
    assert elsewhere.status_code == 403 and elsewhere.json()["detail"].startswith(
        "municipality_code: GM0153 may create or move sites only within its own municipality; this site would lie "
        "in GM0772 (Noord-Brabant)")
    assert (await client.get("/sites/o-elsewhere", headers=COORD)).status_code == 404
    away = await client.patch("/sites/o-park", json={"municipality_code": "GM0772", "province": "Noord-Brabant"},
                              headers=ENSCHEDE)
    assert away.status_code == 403 and away.json()["detail"].startswith("municipality_code:")

    assert (await client.patch("/sites/o-park", json={"grid_mw_available": 7}, headers=OVERIJSSEL)).status_code == 200
    assert (await client.patch("/sites/z-campus", json={"hotspot": "Brainport"}, headers=EINDHOVEN)).status_code == 200
    created = await client.put("/sites/Z-New", json=site("z-new", "zuid"), headers=BRABANT)
    assert created.status_code == 200 and created.json()["site"]["id"] == "z-new"  # ids are lower-cased
    assert (await client.get("/sites/Z-NEW", headers=ROM)).json()["name"] == "Z-New"


async def test_a_site_s_history_says_who_changed_what_when_and_only_its_owners_read_it(client):
    assert (await client.patch("/sites/o-park", json={"hotspot": "Twente", "clusters": ["energy-materials"]},
                               headers=ENSCHEDE)).status_code == 200
    history = await client.get("/sites/o-park/history", headers=ENSCHEDE)
    assert history.status_code == 200, history.text
    entries = history.json()
    assert [(e["action"], e["changed_by"], e["role"]) for e in entries[:1]] == [
        ("created", "taskforce", "coordinator")]
    last = entries[-1]
    assert (last["action"], last["changed_by"], last["role"], last["source"]) == (
        "changed", "GM0153", "municipality", "api:GM0153")
    assert last["changes"] == {"hotspot": {"before": "", "after": "Twente"},
                               "clusters": {"before": "semiconductor-technologies", "after": "energy-materials"}}
    assert last["changed_at"] >= entries[0]["changed_at"]
    assert (await client.get("/sites/o-park/history", headers=OVERIJSSEL)).status_code == 200
    assert (await client.get("/sites/o-park/history", headers=COORD)).json() == entries
    refused = await client.get("/sites/o-park/history", headers=EINDHOVEN)
    assert refused.status_code == 403 and "coordinator and GM0153 (Overijssel)" in refused.json()["detail"]
    assert (await client.get("/sites/o-park/history", headers=ROM)).status_code == 403
    assert (await client.get("/sites/never-there/history", headers=COORD)).status_code == 404


async def test_a_retired_site_is_proposed_no_more_and_the_open_cases_it_was_in_rematch(app, settings, client):
    best = site("r-best", floor_space_m2=50_000, largest_lot_m2=50_000, knowledge_distance_km=0.5)
    assert (await client.put("/sites/r-best", json=best, headers=ENSCHEDE)).status_code == 200
    case_id = await open_case(settings)
    first = await match_of(settings, case_id)
    assert "r-best" in {p.site_id for p in first.data.proposals}

    assert (await client.post("/sites/r-best/retire", json={"reason": "verhuurd"}, headers=EINDHOVEN)
            ).status_code == 403
    retired = await client.post("/sites/R-Best/retire", json={"reason": "fully let"}, headers=ENSCHEDE)
    assert retired.status_code == 200, retired.text
    assert retired.json()["changed"] == ["retired"] and str(case_id) in retired.json()["rematched_cases"]
    second = await match_of(settings, case_id, revision=2)
    assert second.data.trigger == "site-changed" and "r-best" not in {p.site_id for p in second.data.proposals}
    announced = await eventually(lambda: _retirement(settings, "r-best"), timeout=30)
    assert announced.data.changed == {"retired": True} and announced.data.changed_by == "GM0153"

    listed = {s["id"] for s in (await client.get("/sites", headers=COORD)).json()}
    assert "r-best" not in listed and "o-park" in listed
    everything = (await client.get("/sites?include_retired=true", headers=COORD)).json()
    assert next(s for s in everything if s["id"] == "r-best")["retired"] is True
    history = (await client.get("/sites/r-best/history", headers=ENSCHEDE)).json()
    assert (history[-1]["action"], history[-1]["reason"]) == ("retired", "fully let")
    again = await client.post("/sites/r-best/retire", json={"reason": "fully let"}, headers=ENSCHEDE)
    assert again.json()["changed"] == [] and again.json()["rematched_cases"] == []
    reinstated = await client.patch("/sites/r-best", json={"retired": False}, headers=COORD)
    assert reinstated.json()["changed"] == ["retired"] and str(case_id) in reinstated.json()["rematched_cases"]
    assert (await client.get("/sites/r-best/history", headers=COORD)).json()[-1]["action"] == "reinstated"


async def _retirement(settings, site_id):
    return next((e for e in await site_events(settings, site_id) if e.data.changed.get("retired")), None)


async def test_the_coordinator_deletes_a_wrong_entry_and_an_audit_entry_keeps_it(app, settings, client):
    wrong = site("d-wrong", floor_space_m2=80_000, largest_lot_m2=80_000, knowledge_distance_km=0.1)
    assert (await client.put("/sites/d-wrong", json=wrong, headers=ENSCHEDE)).status_code == 200
    case_id = await open_case(settings)
    assert "d-wrong" in {p.site_id for p in (await match_of(settings, case_id)).data.proposals}
    elsewhere = Supply()  # another matching process's catalogue, loaded before the deletion
    async with app.state.runtime.sessions() as session:
        await elsewhere.refresh(session)
    assert "d-wrong" in elsewhere.catalogue.index

    assert (await client.delete("/sites/d-wrong?reason=typo", headers=ENSCHEDE)).status_code == 403
    no_reason = await client.delete("/sites/d-wrong", headers=COORD)
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["field"] == "reason"
    deleted = await client.delete("/sites/d-wrong?reason=entered%20twice", headers=COORD)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["site_id"] == "d-wrong" and str(case_id) in deleted.json()["rematched_cases"]
    assert (await client.get("/sites/d-wrong", headers=COORD)).status_code == 404
    assert (await client.delete("/sites/d-wrong?reason=again", headers=COORD)).status_code == 404
    assert "d-wrong" not in {p.site_id for p in (await match_of(settings, case_id, revision=2)).data.proposals}

    audit = (await client.get("/sites/d-wrong/history", headers=COORD)).json()[-1]
    assert (audit["action"], audit["changed_by"], audit["reason"]) == ("deleted", "taskforce", "entered twice")
    assert audit["changes"]["name"] == {"before": "D-Wrong", "after": None}
    assert (await client.get("/sites/d-wrong/history", headers=ENSCHEDE)).status_code == 200  # still its owner

    async with app.state.runtime.sessions() as session:
        await elsewhere.refresh(session)
    assert "d-wrong" not in elsewhere.catalogue.index  # learnt from the history, not from memory

    announced = await eventually(lambda: _deletion(settings), timeout=30)
    assert announced.data.changed == {"retired": True}
    assert await eventually(lambda: _processed(app, announced.id), timeout=30), "deletion event not handled"
    dead = await collect(settings.kafka_bootstrap_servers, settings.topic("site-changed.dlq"), until=10**6,
                         timeout=0.5)
    assert str(announced.id) not in {json.loads(r.value)["id"] for r in dead}


async def _deletion(settings):
    return next((e for e in await site_events(settings, "d-wrong") if e.data.deleted), None)


async def _processed(app, event_id) -> bool:
    async with app.state.runtime.sessions() as session:
        return bool(await session.scalar(select(processed_event.c.event_id).where(
            processed_event.c.event_id == event_id)))


async def test_input_postgresql_cannot_store_is_a_422_naming_the_field(client):
    nul = await client.put("/sites/o-nul", json=site("o-nul", name="Park\x00"), headers=COORD)
    assert (nul.status_code, nul.json()["detail"][0]["field"]) == (422, "name")
    huge = await client.patch("/sites/o-park", content=b'{"floor_space_m2": 1e999}',
                              headers=COORD | {"Content-Type": "application/json"})
    # (an infinite number is beyond the bound of any real site, which pydantic says before "not finite")
    assert huge.status_code == 422 and huge.json()["detail"] == [
        {"field": "floor_space_m2", "reason": "Input should be less than or equal to 1000000000",
         "type": "less_than_equal", "ctx": {"le": 1e9}}]  # type and limit: for clients that word it themselves
    assert (await client.get("/sites?region=%00", headers=COORD)).status_code == 422
    bad_id = await client.get("/sites/o%00park/history", headers=COORD)
    assert bad_id.status_code == 422 and bad_id.json()["detail"][0]["field"] == "site_id"


async def test_an_invalid_site_id_in_the_path_is_told_its_rule(client):
    bad = await client.put("/sites/oost_park", json=site("oost_park"), headers=COORD)
    assert bad.status_code == 422, bad.text
    assert {e["field"] for e in bad.json()["detail"]} == {"id", "site_id"}  # the path's and the body's
    assert all("only lower-case letters a-z, digits 0-9 and '-'" in e["reason"] for e in bad.json()["detail"])
    (error,) = (await client.get("/sites/oost_park", headers=COORD)).json()["detail"]
    assert error == {"field": "site_id", "reason": "site id 'oost_park' is not valid: 2 to 100 characters, only "
                     "lower-case letters a-z, digits 0-9 and '-', starting with a letter or digit, e.g. "
                     "oost-kennispark (upper case is lower-cased)", "type": "value_error"}


async def test_another_producer_s_deletion_retires_the_site_and_never_deletes_it(settings, client):
    assert (await client.put("/sites/x-elsewhere", json=site("x-elsewhere"), headers=COORD)).status_code == 200
    evt = SiteChanged(source="/provinces/overijssel", subject="x-elsewhere", data={
        "site_id": "X-Elsewhere", "changed": {"retired": True}, "changed_by": "PV23", "deleted": True})
    await produce(settings.kafka_bootstrap_servers, settings.topic("site-changed"), [evt.to_json()], keys=[evt.key])

    async def retired():
        found = await client.get("/sites/x-elsewhere", headers=COORD)
        return found.status_code == 200 and found.json()["retired"]
    assert await eventually(retired, timeout=90)
    last = (await client.get("/sites/x-elsewhere/history", headers=COORD)).json()[-1]
    assert (last["action"], last["changed_by"], last["source"]) == ("retired", "PV23", "event:PV23")


async def test_a_late_echo_of_our_own_change_does_not_undo_a_newer_one(app, settings, client):
    """Our API's site-changed reaches the topic through the outbox, so another producer's change can be applied
    before it. The echo must not put back what it carried (here: the site not retired)."""
    assert (await client.put("/sites/x-echo", json=site("x-echo"), headers=COORD)).status_code == 200
    newer = SiteChanged(source="/provinces/overijssel", subject="x-echo", data={
        "site_id": "x-echo", "changed": {"retired": True}, "changed_by": "PV23"})
    echo = SiteChanged(source="/groeiruimte/matching", subject="x-echo", data={
        "site_id": "x-echo", "changed": {"retired": False, "floor_space_m2": 10_000}, "changed_by": "coordinator"})
    await produce(settings.kafka_bootstrap_servers, settings.topic("site-changed"),
                  [newer.to_json(), echo.to_json()], keys=[newer.key, echo.key])
    assert await eventually(lambda: _processed(app, echo.id), timeout=90), "echo not handled"
    assert (await client.get("/sites/x-echo", headers=COORD)).json()["retired"] is True
