"""Matching on real Kafka and PostgreSQL: hard constraints, explanations, counterfactuals, the no-proposition
signal, re-matching after supply and demand changes, the supply API and import, and the coordinator's API."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from pydantic import SecretStr
from rich.console import Console
from sqlalchemy import select

from deploy.databases import create_database, drop_database
from services.matching import cli
from services.matching.app import create_app
from services.matching.config import MatchingSettings
from services.matching.orm import pending_update
from shared.contracts import CaseClosed, LeadUpdated, MatchProposed, ProposalDecided, RelocationRealised, SiteChanged
from tests.factories import case_opened_event
from tests.kafka import collect, eventually, produce
from tests.lifecycle import running

pytestmark = pytest.mark.integration
TOKENS = "coord:taskforce:coordinator,prov:PV20:province,min:ministry:ministry,rom:oost-nl:rom"
COORD, PROVINCE = {"Authorization": "Bearer coord"}, {"Authorization": "Bearer prov"}  # PV20: Groningen
NEED = "2027-06-01"
DEMAND = {"floor_space": {"floor_space_m2": 5000, "cleanroom_iso_class": 7, "cleanroom_m2": 200,
                          "environmental_category": "3.2", "needed_by": NEED},
          "energy": {"grid_connection_mw": 3.0, "needed_by": NEED}}
PLACES = {"oost": ("Overijssel", "GM0153"), "zuid": ("Noord-Brabant", "GM0772"), "west": ("Zuid-Holland", "GM0503"),
          "noord": ("Groningen", "GM0014"), "midden": ("Flevoland", "GM0034")}


def site(sid: str, region: str, **overrides) -> dict:
    """A site that meets DEMAND, unless overridden."""
    province, municipality = PLACES[region]
    return {"id": sid, "name": sid.title(), "region": region, "province": province, "municipality_code": municipality,
            "floor_space_m2": 10_000, "largest_lot_m2": 6_000, "cleanroom_iso_class": 6, "cleanroom_m2": 500,
            "cleanroom_facility": "shared", "environmental_category_max": "4.1", "grid_mw_available": 5.0,
            "grid_congestion": "none", "clusters": ["semiconductor-technologies"], "knowledge_distance_km": 3.0,
            } | overrides


# One site per hard constraint it fails (by a small margin), and three that qualify.
CATALOGUE = [
    site("t-fits", "oost"),
    site("t-planned", "oost", floor_space_m2=1_000, planned_floor_space_m2=9_000, planned_available_from="2027-01-01"),
    site("t-grid-early", "west", grid_mw_available=1.0, grid_reinforcement_date="2027-01-01",
         grid_mw_after_reinforcement=8.0),
    site("t-grid-late", "zuid", grid_mw_available=1.0, grid_congestion="congested",
         grid_reinforcement_date="2027-09-01", grid_mw_after_reinforcement=8.0),
    site("t-small", "noord", floor_space_m2=3_500, largest_lot_m2=3_500),
    site("t-iso8", "noord", cleanroom_iso_class=8),
    site("t-env", "midden", environmental_category_max="3.1"),
    site("t-later", "midden", available_from="2027-12-01"),
]


@pytest.fixture(scope="module")
async def settings(infra, run_id, topic_prefix):
    """Matching's own database (its catalogue is this module's alone) and topics."""
    name = f"groeiruimte_test_{run_id}_matching_{uuid.uuid4().hex[:6]}"
    url = await create_database(infra.database_url, name, services=["matching"])
    yield MatchingSettings(kafka_bootstrap_servers=infra.kafka, database_url=url, kafka_session_timeout_ms=6000,
                           topic_prefix=f"{topic_prefix}matching-{uuid.uuid4().hex[:6]}.", load_reference_sites=False,
                           api_tokens=SecretStr(TOKENS), near_misses=10, outbox_poll_seconds=0.5)
    await drop_database(infra.database_url, name)


@pytest.fixture(scope="module")
async def app(settings):
    app = create_app(settings)
    async with running(app.state.runtime):
        async with _client(app) as client:
            for body in CATALOGUE:
                r = await client.put(f"/sites/{body['id']}", json=body, headers=COORD)
                assert r.status_code == 200, r.text
        yield app


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://matching")


@pytest.fixture
async def client(app):
    async with _client(app) as c:
        yield c


async def open_case(settings, **kw):
    evt = case_opened_event(**kw)
    await produce(settings.kafka_bootstrap_servers, settings.topic("case-opened"), [evt.to_json()], keys=[evt.key])
    return evt.data.case_id


async def matches(settings, case_id, *, revision: int = 1) -> list[MatchProposed]:
    """The match-proposed events of a case, once its given revision arrived (empty on timeout)."""
    async def seen():
        found = [e for r in await collect(settings.kafka_bootstrap_servers, settings.topic("match-proposed"),
                                          until=10**6, timeout=0.5)
                 if (e := MatchProposed.from_json(r.value)).data.case_id == case_id]
        return sorted(found, key=lambda e: e.data.revision) if any(e.data.revision >= revision for e in found) else []
    return await eventually(seen, timeout=30)


async def events_of(settings, model, case_id, *, count: int = 1):
    async def seen():
        found = [e for r in await collect(settings.kafka_bootstrap_servers, settings.topic(model.topic),
                                          until=10**6, timeout=0.5)
                 if str((e := model.from_json(r.value)).subject) == str(case_id)]
        return found if len(found) >= count else []
    return await eventually(seen, timeout=30)


async def test_each_hard_constraint_is_applied_and_near_misses_say_what_would_make_them_qualify(app, settings):
    case_id = await open_case(settings, demand=DEMAND)
    (proposed,) = await matches(settings, case_id)
    data = proposed.data
    assert not data.no_proposition and data.revision == 1 and data.trigger == "case-opened"
    assert {p.site_id for p in data.proposals} == {"t-fits", "t-planned", "t-grid-early"}
    labels = {p.site_id: p.region_label for p in data.proposals}
    assert labels == {"t-fits": "own region", "t-planned": "own region", "t-grid-early": "other region"}
    failed = {n.site_id: n.failed for n in data.near_misses}
    assert failed == {"t-grid-late": ("grid_capacity",), "t-small": ("floor_space",), "t-iso8": ("cleanroom",),
                      "t-env": ("environmental_category",), "t-later": ("availability",)}
    what_if = {n.site_id: n.counterfactuals[0] for n in data.near_misses}
    assert what_if["t-grid-late"] == ("qualifies with +2 MW by 2027-06, or if the grid reinforcement planned for "
                                      "2027-09 comes by then")
    assert what_if["t-small"] == "qualifies with 1,500 m² more by 2027-06"
    assert data.blocking == {"noord": ["floor_space", "cleanroom"], "zuid": ["grid_capacity"],
                             "midden": ["availability", "environmental_category"]}
    assert data.blocking_details["zuid"] == ["grid: 1 of 1 sites cannot deliver 3 MW by 2027-06-01 (most there 1 MW)"]


async def test_proposals_are_ranked_and_explained_per_criterion(app, settings, client):
    case_id = await open_case(settings, demand=DEMAND)
    await matches(settings, case_id)
    listed = (await client.get(f"/cases/{case_id}/proposals", headers=COORD)).json()
    proposals = listed["proposals"]
    assert [p["rank"] for p in proposals] == [1, 2, 3]
    assert [p["score"] for p in proposals] == sorted((p["score"] for p in proposals), reverse=True)
    best = proposals[0]
    assert best["site_id"] == "t-fits"  # own region, more headroom than t-planned's later land
    assert abs(sum(best["contributions"].values()) - best["score"]) < 1e-3
    assert set(best["contributions"]) == {"space", "energy", "cluster", "knowledge", "own_region"}
    text = " | ".join(best["explanations"])
    assert "floor space: 10,000 m² by 2027-06-01 for 5,000 m² needed" in text
    assert "grid: 5 MW by 2027-06-01 for 3 MW needed (congestion: none)" in text
    early = next(p for p in proposals if p["site_id"] == "t-grid-early")
    assert "grid: 8 MW by 2027-06-01" in " ".join(early["explanations"])  # its reinforcement is done by then


async def test_no_site_anywhere_is_a_no_proposition_with_blocking_constraints_per_region(app, settings, client):
    case_id = await open_case(settings, demand={"floor_space": {"floor_space_m2": 1_000_000, "needed_by": NEED}})
    (proposed,) = await matches(settings, case_id)
    assert proposed.data.no_proposition and proposed.data.proposals == ()
    assert set(proposed.data.blocking) == {"noord", "oost", "zuid", "west", "midden"}
    assert all("floor_space" in names for names in proposed.data.blocking.values())
    assert proposed.data.blocking_details["oost"][0].startswith(
        "floor space: 2 of 2 sites lack 1,000,000 m² by 2027-06-01")

    # The coordinator's list of such cases says the same per region; nobody else reads it.
    stuck = (await client.get("/cases/without-proposition", headers=COORD)).json()
    (line,) = [c for c in stuck if c["case_id"] == str(case_id)]
    assert line["blocking"] == proposed.data.blocking and line["blocking_details"]["oost"] == list(
        proposed.data.blocking_details["oost"]) and line["origin_region"]
    assert (await client.get("/cases/without-proposition", headers=PROVINCE)).status_code == 403


async def test_a_supply_change_rematches_the_open_cases_it_affects(app, settings, client):
    remote = site("t-remote", "noord", grid_mw_available=0.5, floor_space_m2=40_000)
    assert (await client.put("/sites/t-remote", json=remote, headers=PROVINCE)).status_code == 200
    big_grid = {"energy": {"grid_connection_mw": 30.0, "needed_by": NEED}}
    case_id = await open_case(settings, demand=big_grid)
    (first,) = await matches(settings, case_id)
    assert first.data.no_proposition

    changed = await client.patch("/sites/t-remote", json={"grid_mw_available": 40}, headers=PROVINCE)
    assert changed.status_code == 200, changed.text
    assert changed.json()["changed"] == ["grid_mw_available"] and str(case_id) in changed.json()["rematched_cases"]
    second = (await matches(settings, case_id, revision=2))[-1]
    assert second.data.trigger == "site-changed" and [p.site_id for p in second.data.proposals] == ["t-remote"]
    announced = (await events_of(settings, SiteChanged, "t-remote", count=2))[-1]  # after the PUT that created it
    assert announced.data.changed == {"grid_mw_available": 40.0} and announced.data.changed_by == "PV20"

    # The same change again, and a change that cannot move the match: no new match-proposed.
    again = await client.patch("/sites/t-remote", json={"grid_mw_available": 40, "hotspot": "Eemsdelta"},
                               headers=PROVINCE)
    assert again.json() | {"site": None} == {"site": None, "changed": ["hotspot"], "rematched_cases": []}

    # A grid operator's change arriving as an event: applied, and the case is re-matched again.
    evt = SiteChanged(source="/grid-operators/enexis", subject="t-remote",
                      data={"site_id": "t-remote", "changed": {"grid_mw_available": 1.0}, "changed_by": "enexis"})
    await produce(settings.kafka_bootstrap_servers, settings.topic("site-changed"), [evt.to_json()], keys=[evt.key])
    third = (await matches(settings, case_id, revision=3))[-1]
    assert third.data.no_proposition and third.data.trigger == "site-changed"
    assert (await client.get("/sites/t-remote", headers=COORD)).json()["grid_mw_available"] == 1.0


async def test_an_invalid_site_change_is_dead_lettered_with_its_reason(app, settings):
    evt = SiteChanged(source="/grid-operators/enexis", subject="t-fits",
                      data={"site_id": "t-fits", "changed": {"floor_space_m2": -5}, "changed_by": "enexis"})
    await produce(settings.kafka_bootstrap_servers, settings.topic("site-changed"), [evt.to_json()], keys=[evt.key])
    dead = await eventually(lambda: _dead_letter(settings, evt.id), timeout=30)
    assert dead and dict(dead.headers)["dlq-reason"].decode().startswith(
        "data.changed: floor_space_m2: Input should be greater than or equal to 0")


async def _dead_letter(settings, event_id):
    for r in await collect(settings.kafka_bootstrap_servers, settings.topic("site-changed.dlq"), until=10**6,
                           timeout=0.5):
        if json.loads(r.value)["id"] == str(event_id):
            return r
    return None


async def test_a_changed_demand_rematches_the_case(app, settings):
    case_id = await open_case(settings, demand=DEMAND)
    await matches(settings, case_id)
    more_power = DEMAND | {"energy": {"grid_connection_mw": 6.0, "needed_by": NEED}}
    evt = LeadUpdated(source="/groeiruimte/intake", subject=str(uuid.uuid4()), data={
        "lead_id": str(uuid.uuid4()), "case_id": str(case_id), "stage": "scale-up",
        "technology_domains": ["semiconductor-technologies"], "demand": more_power, "investment_eur": 1e6,
        "investment_status": "estimated", "eligible": True, "triage_reason": "eligible", "changed": ["demand"]})
    await produce(settings.kafka_bootstrap_servers, settings.topic("lead-updated"), [evt.to_json()], keys=[evt.key])
    latest = (await matches(settings, case_id, revision=2))[-1]
    assert latest.data.trigger == "lead-updated"
    assert {p.site_id for p in latest.data.proposals} == {"t-grid-early"}  # 8 MW by the need date; t-fits has 5


async def test_a_demand_change_that_overtakes_its_case_opened_is_not_lost(app, settings):
    opened = case_opened_event(demand=DEMAND)
    evt = LeadUpdated(source="/groeiruimte/intake", subject=str(uuid.uuid4()), data={
        "lead_id": str(opened.data.lead_id), "case_id": str(opened.data.case_id), "stage": "scale-up",
        "technology_domains": ["semiconductor-technologies"],
        "demand": DEMAND | {"energy": {"grid_connection_mw": 6.0, "needed_by": NEED}}, "investment_eur": 1e6,
        "investment_status": "estimated", "eligible": True, "triage_reason": "eligible", "changed": ["demand"]})
    await produce(settings.kafka_bootstrap_servers, settings.topic("lead-updated"), [evt.to_json()], keys=[evt.key])
    assert await eventually(lambda: _pending(app, opened.data.case_id), timeout=30), "update not kept"
    await produce(settings.kafka_bootstrap_servers, settings.topic("case-opened"), [opened.to_json()],
                  keys=[opened.key])
    (first,) = await matches(settings, opened.data.case_id)
    assert {p.site_id for p in first.data.proposals} == {"t-grid-early"}  # matched on the newer demand


async def _pending(app, case_id) -> bool:
    async with app.state.runtime.sessions() as session:
        return bool(await session.scalar(select(pending_update.c.case_id).where(pending_update.c.case_id == case_id)))


async def test_the_import_cli_loads_a_file_and_its_changes_rematch_open_cases(app, settings, client, tmp_path):
    case_id = await open_case(settings, demand={"energy": {"grid_connection_mw": 55.0, "needed_by": NEED}})
    assert (await matches(settings, case_id))[0].data.no_proposition
    path = tmp_path / "grid-export.csv"
    path.write_text("id,name,municipality_code,floor_space_m2,grid_mw_available\n"
                    "t-import,Imported park,GM0014,20000,60\n"
                    "t-bad,Bad row,GM14,1,1\n")
    console = Console(record=True, width=200)
    code = await asyncio.to_thread(cli.main, [str(path), "--set", "region=noord", "--set", "province=Groningen"],
                                   settings, console)
    out = console.export_text()
    assert code == 1 and "inserted 1, updated 0, unchanged 0, invalid 1" in out and "municipality_code" in out
    latest = (await matches(settings, case_id, revision=2))[-1]
    assert [p.site_id for p in latest.data.proposals] == ["t-import"]
    created = (await client.get("/sites/t-import/history", headers=COORD)).json()
    assert [(e["action"], e["changed_by"], e["role"]) for e in created] == [
        ("created", "import:grid-export.csv", None)]

    # A grid operator's export in its own column names: only the capacity of a known site changes.
    export = tmp_path / "capacity.csv"
    export.write_text("locatie;Beschikbaar_MW\nt-import;20\n")
    code = await asyncio.to_thread(cli.main, [str(export), "--map", "locatie=id", "--map",
                                              "Beschikbaar_MW=grid_mw_available"], settings, console)
    assert code == 0 and "inserted 0, updated 1, unchanged 0, invalid 0" in console.export_text()
    latest = (await matches(settings, case_id, revision=3))[-1]
    assert latest.data.no_proposition and latest.data.near_misses == ()  # 20 MW is far from the 55 MW needed


async def test_supply_api_rejects_bad_changes_and_unauthorised_callers(app, client):
    unknown = await client.patch("/sites/t-fits", json={"colour": "red"}, headers=COORD)
    assert (unknown.status_code, unknown.json()) == (422, {"detail": [
        {"field": "colour", "reason": "Extra inputs are not permitted", "type": "extra_forbidden"}]})
    bad = await client.patch("/sites/t-fits", json={"grid_mw_available": "lots"}, headers=COORD)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "grid_mw_available"
    assert bad.json()["detail"][0]["reason"].startswith("Input should be a valid number")
    assert (await client.patch("/sites/nope", json={"name": "x"}, headers=COORD)).status_code == 404
    moved = await client.put("/sites/t-fits", json=site("t-other", "oost"), headers=COORD)
    assert (moved.status_code, moved.json()["detail"]) == (
        422, [{"field": "id", "reason": "'t-other' differs from the site addressed ('t-fits')"}])
    assert (await client.put("/sites/t-fits", json=site("t-fits", "oost"),
                             headers={"Authorization": "Bearer rom"})).status_code == 403
    assert (await client.get("/sites")).status_code == 401


async def test_the_coordinator_decides_on_proposals_and_records_a_relocation(app, settings, client):
    case_id = await open_case(settings, demand=DEMAND, region="zuid", municipality_code="GM0772",
                              province="Noord-Brabant")
    await matches(settings, case_id)
    assert (await client.get(f"/cases/{case_id}/proposals", headers={"Authorization": "Bearer min"})).status_code == 403
    assert (await client.get(f"/cases/{uuid.uuid4()}/proposals", headers=COORD)).status_code == 404

    url = f"/cases/{case_id}/proposals"
    accepted = await client.post(f"{url}/t-fits/decision", json={"decision": "accepted", "reason": "cleanroom fits"},
                                 headers=COORD)
    assert accepted.status_code == 200, accepted.text
    declined = await client.post(f"{url}/t-planned/decision", json={"decision": "declined",
                                                                      "reason": "land too late"}, headers=COORD)
    assert declined.status_code == 200
    repeated = await client.post(f"{url}/t-planned/decision", json={"decision": "declined", "reason": "land too late"},
                                 headers=COORD)
    assert repeated.json()["unchanged"] is True
    no_reason = await client.post(f"{url}/t-fits/decision", json={"decision": "accepted"}, headers=COORD)
    assert no_reason.status_code == 422 and no_reason.json()["detail"][0]["field"] == "reason"
    not_proposed = await client.post(f"{url}/t-small/decision", json={"decision": "accepted", "reason": "x"},
                                     headers=COORD)
    assert not_proposed.status_code == 404 and "not among the current proposals" in not_proposed.json()["detail"]
    decided = await events_of(settings, ProposalDecided, case_id, count=2)
    assert {(e.data.site_id, e.data.decision, e.data.decided_by) for e in decided} == {
        ("t-fits", "accepted", "taskforce"), ("t-planned", "declined", "taskforce")}

    incomplete = await client.post(f"/cases/{case_id}/outcome", json={"outcome": "relocated"}, headers=COORD)
    assert incomplete.status_code == 422 and "a relocation needs investment_retained_eur" in incomplete.text
    relocated = await client.post(f"/cases/{case_id}/outcome", headers=COORD, json={
        "outcome": "relocated", "destination_site_id": "t-fits", "investment_retained_eur": 40_000_000,
        "investment_status": "verified", "jobs": 120, "new_scale_up": True, "evidence_ref": "DMS-2027-0042"})
    assert relocated.status_code == 200, relocated.text
    (realised,) = await events_of(settings, RelocationRealised, case_id)
    assert (realised.data.origin.region, realised.data.destination.region) == ("zuid", "oost")
    assert realised.data.destination.municipality_code == "GM0153" and realised.data.jobs == 120
    (closed,) = await events_of(settings, CaseClosed, case_id)
    assert closed.data.outcome == "relocated" and closed.data.origin_region == "zuid"

    again = await client.post(f"/cases/{case_id}/outcome", json={"outcome": "withdrew", "reason": "x"}, headers=COORD)
    assert again.status_code == 409 and "is closed (outcome relocated)" in again.json()["detail"]
    late = await client.post(f"{url}/t-fits/decision", json={"decision": "declined", "reason": "x"}, headers=COORD)
    assert late.status_code == 409
    listed = (await client.get(url, headers=COORD)).json()
    assert listed["status"] == "closed" and [d["decision"] for d in listed["decisions"]] == ["accepted", "declined"]
    closed = (await client.get("/cases?status=closed", headers=COORD)).json()
    assert {"case_id": str(case_id), "outcome": "relocated", "proposals": 3}.items() <= next(
        c for c in closed if c["case_id"] == str(case_id)).items()
    assert str(case_id) not in {c["case_id"] for c in (await client.get("/cases?status=open", headers=COORD)).json()}
    assert (await client.get("/cases?status=lost", headers=COORD)).status_code == 422
    # The board's page asks only for its own cases' lines, coordinator only.
    only = (await client.get("/cases", params={"case_id": [str(case_id), str(uuid.uuid4())]}, headers=COORD)).json()
    assert [c["case_id"] for c in only] == [str(case_id)]
    assert (await client.get("/cases", params={"case_id": "nope"}, headers=COORD)).status_code == 422
    assert (await client.get("/cases", params={"case_id": str(case_id)}, headers=PROVINCE)).status_code == 403


async def test_other_outcomes_close_the_case_with_a_reason(app, settings, client):
    case_id = await open_case(settings, demand=DEMAND)
    await matches(settings, case_id)
    no_reason = await client.post(f"/cases/{case_id}/outcome", json={"outcome": "left-country"}, headers=COORD)
    assert no_reason.status_code == 422 and "outcome left-country needs a reason" in no_reason.text
    left = await client.post(f"/cases/{case_id}/outcome", headers=COORD, json={
        "outcome": "left-country", "reason": "no grid connection in time", "destination_country": "DE"})
    assert left.status_code == 200 and left.json()["emitted"] == ["case-closed"]
    (closed,) = await events_of(settings, CaseClosed, case_id)
    assert (closed.data.outcome, closed.data.destination_country) == ("left-country", "DE")
