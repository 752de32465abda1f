"""Intake's HTTP API on real PostgreSQL and Kafka: create, update, list, read, precise 422s, and access control."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import SecretStr

from services.intake.app import create_app
from services.intake.config import IntakeSettings
from shared.contracts.events import (
    CaseClosed,
    CaseClosedData,
    LeadRegistered,
    LeadSignalled,
    LeadUpdated,
    MatchProposed,
    MatchProposedData,
    Proposal,
)
from tests.factories import fuzzed_lead_corpus, intake_lead_payload, random_kvk
from tests.kafka import collect, eventually, produce
from tests.lifecycle import running

pytestmark = pytest.mark.integration
TOKENS = "rom-a:oost-nl:rom,rom-b:bom:rom,rom-c:nom:rom,coord:taskforce:coordinator,min:ministry:ministry"
ROM_A, ROM_B = {"Authorization": "Bearer rom-a"}, {"Authorization": "Bearer rom-b"}


@pytest.fixture(scope="module")
async def app(service_env, topic_prefix):
    settings = IntakeSettings(kafka_bootstrap_servers=service_env["KAFKA_BOOTSTRAP_SERVERS"],
                              database_url=service_env["DATABASE_URL"],
                              topic_prefix=f"{topic_prefix}intake-http-{uuid.uuid4().hex[:6]}.",
                              kafka_session_timeout_ms=6000, api_tokens=SecretStr(TOKENS))
    app = create_app(settings)
    async with running(app.state.runtime):
        yield app


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://intake") as c:
        yield c


def body(**overrides) -> dict:
    """A lead as a ROM posts it: the payload's data, without the organisation (it is the caller's)."""
    data = intake_lead_payload(**overrides)["data"]
    del data["organisation"]
    return data


async def test_a_rom_creates_reads_lists_and_updates_its_lead(client, app):
    lead = body(contact={"role": "CFO", "email": "cfo@example.nl"}, life_phase=3)
    created = await client.post("/leads", json=lead, headers=ROM_A)
    assert created.status_code == 201, created.text
    got = created.json()
    assert got["outcome"] == "registered"
    assert got["lead"]["status"] == "case-opened" and got["lead"]["code_name"]
    lead_id = got["lead"]["lead_id"]

    again = await client.post("/leads", json=lead, headers=ROM_A)
    assert (again.status_code, again.json()["outcome"]) == (200, "unchanged")

    one = (await client.get(f"/leads/{lead_id}", headers=ROM_A)).json()
    assert one["lead"]["company"] == lead["company"] and one["lead"]["organisation"] == "oost-nl"
    listed = (await client.get("/leads", headers=ROM_A)).json()
    assert lead_id in {item["lead_id"] for item in listed}

    changed = await client.patch(f"/leads/{lead_id}", json={"stage": "grown-up", "life_phase": 4}, headers=ROM_A)
    assert changed.status_code == 200, changed.text
    assert changed.json()["outcome"] == "updated" and changed.json()["lead"]["version"] == 2
    assert changed.json()["lead"]["lead"]["stage"] == "grown-up"

    audit = (await client.get(f"/leads/{lead_id}/audit", headers=ROM_A)).json()
    assert [a["action"] for a in audit] == ["registered", "updated"]
    assert audit[1]["changes"]["life_phase"] == {"old": 3, "new": 4}
    assert audit[1]["actor"].startswith("oost-nl") and audit[1]["channel"] == "http"

    settings = app.state.runtime.settings
    (updated,) = [e for r in await collect(settings.kafka_bootstrap_servers, settings.topic(LeadUpdated.topic),
                                           until=1, timeout=60)
                  if str((e := LeadUpdated.from_json(r.value)).data.lead_id) == lead_id]
    assert set(updated.data.changed) == {"stage", "life_phase"}


async def test_422_names_the_field_and_the_reason(client):
    bad_kvk = body()
    bad_kvk["company"]["kvk_number"] = "1234"
    r = await client.post("/leads", json=bad_kvk, headers=ROM_A)
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "company.kvk_number" and "pattern" in r.json()["detail"][0]["reason"]

    no_stage = body()
    del no_stage["stage"]
    no_stage["leaving_risk"] = {"likelihood": "high", "candidate_countries": ["germany"]}
    fields = {e["field"] for e in (await client.post("/leads", json=no_stage, headers=ROM_A)).json()["detail"]}
    assert fields == {"stage", "leaving_risk.candidate_countries"}

    someone_else = body() | {"organisation": "bom"}
    r = await client.post("/leads", json=someone_else, headers=ROM_A)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "organisation"

    lead_id = (await client.post("/leads", json=body(), headers=ROM_A)).json()["lead"]["lead_id"]
    r = await client.patch(f"/leads/{lead_id}", json={"life_phase": 9}, headers=ROM_A)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "life_phase"
    r = await client.patch(f"/leads/{lead_id}", json={"reference": "another"}, headers=ROM_A)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reference"
    r = await client.patch(f"/leads/{lead_id}", json={"company": {"kvk_number": "87654321"}}, headers=ROM_A)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "company.kvk_number"


async def test_every_request_is_authenticated_and_only_roms_submit(client):
    assert (await client.get("/leads")).status_code == 401
    assert (await client.get("/leads", headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await client.post("/leads", json=body(), headers={"Authorization": "Bearer min"})).status_code == 403
    assert (await client.get("/reviews", headers=ROM_A)).status_code == 403
    assert (await client.get("/reviews", headers={"Authorization": "Bearer coord"})).status_code == 200


async def test_rom_b_can_neither_read_nor_change_rom_a_leads_through_any_endpoint(client, app):
    created = (await client.post("/leads", json=body(), headers=ROM_A)).json()["lead"]
    lead_id = created["lead_id"]
    tried = []
    for route in (r for r in app.routes if isinstance(r, APIRoute) and "{lead_id}" in r.path):
        for method in route.methods:
            r = await client.request(method, route.path.replace("{lead_id}", lead_id), headers=ROM_B,
                                     json={"stage": "startup"} if method in ("PATCH", "PUT", "POST") else None)
            assert r.status_code == 404, (method, route.path, r.status_code)
            assert "oost" not in r.text and created["reference"] not in r.text
            tried.append((method, route.path))
    assert {("GET", "/leads/{lead_id}"), ("PATCH", "/leads/{lead_id}"), ("GET", "/leads/{lead_id}/audit")} <= set(tried)
    assert lead_id not in {item["lead_id"] for item in (await client.get("/leads", headers=ROM_B)).json()}
    # The same reference from ROM B is ROM B's own, separate lead: it cannot overwrite ROM A's.
    taken = body(reference=created["reference"])
    theirs = (await client.post("/leads", json=taken, headers=ROM_B)).json()["lead"]
    assert theirs["lead_id"] != lead_id and theirs["organisation"] == "bom"
    unchanged = (await client.get(f"/leads/{lead_id}", headers=ROM_A)).json()
    assert unchanged["version"] == 1 and unchanged["lead"]["stage"] == "scale-up"
    assert len((await client.get(f"/leads/{lead_id}/audit", headers=ROM_A)).json()) == 1


async def test_http_leads_are_published_through_the_outbox(client, app):
    lead_id = (await client.post("/leads", json=body(), headers=ROM_A)).json()["lead"]["lead_id"]
    settings = app.state.runtime.settings

    async def registered():
        records = await collect(settings.kafka_bootstrap_servers, settings.topic(LeadRegistered.topic),
                                until=10**6, timeout=1)
        return [e for r in records if str((e := LeadRegistered.from_json(r.value)).data.lead_id) == lead_id]

    (evt,) = await eventually(registered, timeout=20)
    assert evt.data.organisation == "oost-nl" and "company" not in json.loads(evt.to_json())["data"]


async def test_the_openapi_document_is_published(client):
    doc = (await client.get("/openapi.json")).json()
    assert {"/leads", "/leads/{lead_id}", "/leads/{lead_id}/audit", "/reviews"} <= set(doc["paths"])
    schema = doc["components"]["schemas"]["LeadSubmission"]
    assert {"company", "demand", "consent", "life_phase", "leaving_risk", "contact"} <= set(schema["properties"])
    assert "404" in doc["paths"]["/leads/{lead_id}"]["get"]["responses"]


async def test_fuzzed_submissions_get_2xx_or_a_422_naming_field_and_reason_never_a_crash(client):
    outcomes = set()
    for payload in fuzzed_lead_corpus(60):
        data = payload.get("data")
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "organisation" or v == "oost-nl"}
        r = await client.post("/leads", content=json.dumps(data), headers=ROM_A | {"content-type": "application/json"})
        assert r.status_code in (200, 201, 422), (r.status_code, r.text)
        outcomes.add(r.status_code)
        if r.status_code == 422:
            assert r.json()["detail"] and all(e["field"] and e["reason"] for e in r.json()["detail"]), r.text
        else:
            lead_id = r.json()["lead"]["lead_id"]
            assert (await client.get(f"/leads/{lead_id}", headers=ROM_A)).status_code == 200
    assert {201, 422} <= outcomes


async def test_the_rom_sees_its_case_move_from_open_to_proposed_to_closed(client, app):
    lead = (await client.post("/leads", json=body(), headers=ROM_A)).json()["lead"]
    assert (lead["case_status"], lead["sites_proposed"]) == ("open", None)
    settings, case_id = app.state.runtime.settings, lead["case_id"]
    site = Proposal(rank=1, site_id="S-1", site_name="Kennispark", region="oost", province="Overijssel",
                    municipality_code="GM0153", own_region=True, score=0.8, contributions={"floor_space": 0.8})
    matched = MatchProposed(source="/test", subject=case_id, data=MatchProposedData(
        case_id=case_id, code_name=lead["code_name"], technology_domains=lead["lead"]["technology_domains"],
        origin_region="oost", proposals=(site, site.model_copy(update={"rank": 2, "site_id": "S-2"})),
        no_proposition=False))
    closed = CaseClosed(source="/test", subject=case_id, data=CaseClosedData(
        case_id=case_id, outcome="relocated", origin_region="oost"))

    async def status(wanted: str):
        got = (await client.get(f"/leads/{lead['lead_id']}", headers=ROM_A)).json()
        return got if got["case_status"] == wanted else None

    await produce(settings.kafka_bootstrap_servers, settings.topic(MatchProposed.topic), [matched.to_json()])
    proposed = await eventually(lambda: status("proposed"), timeout=30)
    assert proposed and proposed["sites_proposed"] == 2
    await produce(settings.kafka_bootstrap_servers, settings.topic(CaseClosed.topic), [closed.to_json()])
    done = await eventually(lambda: status("closed"), timeout=30)
    assert done and done["case_outcome"] == "relocated"


async def test_look_alike_names_go_to_the_coordinator_for_a_decision_without_telling_the_roms(client):
    stem = f"Fotonica Delta {uuid.uuid4().hex[:6]}"
    one = (await client.post("/leads", json=body(name=f"{stem} B.V."), headers=ROM_A)).json()["lead"]
    two = (await client.post("/leads", json=body(name=f"{stem.lower()} bv"), headers=ROM_B)).json()["lead"]
    assert one["case_id"] != two["case_id"]
    seen_by_b = (await client.get(f"/leads/{two['lead_id']}", headers=ROM_B)).text
    assert one["lead_id"] not in seen_by_b and "review" not in seen_by_b

    coordinator = {"Authorization": "Bearer coord"}

    async def flagged() -> list:  # the look-alike job (running in the service) flags it once intake is quiet
        return [r for r in (await client.get("/reviews", headers=coordinator)).json() if r["lead_id"] == two["lead_id"]]

    (flag,) = await eventually(flagged, timeout=30)
    assert flag["similar_lead_id"] == one["lead_id"] and flag["status"] == "open"
    # Both sides as the coordinator decides on them (under the NDA): whose lead, which company, which case.
    assert (flag["lead"]["organisation"], flag["lead"]["company_name"]) == ("bom", f"{stem.lower()} bv")
    assert flag["similar_lead"]["case_id"] == one["case_id"] and flag["similar_lead"]["code_name"]
    assert flag["similar_lead"]["kvk_number"] != flag["lead"]["kvk_number"]

    decision = {"decision": "different-companies", "note": "two spin-offs of one lab"}
    assert (await client.post(f"/reviews/{flag['id']}/decision", json=decision, headers=ROM_A)).status_code == 403
    decided = await client.post(f"/reviews/{flag['id']}/decision", json=decision, headers=coordinator)
    assert decided.status_code == 200 and decided.json()["decided_by"] == "taskforce"
    assert (await client.post(f"/reviews/{flag['id']}/decision", json=decision, headers=coordinator)).status_code == 404
    assert flag["id"] not in {r["id"] for r in (await client.get("/reviews", headers=coordinator)).json()}
    assert decided.json()["decided_at"] and decided.json()["note"] == decision["note"]
    audit = (await client.get(f"/leads/{one['lead_id']}/audit", headers=ROM_A)).text
    assert two["lead_id"] not in audit and "review" not in audit


async def test_the_coordinator_sees_both_origins_of_a_case_roms_do_not(client):
    kvk = random_kvk()
    a = (await client.post("/leads", json=body(kvk=kvk), headers=ROM_A)).json()["lead"]
    b = (await client.post("/leads", json=body(kvk=kvk, name="Zelfde Bedrijf"), headers=ROM_B)).json()["lead"]
    assert a["case_id"] == b["case_id"] and (a["status"], b["status"]) == ("case-opened", "case-opened")
    path = f"/cases/{a['case_id']}/origins"
    assert (await client.get(path, headers=ROM_A)).status_code == 403
    got = (await client.get(path, headers={"Authorization": "Bearer coord"})).json()
    assert [(o["organisation"], o["lead_id"]) for o in got["origins"]] == [("oost-nl", a["lead_id"]),
                                                                            ("bom", b["lead_id"])]
    assert got["code_name"] == a["code_name"]
    assert (await client.get(f"/cases/{uuid.uuid4()}/origins", headers={"Authorization": "Bearer coord"})
            ).status_code == 404


async def test_the_coordinator_reads_a_case_with_the_companys_identity_and_the_board_lists_it(client):
    """The workbench's case page and board: GET /cases/{id} and GET /cases, the coordinator's only (NDA)."""
    kvk, coordinator = random_kvk(), {"Authorization": "Bearer coord"}
    a = (await client.post("/leads", json=body(kvk=kvk, name="Dossier Fotonica B.V."), headers=ROM_A)).json()["lead"]
    await client.post("/leads", json=body(kvk=kvk), headers=ROM_B)
    path = f"/cases/{a['case_id']}"
    assert (await client.get(path, headers=ROM_A)).status_code == 403
    dossier = (await client.get(path, headers=coordinator)).json()
    assert dossier["company"] == {"name": "Dossier Fotonica B.V.", "kvk_number": kvk}
    assert dossier["code_name"] == a["code_name"] and dossier["case_status"] == "open"
    assert dossier["lead"]["demand"]["floor_space"]["floor_space_m2"] == 2500
    assert [o["organisation"] for o in dossier["origins"]] == ["oost-nl", "bom"]
    assert (await client.get(f"/cases/{uuid.uuid4()}", headers=coordinator)).status_code == 404

    assert (await client.get("/cases", headers=ROM_A)).status_code == 403
    board = {c["case_id"]: c for c in (await client.get("/cases?status=open", headers=coordinator)).json()}
    line = board[a["case_id"]]
    assert (line["region"], line["stage"], line["origins"], line["case_status"]) == ("oost", "scale-up", 2, "open")
    assert "Dossier Fotonica" not in json.dumps(line) and kvk not in json.dumps(line)
    closed = (await client.get("/cases?status=closed", headers=coordinator)).json()
    assert a["case_id"] not in {c["case_id"] for c in closed}


async def test_intake_authorises_the_person_a_workbench_token_names(client, app):
    """A person's token is verified by intake itself: its role and organisation decide, a forged one is 401."""
    from shared.auth import issue_person_token

    secret = app.state.runtime.settings.person_token_secret.get_secret_value()

    def person(organisation: str, role: str, *, key: str = secret, audience: str = "intake") -> dict:
        token = issue_person_token(key, person="someone", organisation=organisation, role=role, audience=audience)
        return {"Authorization": f"Bearer {token}"}

    lead = (await client.post("/leads", json=body(), headers=person("oost-nl", "rom"))).json()["lead"]
    assert lead["organisation"] == "oost-nl"
    assert (await client.get(f"/leads/{lead['lead_id']}", headers=person("oost-nl", "rom"))).status_code == 200
    assert (await client.get(f"/leads/{lead['lead_id']}", headers=person("bom", "rom"))).status_code == 404
    assert (await client.get(f"/cases/{lead['case_id']}", headers=person("oost-nl", "rom"))).status_code == 403
    assert (await client.get(f"/cases/{lead['case_id']}", headers=person("taskforce", "coordinator"))
            ).status_code == 200
    forged = person("taskforce", "coordinator", key="not-the-deployments-secret-0123456789abcdef")
    assert (await client.get(f"/cases/{lead['case_id']}", headers=forged)).status_code == 401
    elsewhere = person("taskforce", "coordinator", audience="matching")
    assert (await client.get(f"/cases/{lead['case_id']}", headers=elsewhere)).status_code == 401


async def test_a_reference_that_collides_with_another_organisations_lead_id_is_refused(client, app):
    """lead ids hash "organisation/reference": ROM "bom" + "x/R" must not reach "bom/x" + "R"."""
    from services.intake.handlers import Via, receive_lead

    deps, ref = app.state.deps, f"R-{uuid.uuid4().hex[:6]}"
    other = intake_lead_payload(organisation="bom/x", reference=ref)
    async with deps.new_unit_of_work() as uow:
        await receive_lead(uow, LeadSignalled.model_validate(other), via=Via("test", "kafka"), deps=deps)
        await uow.commit()
    r = await client.post("/leads", json=body(reference=f"x/{ref}"), headers=ROM_B)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "reference"


async def test_what_postgresql_would_refuse_answers_422_with_the_field_never_500(client):
    poison = body(name="Poison\u0000geheim B.V.")
    r = await client.post("/leads", json=poison, headers=ROM_A)
    assert r.status_code == 422 and r.json()["detail"] == [
        {"field": "company.name", "reason": "must not contain a NUL character (U+0000)",
         "type": "string_nul_character"}]
    assert "Poison" not in r.text and poison["company"]["kvk_number"] not in r.text
    r = await client.post("/leads", json=body(name="Ⅷ" * 200), headers=ROM_A)
    assert r.status_code == 422 and [e["field"] for e in r.json()["detail"]] == ["company.name"]
    nul_elsewhere = body(contact={"role": "C\u0000FO", "email": "cfo@example.nl"})
    r = await client.post("/leads", json=nul_elsewhere, headers=ROM_A)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "contact.role"
    lead_id = (await client.post("/leads", json=body(), headers=ROM_A)).json()["lead"]["lead_id"]
    r = await client.patch(f"/leads/{lead_id}", json={"demand": {"capital": {
        "facility": "own", "description": "clean\u0000room", "needed_by": "2027-01-01"}}}, headers=ROM_A)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "demand.capital.description"
    lone_surrogate = json.dumps(body()).replace("Testbedrijf", "Test\\udc00bedrijf")
    r = await client.post("/leads", content=lone_surrogate, headers=ROM_A | {"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "company.name"


async def test_integers_beyond_64_bits_and_nul_in_a_note_answer_422_with_the_field(client):
    for offset in ("1e25", str(10**25), str(2**63)):
        r = await client.get("/leads", params={"offset": offset}, headers=ROM_A)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "offset", (offset, r.text)
    coordinator = {"Authorization": "Bearer coord"}
    decision = {"decision": "different-companies", "note": "ok"}
    r = await client.post("/reviews/99999999999999999999/decision", json=decision, headers=coordinator)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "review_id"
    r = await client.post("/reviews/1/decision", json=decision | {"note": "a\u0000b"}, headers=coordinator)
    assert r.status_code == 422 and r.json()["detail"] == [
        {"field": "note", "reason": "must not contain a NUL character (U+0000)", "type": "string_nul_character"}]


async def test_a_second_rom_sees_its_lead_exactly_as_a_fresh_case_everywhere(client):
    """Nothing a ROM can read tells it that another organisation signalled the same company first."""
    kvk = random_kvk()
    first = (await client.post("/leads", json=body(kvk=kvk), headers=ROM_A)).json()
    second = (await client.post("/leads", json=body(kvk=kvk), headers=ROM_B)).json()
    fresh = (await client.post("/leads", json=body(), headers=ROM_B)).json()
    assert first["lead"]["case_id"] == second["lead"]["case_id"] != fresh["lead"]["case_id"]

    def seen(lead: dict) -> dict:
        return {k: lead[k] for k in ("status", "eligible", "triage_reason", "case_status", "sites_proposed",
                                     "case_outcome", "version")} | {"code_name": bool(lead["code_name"])}

    assert (second["outcome"], seen(second["lead"])) == (fresh["outcome"], seen(fresh["lead"]))
    sid, fid = second["lead"]["lead_id"], fresh["lead"]["lead_id"]
    one = (await client.get(f"/leads/{sid}", headers=ROM_B)).json()
    assert seen(one) == seen((await client.get(f"/leads/{fid}", headers=ROM_B)).json())
    listed = {r["lead_id"]: r for r in (await client.get("/leads", headers=ROM_B)).json()}
    assert seen(listed[sid]) == seen(listed[fid]) and listed[sid]["status"] == "case-opened"
    in_case = {r["lead_id"] for r in (await client.get("/leads", params={"status": "case-opened"},
                                                       headers=ROM_B)).json()}
    assert {sid, fid} <= in_case
    assert (await client.get("/leads", params={"status": "case-joined"}, headers=ROM_B)).status_code == 422
    audit = [(e["action"], e["actor"]) for e in (await client.get(f"/leads/{sid}/audit", headers=ROM_B)).json()]
    assert audit == [(e["action"], e["actor"]) for e in (await client.get(f"/leads/{fid}/audit",
                                                                           headers=ROM_B)).json()]
    everything = " ".join([json.dumps(second), json.dumps(one), json.dumps(listed[sid]), json.dumps(audit)])
    assert "joined" not in everything and "oost-nl" not in everything


async def test_an_earlier_portfolio_lead_does_not_show_the_case_another_rom_opened(client):
    """ROM A's lead is beyond the horizon; ROM B's urgent lead opens the company's case. A's lead is an origin
    of that case for the taskforce, but A sees it exactly as before: in the portfolio, with its own reason."""
    kvk = random_kvk()
    early = (await client.post("/leads", json=body(kvk=kvk, needed_in_days=5 * 365), headers=ROM_A)).json()
    before = (await client.get(f"/leads/{early['lead']['lead_id']}", headers=ROM_A)).json()
    await client.post("/leads", json=body(kvk=kvk), headers=ROM_B)
    after = (await client.get(f"/leads/{early['lead']['lead_id']}", headers=ROM_A)).json()
    assert after == before and after["status"] == "portfolio" and after["case_id"] is None
    portfolio = {r["lead_id"] for r in (await client.get("/leads", params={"status": "portfolio"},
                                                         headers=ROM_A)).json()}
    assert early["lead"]["lead_id"] in portfolio
    audit = (await client.get(f"/leads/{early['lead']['lead_id']}/audit", headers=ROM_A)).json()
    assert [e["action"] for e in audit] == ["registered"] and "bom" not in json.dumps(audit)


async def test_a_rom_can_leave_out_what_it_does_not_know_yet(client):
    lead = body()
    del lead["investment_eur"], lead["location"]["province"]
    r = await client.post("/leads", json=lead, headers=ROM_A)
    assert r.status_code == 201, r.text
    stored = r.json()["lead"]["lead"]
    assert stored["investment_eur"] is None and stored["location"]["province"] == "Overijssel"
    wrong = body()
    wrong["location"]["province"] = "Zeeland"
    r = await client.post("/leads", json=wrong, headers=ROM_A)
    assert r.status_code == 422 and r.json()["detail"] == [
        {"field": "location.province",
         "reason": "GM0153 lies in Overijssel (PV23): leave the province out or give that one",
         "type": "province_mismatch", "ctx": {"code": "GM0153", "province": "Overijssel", "pv": "PV23"}}]


async def test_a_company_outside_the_nts_domains_is_signalled_and_triage_gives_its_reason(client):
    retail = (await client.post("/leads", json=body(technology_domains=[], sector="retail"), headers=ROM_A))
    assert retail.status_code == 201, retail.text
    assert retail.json()["lead"]["status"] == "portfolio"
    assert retail.json()["lead"]["triage_reason"] == ("out of scope: no NTS technology domain and not essential to "
                                                      "strategic autonomy (sector: retail)")
    defence = await client.post("/leads", json=body(technology_domains=["strategic-autonomy"],
                                                    sector="defence electronics"), headers=ROM_A)
    assert defence.status_code == 201 and defence.json()["lead"]["status"] == "case-opened"
    assert defence.json()["lead"]["triage_reason"].startswith("strategic autonomy (sector: defence electronics)")
    # the same as facts, for clients that word them in their reader's language (stored, read back)
    assert retail.json()["lead"]["triage"] == {"code": "no-domain", "sector": "retail", "earliest_need": None,
                                               "horizon_years": None, "horizon": None}
    again = (await client.get(f"/leads/{defence.json()['lead']['lead_id']}", headers=ROM_A)).json()["triage"]
    assert again["code"] == "strategic-autonomy" and again["sector"] == "defence electronics"
    assert again["horizon_years"] == 3
    r = await client.post("/leads", json=body(technology_domains=[]), headers=ROM_A)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "sector"


async def test_moving_a_lead_to_another_municipality_derives_its_province_again(client):
    lead = (await client.post("/leads", json=body(), headers=ROM_A)).json()["lead"]
    r = await client.patch(f"/leads/{lead['lead_id']}", json={"location": {"municipality_code": "GM0772",
                                                                           "region": "zuid"}}, headers=ROM_A)
    assert r.status_code == 200, r.text
    assert r.json()["lead"]["lead"]["location"] == {"municipality_code": "GM0772", "province": "Noord-Brabant",
                                                    "region": "zuid"}


async def test_a_second_rom_does_not_see_the_progress_the_case_made_before_it_joined(client, app):
    """A case proposed (or closed) before the second ROM signalled the company: that ROM sees a fresh case,
    open until the case is matched again, and then that match."""
    settings, kvk = app.state.runtime.settings, random_kvk()
    first = (await client.post("/leads", json=body(kvk=kvk), headers=ROM_A)).json()["lead"]
    case_id = first["case_id"]

    def match(revision: int) -> bytes:
        site = Proposal(rank=1, site_id="S-1", site_name="Kennispark", region="oost", province="Overijssel",
                        municipality_code="GM0153", own_region=True, score=0.8, contributions={"floor_space": 0.8})
        return MatchProposed(source="/test", subject=case_id, data=MatchProposedData(
            case_id=case_id, code_name=first["code_name"], technology_domains=first["lead"]["technology_domains"],
            origin_region="oost", proposals=(site,), no_proposition=False, revision=revision)).to_json()

    async def seen(lead_id: str, headers: dict, wanted: str):
        got = (await client.get(f"/leads/{lead_id}", headers=headers)).json()
        return got if got["case_status"] == wanted else None

    await produce(settings.kafka_bootstrap_servers, settings.topic(MatchProposed.topic), [match(1)])
    assert await eventually(lambda: seen(first["lead_id"], ROM_A, "proposed"), timeout=30)

    second = (await client.post("/leads", json=body(kvk=kvk), headers=ROM_B)).json()["lead"]
    fresh = (await client.post("/leads", json=body(), headers=ROM_B)).json()["lead"]
    assert second["case_id"] == case_id
    for field in ("status", "case_status", "sites_proposed", "case_outcome"):
        assert second[field] == fresh[field], field
    assert (second["case_status"], second["sites_proposed"]) == ("open", None)

    await produce(settings.kafka_bootstrap_servers, settings.topic(MatchProposed.topic), [match(2)])
    again = await eventually(lambda: seen(second["lead_id"], ROM_B, "proposed"), timeout=30)
    assert again and again["sites_proposed"] == 1

    closed = CaseClosed(source="/test", subject=case_id, data=CaseClosedData(
        case_id=case_id, outcome="stayed", origin_region="oost"))
    await produce(settings.kafka_bootstrap_servers, settings.topic(CaseClosed.topic), [closed.to_json()])
    assert await eventually(lambda: seen(second["lead_id"], ROM_B, "closed"), timeout=30)
    late = (await client.post("/leads", json=body(kvk=kvk), headers={"Authorization": "Bearer rom-c"})).json()
    assert (late["lead"]["case_status"], late["lead"]["case_outcome"]) == ("open", None)


async def test_the_board_search_filters_and_pages_in_intake_with_counts_coordinator_only(client):
    """POST /cases/search: intake's own fields filtered and paged in one query, with the kept and open counts."""
    coordinator = {"Authorization": "Bearer coord"}
    ids = [(await client.post("/leads", json=body(kvk=random_kvk()), headers=ROM_A)).json()["lead"]["case_id"]
           for _ in range(3)]
    mine = {"case_ids": ids, "order": "oldest", "limit": 2}
    first = (await client.post("/cases/search", json=mine, headers=coordinator)).json()
    second = (await client.post("/cases/search", json=mine | {"offset": 2}, headers=coordinator)).json()
    assert [c["case_id"] for c in first["cases"] + second["cases"]] == ids  # oldest first, across the pages
    assert first["kept"] == second["kept"] == 3 and first["open_cases"] >= 3
    newest = (await client.post("/cases/search", json=mine | {"order": "newest"}, headers=coordinator)).json()
    assert [c["case_id"] for c in newest["cases"]] == ids[:0:-1]
    code = first["cases"][0]["code_name"]
    named = (await client.post("/cases/search", json={"case_ids": ids, "q": code.upper()}, headers=coordinator))
    assert [c["case_id"] for c in named.json()["cases"]] == [ids[0]]
    for narrowed, kept in (({"region": "oost", "stage": "scale-up", "case_status": "open"}, 3),
                           ({"region": "noord"}, 0), ({"stage": "start-up"}, 0), ({"case_status": "proposed"}, 0),
                           ({"except_case_ids": ids[1:]}, 1), ({"status": "closed"}, 0)):
        found = (await client.post("/cases/search", json={"case_ids": ids} | narrowed, headers=coordinator)).json()
        assert found["kept"] == kept and len(found["cases"]) == kept, narrowed
    past = (await client.post("/cases/search", json=mine | {"offset": 50}, headers=coordinator)).json()
    assert (past["kept"], past["cases"]) == (3, [])
    assert (await client.post("/cases/search", json=mine, headers=ROM_A)).status_code == 403
    for bad in ({"limit": 0}, {"limit": 1001}, {"order": "sideways"}, {"case_ids": ["nope"]}, {"owner": "x"},
                {"q": "x" * 101}):
        refused = await client.post("/cases/search", json=bad, headers=coordinator)
        assert refused.status_code == 422, bad
