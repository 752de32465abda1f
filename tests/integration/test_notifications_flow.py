"""Notifications end to end in-process: real Kafka and PostgreSQL in, a real SMTP server (aiosmtpd) on loopback out.

Every message the SMTP server accepts is kept; `assert_no_identity_leaks` scans all of them after each test:
a company's name or KvK number may appear only in mails to a municipality or province about a case whose
company consented before the mail was rendered.
"""

from __future__ import annotations

import asyncio
import re
import socket
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from deploy.databases import create_database, drop_database
from services.notifications import handlers
from services.notifications.app import create_app
from services.notifications.bootstrap import CONSUMED
from services.notifications.config import NotificationsSettings
from services.notifications.domain import load_directory
from shared.contracts import (
    CaseOpened,
    ConsentGranted,
    LeadUpdated,
    MatchProposed,
    RecipientReplied,
    RelocationRealised,
)
from shared.db import transaction
from tests.kafka import collect, collect_all, consumed, eventually, produce
from tests.lifecycle import running

pytestmark = pytest.mark.integration
TOKENS = ("coord:taskforce:coordinator,enschede:GM0153:municipality,delft:GM0503:municipality,"
          "overijssel:PV23:province,rom:oost-nl:rom")
COORDINATOR, ENSCHEDE = {"Authorization": "Bearer coord"}, {"Authorization": "Bearer enschede"}
ENSCHEDE_LOC = {"municipality_code": "GM0153", "province": "Overijssel", "region": "oost"}
EINDHOVEN_LOC = {"municipality_code": "GM0772", "province": "Noord-Brabant", "region": "zuid"}
SOURCE = "/tests/notifications"
BUDGET, PERIOD = 2, 8
CONSENTED: dict[uuid.UUID, tuple[str, str, datetime]] = {}  # case -> (name, kvk, when consent was published)
SECRETS: dict[uuid.UUID, tuple[str, str]] = {}  # every case's company name and KvK number, to scan for
KIND_BY_EMAIL = {r.email: r.kind for r in load_directory(NotificationsSettings().recipients_file).values()}


class Inbox:
    """aiosmtpd handler: keeps every accepted message; refuses addresses starting with 'bounce' (550)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        msg["X-Received-At"] = datetime.now(UTC).isoformat()
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address_part: str, code_name: str | None = None) -> list[EmailMessage]:
        return [m for m in self.messages if address_part in m["To"]
                and (code_name is None or code_name in m["Subject"] or code_name in text_of(m))]


class Smtp:
    """A real SMTP server on a fixed loopback port that a test can stop and start again (an outage)."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
        self.controller = None


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()


def html_of(msg: EmailMessage) -> str:
    return msg.get_body(("html",)).get_content()


@pytest.fixture(scope="module")
def smtp():
    server = Smtp()
    server.start()
    yield server
    if server.controller:
        server.stop()


@pytest.fixture(scope="module")
def settings(infra, run_id, smtp):
    """Its own database (its mailer must not send other tests' mails) and its own topics."""
    name = f"groeiruimte_test_{run_id}_notifications"
    url = asyncio.run(create_database(infra.database_url, name, services=["notifications"]))
    yield NotificationsSettings(
        database_url=url, kafka_bootstrap_servers=infra.kafka, kafka_session_timeout_ms=6000,
        topic_prefix=f"test-{run_id}-notifications-{uuid.uuid4().hex[:6]}.", api_tokens=SecretStr(TOKENS),
        smtp_port=smtp.port, retry_base_seconds=0.2, retry_max_seconds=1.0, relevance_threshold=0.5,
        budget_per_period=BUDGET, budget_period_seconds=PERIOD, case_wait_seconds=5,
        public_base_url="http://notifications.test")
    asyncio.run(drop_database(infra.database_url, name))


@pytest.fixture(scope="module")
async def app(settings):
    app = create_app(settings)
    async with running(app.state.runtime):
        yield app


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://notifications.test") as c:
        yield c


@pytest.fixture(autouse=True)
def assert_no_identity_leaks(smtp):
    """After every test: scan EVERY message sent so far for company identities that may not be there."""
    yield
    for msg in smtp.inbox.messages:
        raw = msg.as_string() + text_of(msg) + html_of(msg)
        for case_id, (name, kvk) in SECRETS.items():
            if name not in raw and kvk not in raw:
                continue
            consent = CONSENTED.get(case_id)
            kind = KIND_BY_EMAIL.get(msg["To"].addresses[0].addr_spec)
            allowed = (consent is not None and kind in ("municipality", "province")
                       and datetime.fromisoformat(msg["X-Received-At"]) > consent[2])
            assert allowed, f"identity of case {case_id} leaked to {msg['To']}: {msg['Subject']}"


# ---- events -------------------------------------------------------------------------------------------

_PERIODS = iter(range(1, 10**6))


def quiet_time() -> datetime:
    """A time in its own, long past budget period, so that budgets of other tests do not interfere."""
    return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=PERIOD * next(_PERIODS))


def new_case(*, housing: bool = False, floor_m2: float = 4000, mw: float = 1.5) -> dict:
    case_id = uuid.uuid4()
    n = uuid.uuid4().hex[:6]
    SECRETS[case_id] = (f"Geheim Fotonica {n} B.V.", f"{int(n, 16) % 10**8:08d}")
    demand = {"floor_space": {"floor_space_m2": floor_m2, "cleanroom_iso_class": 7, "needed_by": "2027-08-15"},
              "energy": {"grid_connection_mw": mw, "needed_by": "2027-08-15"}}
    if housing:
        demand["housing"] = {"staff_to_house": 120, "transport_needs": ["rail"], "needed_by": "2028-02-01"}
    return {"case_id": case_id, "code_name": f"Reiger-{n}", "demand": demand}


def case_opened(case: dict, *, time: datetime | None = None) -> CaseOpened:
    return CaseOpened.model_validate({
        "source": SOURCE, "subject": str(case["case_id"]), "time": time or datetime.now(UTC), "data": {
            "case_id": case["case_id"], "lead_id": uuid.uuid4(), "code_name": case["code_name"],
            "organisation": "oost-nl", "company_ref": "hash", "stage": "scale-up",
            "technology_domains": ["optical-systems-integrated-photonics"], "origin": ENSCHEDE_LOC,
            "demand": case["demand"], "investment_eur": 1e7, "investment_status": "estimated",
            "signalled_at": "2026-01-01T00:00:00+00:00"}})


def proposal(rank: int, site: str, municipality: str, province: str, region: str, score: float) -> dict:
    return {"rank": rank, "site_id": site, "site_name": f"Site {site}", "region": region, "province": province,
            "municipality_code": municipality, "own_region": region == "oost", "score": score,
            "contributions": {"space": score}}


ENSCHEDE_SITE = ("oost-kennispark", "GM0153", "Overijssel", "oost")
DELFT_SITE = ("west-delft-tech-park", "GM0503", "Zuid-Holland", "west")
EINDHOVEN_SITE = ("zuid-high-tech-campus", "GM0772", "Noord-Brabant", "zuid")
ROTTERDAM_SITE = ("west-rdm-rotterdam", "GM0599", "Zuid-Holland", "west")


def match_proposed(case: dict, *sites: tuple[tuple, float], time: datetime | None = None,
                   revision: int = 1) -> MatchProposed:
    props = [proposal(i + 1, *site, score) for i, (site, score) in enumerate(sites)]
    return MatchProposed.model_validate({
        "source": SOURCE, "subject": str(case["case_id"]), "time": time or quiet_time(), "data": {
            "case_id": case["case_id"], "code_name": case["code_name"],
            "technology_domains": ["optical-systems-integrated-photonics"], "origin_region": "oost",
            "proposals": props, "no_proposition": not props, "revision": revision,
            "blocking": {} if props else {"oost": ["grid_capacity"]},
            "blocking_details": {} if props else {
                "oost": ["grid: 3 of 3 sites cannot deliver 90 MW by 2027-06-01 (most there 5 MW)"]}}})


GROUP_BY_TOPIC = {event.topic: group for event, group, _ in CONSUMED}


async def publish(settings: NotificationsSettings, *events) -> list:
    """Publish one at a time, in order; returns where each landed, for `handled`."""
    landed = []
    for evt in events:
        landed += await produce(settings.kafka_bootstrap_servers, settings.topic(evt.topic), [evt.to_json()],
                                keys=[evt.key])
    return landed


async def handled(settings: NotificationsSettings, records: list) -> None:
    """Wait until notifications has handled these records (committed past them): their effects are stored."""
    for record in records:
        group = GROUP_BY_TOPIC[record.topic.removeprefix(settings.topic_prefix)]
        await consumed(settings.kafka_bootstrap_servers, settings.group(group), [record], timeout=30)


async def settled(app, settings: NotificationsSettings, records: list, *cases: dict) -> None:
    """Handled, and every mail these cases caused is sent or dead: nothing more will arrive for them."""
    from services.notifications.orm import delivery

    await handled(settings, records)

    async def final() -> bool:
        async with app.state.runtime.sessions() as session:
            statuses = (await session.execute(delivery.select().with_only_columns(delivery.c.status).where(
                delivery.c.case_id.in_([c["case_id"] for c in cases])))).scalars().all()
        return all(s in ("sent", "dead") for s in statuses)

    assert await eventually(final, timeout=30, interval=0.1), "mails of these cases are still on their way"


async def mails(smtp: Smtp, address_part: str, code_name: str, count: int, timeout: float = 20,
                subject: str = ""):
    """Wait until `count` mails to the address about the case (with `subject` in it) have arrived."""
    def found():
        return [m for m in smtp.inbox.to(address_part, code_name) if subject in m["Subject"]]

    got = await eventually(lambda: asyncio.sleep(0, len(found()) >= count), timeout=timeout, interval=0.1)
    assert got, f"{len(found())} of {count} mails to {address_part} for {code_name}"
    return found()


# ---- tests --------------------------------------------------------------------------------------------

async def test_proposal_reaches_relevant_municipalities_and_provinces_in_their_language(app, settings, smtp):
    case = new_case()
    sent = await publish(settings, case_opened(case), match_proposed(case, (ENSCHEDE_SITE, 0.8), (DELFT_SITE, 0.7),
                                                                    (EINDHOVEN_SITE, 0.3)))
    (enschede,) = await mails(smtp, "enschede.gemeente", case["code_name"], 1)
    (delft,) = await mails(smtp, "delft.gemeente", case["code_name"], 1)
    (overijssel,) = await mails(smtp, "overijssel.example", case["code_name"], 1)
    (zuid_holland,) = await mails(smtp, "zuid-holland.example", case["code_name"], 1)

    assert enschede["Subject"] == f"Locatievoorstel voor case {case['code_name']}"
    assert delft["Subject"] == f"Site proposal for case {case['code_name']}"
    assert overijssel["Subject"] == f"Locatievoorstel in uw provincie voor case {case['code_name']}"
    assert zuid_holland["Subject"] == f"Site proposal in your province for case {case['code_name']}"
    for msg, lang in ((enschede, "nl"), (overijssel, "nl"), (delft, "en"), (zuid_holland, "en")):
        assert msg["Content-Language"] == lang and msg["Message-ID"]
        assert msg.get_body(("plain",)) is not None and msg.get_body(("html",)) is not None
    # NDA-safe: ranges and quarters, never the figures.
    assert "2.000–5.000 m²" in text_of(enschede) and "1–2 MW" in text_of(enschede)
    assert "3e kwartaal 2027" in text_of(enschede) and "Geachte Gemeente Enschede" in text_of(enschede)
    assert "2,000–5,000 m²" in html_of(delft) and "Q3 2027" in html_of(delft)
    assert "Dear Gemeente Delft" in text_of(delft)
    assert "4000" not in text_of(enschede) + html_of(enschede) and "1.5" not in text_of(enschede)
    assert "Site west-delft-tech-park" in text_of(zuid_holland) and "Site oost-kennispark" not in text_of(delft)
    # Below the relevance threshold: Eindhoven and Noord-Brabant hear nothing.
    await settled(app, settings, sent, case)
    assert not smtp.inbox.to("eindhoven.gemeente", case["code_name"])
    assert not smtp.inbox.to("brabant.example", case["code_name"])


async def test_redelivered_events_send_nothing_twice(app, settings, smtp, client):
    case = new_case()
    events = [case_opened(case), match_proposed(case, (ENSCHEDE_SITE, 0.9))]
    await publish(settings, *events)
    await mails(smtp, "enschede.gemeente", case["code_name"], 1)
    await mails(smtp, "overijssel.example", case["code_name"], 1)
    before = len(smtp.inbox.messages)
    again = await publish(settings, *events, *events)  # the same events (same ids) twice more
    await settled(app, settings, again, case)
    assert len(smtp.inbox.messages) == before
    log = (await client.get("/deliveries", params={"case_id": str(case["case_id"])}, headers=COORDINATOR)).json()
    assert sorted(d["recipient_code"] for d in log) == ["GM0153", "PV23"]
    assert {d["status"] for d in log} == {"sent"}
    # Second guard: even past the processed-event key, (event, recipient, template) is recorded only once.
    runtime = app.state.runtime
    async with transaction(runtime.sessions) as session:
        await handlers.notify_about_proposal(app.state.deps.unit_of_work(session), events[1], deps=app.state.deps)
    again = (await client.get("/deliveries", params={"case_id": str(case["case_id"])}, headers=COORDINATOR)).json()
    assert [d["id"] for d in again] == [d["id"] for d in log]


async def test_identity_appears_only_after_consent_and_never_for_the_ministry(app, settings, smtp):
    secret, other = new_case(housing=True), new_case()
    name, kvk = SECRETS[secret["case_id"]]
    await publish(settings, case_opened(secret), case_opened(other),
                  match_proposed(secret, (ENSCHEDE_SITE, 0.9)), match_proposed(other, (ENSCHEDE_SITE, 0.9)))
    (before_consent,) = await mails(smtp, "enschede.gemeente", secret["code_name"], 1)
    await mails(smtp, "mirt@minez", secret["code_name"], 1)
    assert name not in before_consent.as_string() and "vertrouwelijk" in text_of(before_consent)

    # A version-1 event, its identity in the clear (as written before sealing): still read, upcast to version 2.
    consent = ConsentGranted.model_validate({"source": SOURCE, "subject": str(secret["case_id"]), "schemaversion": 1,
                                             "data": {"case_id": secret["case_id"], "company_name": name,
                                                      "kvk_number": kvk}})
    CONSENTED[secret["case_id"]] = (name, kvk, datetime.now(UTC))
    await handled(settings, await publish(settings, consent))  # it travels on its own topic: first let it land
    moved = {"case_id": secret["case_id"], "origin": ENSCHEDE_LOC, "destination": EINDHOVEN_LOC,
             "investment_retained_eur": 5e6, "investment_status": "estimated", "jobs": 40, "new_scale_up": True,
             "evidence_ref": "test"}
    await publish(settings, RelocationRealised.model_validate({"source": SOURCE, "subject": str(secret["case_id"]),
                                                               "data": moved}),
                  RelocationRealised.model_validate({"source": SOURCE, "subject": str(other["case_id"]),
                                                     "data": moved | {"case_id": other["case_id"]}}))
    for where in ("enschede.gemeente", "eindhoven.gemeente", "overijssel.example", "brabant.example"):
        mine = await mails(smtp, where, secret["code_name"], 1, subject="Vestiging")
        assert len(mine) == 1 and name in text_of(mine[0]) and kvk in html_of(mine[0]), where
        (theirs,) = await mails(smtp, where, other["code_name"], 1, subject="Vestiging")
        assert name not in theirs.as_string()
    (eindhoven,) = smtp.inbox.to("eindhoven.gemeente", secret["code_name"])
    assert "nieuwe vestigingsplaats" in text_of(eindhoven) and "25–50 FTE" in text_of(eindhoven)
    # A later housing signal to the ministry still carries no identity (checked by the leak scan too).
    update = LeadUpdated.model_validate({"source": SOURCE, "subject": str(secret["case_id"]), "data": {
        "lead_id": uuid.uuid4(), "case_id": secret["case_id"], "stage": "scale-up",
        "technology_domains": ["optical-systems-integrated-photonics"], "investment_eur": 1e7,
        "investment_status": "estimated", "eligible": True, "triage_reason": "ok", "changed": ["demand"],
        "demand": secret["demand"] | {"housing": {"staff_to_house": 400, "transport_needs": ["rail", "motorway"],
                                                  "needed_by": "2028-06-01"}}}})
    await publish(settings, update)
    signals = await mails(smtp, "mirt@minez", secret["code_name"], 2, subject="huisvesting")
    assert all(name not in m.as_string() for m in signals)
    assert "250–500 FTE" in text_of(signals[-1])


async def test_housing_demand_signals_province_and_ministry_once(app, settings, smtp):
    case = new_case(housing=True)
    await publish(settings, case_opened(case))
    (province,) = await mails(smtp, "overijssel.example", case["code_name"], 1)
    (mirt,) = await mails(smtp, "mirt@minez", case["code_name"], 1)
    assert province["Subject"] == f"Signaal huisvesting en bereikbaarheid voor case {case['code_name']}"
    assert "MIRT" in text_of(mirt) and "spoor" in text_of(mirt) and "100–250 FTE" in html_of(mirt)
    same = LeadUpdated.model_validate({"source": SOURCE, "subject": str(case["case_id"]), "data": {
        "lead_id": uuid.uuid4(), "case_id": case["case_id"], "stage": "scale-up",
        "technology_domains": ["optical-systems-integrated-photonics"], "demand": case["demand"],
        "investment_eur": 1e7, "investment_status": "estimated", "eligible": True, "triage_reason": "ok",
        "changed": ["investment_eur"]}})
    await settled(app, settings, await publish(settings, same), case)
    assert len(smtp.inbox.to("mirt@minez", case["code_name"])) == 1


async def test_no_proposition_anywhere_tells_the_coordinator(app, settings, smtp):
    case = new_case(mw=90)
    await publish(settings, case_opened(case), match_proposed(case))
    (mail,) = await mails(smtp, "coordinator@groeiruimte", case["code_name"], 1)
    assert mail["Subject"] == f"Geen propositie mogelijk voor case {case['code_name']}"
    assert "netcapaciteit: 3 van 3 locaties kunnen geen 90 MW leveren per 1 juni 2027 (het meeste daar: 5 MW)" \
        in text_of(mail)
    assert "50–100 MW" in text_of(mail)


async def test_over_budget_proposals_go_into_one_digest(app, settings, smtp):
    # Start well inside a budget period, so that all five land in the same one.
    into_period = datetime.now(UTC).timestamp() % PERIOD
    if into_period > PERIOD / 3:
        await asyncio.sleep(PERIOD - into_period + 0.1)
    now = datetime.now(UTC)
    cases = [new_case() for _ in range(5)]
    await publish(settings, *[case_opened(c) for c in cases])
    await publish(settings, *[match_proposed(c, (ROTTERDAM_SITE, 0.9), time=now) for c in cases])
    singles = await eventually(lambda: asyncio.sleep(0, [m for m in smtp.inbox.to("rotterdam.gemeente")
                                                         if any(c["code_name"] in m["Subject"] for c in cases)]),
                               timeout=20)
    digest = await eventually(lambda: asyncio.sleep(0, [m for m in smtp.inbox.to("rotterdam.gemeente")
                                                        if m["Subject"].startswith("Overzicht")
                                                        and any(c["code_name"] in text_of(m) for c in cases)]),
                              timeout=PERIOD + 15)
    singles = [m for m in smtp.inbox.to("rotterdam.gemeente") if any(c["code_name"] in m["Subject"] for c in cases)]
    assert len(singles) == BUDGET and len(digest) == 1
    (digest,) = digest
    assert digest["Subject"] == f"Overzicht: {5 - BUDGET} aanvullende locatievoorstel(len)"
    told = {c["code_name"] for c in cases if any(c["code_name"] in m["Subject"] for m in singles)
            or c["code_name"] in text_of(digest)}
    assert told == {c["code_name"] for c in cases}, "every proposal reached Rotterdam once"
    assert "2.000–5.000 m²" in text_of(digest) and digest.get_body(("html",)) is not None


async def test_rematch_tells_only_about_new_sites(app, settings, smtp):
    case = new_case()
    await publish(settings, case_opened(case), match_proposed(case, (ENSCHEDE_SITE, 0.9)))
    await mails(smtp, "enschede.gemeente", case["code_name"], 1)
    rematched = await publish(settings, match_proposed(case, (ENSCHEDE_SITE, 0.9), (DELFT_SITE, 0.8), revision=2))
    await mails(smtp, "delft.gemeente", case["code_name"], 1)
    await settled(app, settings, rematched, case)
    assert len(smtp.inbox.to("enschede.gemeente", case["code_name"])) == 1


async def test_smtp_outage_delays_mail_and_loses_none(app, settings, smtp, client):
    smtp.stop()
    cases = [new_case() for _ in range(3)]
    try:
        await publish(settings, *[e for c in cases for e in (case_opened(c), match_proposed(c, (DELFT_SITE, 0.9)))])

        async def delayed():
            log = (await client.get("/deliveries", params={"status": "pending", "recipient": "GM0503"},
                                    headers=COORDINATOR)).json()
            ours = [d for d in log if d["case_id"] in {str(c["case_id"]) for c in cases}]
            return len(ours) == 3 and all((d["last_error"] or "").startswith("connection:") and d["attempts"] >= 2
                                          for d in ours)

        # Each mail was tried again during the outage (the retry path, not only the first failure), and held back.
        assert await eventually(delayed, timeout=20), "mails were not held back during the outage"
    finally:
        smtp.start()
    for c in cases:
        assert len(await mails(smtp, "delft.gemeente", c["code_name"], 1)) == 1


async def test_permanent_refusal_is_dead_lettered_and_visible_to_the_coordinator(app, settings, smtp, client):
    put = await client.put("/recipients/GM0599", headers=COORDINATOR, json={
        "kind": "municipality", "name": "Gemeente Rotterdam", "email": "bounce@rotterdam.gemeente.example",
        "province": "PV28"})
    assert put.status_code == 200, put.text
    try:
        case = new_case()
        await publish(settings, case_opened(case), match_proposed(case, (ROTTERDAM_SITE, 0.9)))

        async def dead():
            return (await client.get("/deliveries", params={"status": "dead", "case_id": str(case["case_id"])},
                                     headers=COORDINATOR)).json()

        (row,) = await eventually(dead, timeout=20)
        assert row["recipient_code"] == "GM0599" and row["last_error"].startswith("550")
        summary = (await client.get("/deliveries/summary", headers=COORDINATOR)).json()
        assert {"template": "match_proposed", "status": "dead", "count": 1} in summary
        detail = (await client.get(f"/deliveries/{row['id']}", headers=COORDINATOR)).json()
        assert detail["body_text"] and detail["body_html"] and case["code_name"] in detail["subject"]
        await mails(smtp, "zuid-holland.example", case["code_name"], 1)  # the province still got its mail
    finally:
        await client.put("/recipients/GM0599", headers=COORDINATOR, json={
            "kind": "municipality", "name": "Gemeente Rotterdam", "email": "economie@rotterdam.gemeente.example",
            "province": "PV28"})


async def test_reply_link_and_api_record_an_answer_once_as_an_event(app, settings, smtp, client):
    case = new_case()
    await publish(settings, case_opened(case), match_proposed(case, (ENSCHEDE_SITE, 0.9)))
    (mail,) = await mails(smtp, "enschede.gemeente", case["code_name"], 1)
    url = re.search(r"http://notifications\.test(/replies/\S+)", text_of(mail)).group(1)

    form = await client.get(url)
    assert form.status_code == 200 and "<form" in form.text and 'value="oost-kennispark"' in form.text
    elsewhere = await client.post(url, data={"response": "offer", "site_id": "west-delft-tech-park"})
    assert elsewhere.status_code == 422 and elsewhere.json()["detail"][0]["field"] == "site_id"
    answer = {"response": "offer", "site_id": "oost-kennispark", "message": "Hal 3 is vrij\nper Q2"}
    first = await client.post(url, data=answer)
    again = await client.post(url, data=answer)
    assert first.status_code == again.status_code == 200 and "Dank u" in first.text
    forged = await client.post(url[:-3] + "abc", data=answer)
    assert forged.status_code == 403
    bad = await client.post(url, json={"response": "maybe"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "response"

    by_api = await client.post("/replies", headers={"Authorization": "Bearer overijssel"},
                               json={"case_id": str(case["case_id"]), "response": "decline", "message": "past niet"})
    assert by_api.status_code == 200 and by_api.json()["changed"] is True
    stranger = await client.post("/replies", headers={"Authorization": "Bearer delft"},
                                 json={"case_id": str(case["case_id"]), "response": "offer"})
    assert stranger.status_code == 404
    assert (await client.post("/replies", headers=COORDINATOR, json={
        "case_id": str(case["case_id"]), "response": "offer"})).status_code == 403

    # The coordinator reads the answers per case (the workbench's case page); the recipients themselves do not.
    read = (await client.get(f"/cases/{case['case_id']}/replies", headers=COORDINATOR)).json()
    assert [(r["recipient_code"], r["response"], r["site_id"]) for r in read] == [
        ("PV23", "decline", None), ("GM0153", "offer", "oost-kennispark")]
    assert read[1]["message"] == answer["message"] and read[1]["via"] == "link" and read[1]["recipient_name"]
    for other in (ENSCHEDE, {"Authorization": "Bearer rom"}):
        assert (await client.get(f"/cases/{case['case_id']}/replies", headers=other)).status_code == 403

    # Every recorded reply is on Kafka once the outbox holds nothing unpublished: then count them all.
    assert await eventually(lambda: _nothing_unpublished(app), timeout=30, interval=0.1)
    records = await collect_all(settings.kafka_bootstrap_servers, settings.topic(RecipientReplied.topic))
    ours = [e for e in (RecipientReplied.from_json(r.value) for r in records) if e.data.case_id == case["case_id"]]
    assert sorted((e.data.recipient, e.data.response) for e in ours) == [("GM0153", "offer"), ("PV23", "decline")]
    assert next(e for e in ours if e.data.recipient == "GM0153").data.message == answer["message"]


async def _nothing_unpublished(app) -> bool:
    return await app.state.runtime.outbox.unpublished() == 0


async def test_directory_api_validates_and_survives_a_reload(app, settings, client):
    entry = {"kind": "municipality", "name": "Gemeente Hengelo", "email": "economie@hengelo.example",
             "language": "en", "province": "Overijssel"}
    assert (await client.put("/recipients/GM0164", json=entry, headers=ENSCHEDE)).status_code == 403
    assert (await client.put("/recipients/GM0164", json=entry)).status_code == 401
    cases = {
        "name": {**entry, "name": "Hengelo\r\nBcc: everyone@example.org"},
        "email": {**entry, "email": "economie@hengelo.example\nBcc: x@y.example"},
        "province": {**entry, "province": "Atlantis"},
    }
    for field, body in cases.items():
        r = await client.put("/recipients/GM0164", json=body, headers=COORDINATOR)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["field"] == field, r.text
    bad_email = await client.put("/recipients/GM0164", json={**entry, "email": "not an address"}, headers=COORDINATOR)
    assert bad_email.status_code == 422 and "email" in bad_email.text
    wrong_code = await client.put("/recipients/PV99", json=entry, headers=COORDINATOR)
    assert wrong_code.status_code == 422 and "does not fit kind" in wrong_code.text

    ok = await client.put("/recipients/GM0164", json=entry, headers=COORDINATOR)
    assert ok.status_code == 200 and ok.json()["province"] == "PV23" and ok.json()["source"] == "api"
    edited = await client.put("/recipients/GM0153", headers=COORDINATOR, json={
        "kind": "municipality", "name": "Gemeente Enschede", "email": "economie@enschede.gemeente.example",
        "language": "nl", "province": "PV23"})
    assert edited.status_code == 200
    from services.notifications.bootstrap import load_directory_file

    await load_directory_file(app.state.runtime, settings=settings)
    await load_directory_file(app.state.runtime, settings=settings)
    listed = {r["code"]: r for r in (await client.get("/recipients", headers=COORDINATOR)).json()}
    assert listed["GM0164"]["language"] == "en" and listed["GM0153"]["source"] == "api"
    one = await client.get("/recipients/PV31", headers=COORDINATOR)
    assert one.json()["name"] == "Provincie Limburg" and one.json()["source"] == "file"
    assert (await client.get("/recipients/GM0000", headers=COORDINATOR)).status_code == 404
    assert {"PV20", "PV31", "COORDINATOR", "MIRT-EZ"} <= set(listed)
    assert (await client.delete("/recipients/GM0164", headers=COORDINATOR)).status_code == 204
    listed = {r["code"]: r for r in (await client.get("/recipients", headers=COORDINATOR)).json()}
    assert listed["GM0164"]["active"] is False


async def test_events_of_a_case_may_arrive_in_any_order(app, settings, smtp):
    # The proposal overtakes its case-opened: the mail waits for the case's details instead of going without.
    case = new_case()
    await handled(settings, await publish(settings, match_proposed(case, (DELFT_SITE, 0.9))))
    assert not smtp.inbox.to("delft.gemeente", case["code_name"])
    await publish(settings, case_opened(case))
    (mail,) = await mails(smtp, "delft.gemeente", case["code_name"], 1)
    assert "2,000–5,000 m²" in text_of(mail)

    # A newer lead-updated overtakes an older case-opened: the newer demand wins, and is signalled once.
    other = new_case(housing=True)
    opened_at = datetime.now(UTC) - timedelta(minutes=5)
    newer = other["demand"] | {"housing": {"staff_to_house": 400, "transport_needs": ["port"],
                                           "needed_by": "2028-06-01"}}
    subject = str(other["case_id"])
    updated = await publish(settings, LeadUpdated.model_validate({"source": SOURCE, "subject": subject, "data": {
        "lead_id": uuid.uuid4(), "case_id": other["case_id"], "stage": "scale-up", "demand": newer,
        "technology_domains": ["optical-systems-integrated-photonics"], "investment_eur": 1e7,
        "investment_status": "estimated", "eligible": True, "triage_reason": "ok", "changed": ["demand"]}}))
    await handled(settings, updated)
    opened = await publish(settings, case_opened(other, time=opened_at))
    (signal,) = await mails(smtp, "mirt@minez", other["code_name"], 1)
    assert "250–500 FTE" in text_of(signal) and "haven" in text_of(signal)
    await settled(app, settings, opened, other)
    assert len(smtp.inbox.to("mirt@minez", other["code_name"])) == 1


async def test_a_row_recorded_before_send_time_rendering_is_sent_as_stored(app, smtp):
    from services.notifications.orm import delivery

    event_id = uuid.uuid4()
    async with transaction(app.state.runtime.sessions) as session:
        await session.execute(delivery.insert().values(
            event_id=event_id, case_id=uuid.uuid4(), recipient="legacy@enschede.gemeente.example",
            template="match_proposed", message_id=f"<{event_id.hex}@groeiruimte.example>",
            subject="Locatievoorstel voor case Oude-Reiger", body_text="tekst", body_html="<p>html</p>"))
    (mail,) = await mails(smtp, "legacy@enschede", "Oude-Reiger", 1)
    assert text_of(mail).strip() == "tekst" and "<p>html</p>" in html_of(mail)


async def test_a_code_name_with_a_line_break_is_dead_lettered_with_the_reason(app, settings, smtp):
    case = new_case()
    case["code_name"] = "Reiger\r\nBcc: everyone@example.org"
    good = new_case()
    await publish(settings, match_proposed(case, (ENSCHEDE_SITE, 0.9)), case_opened(good),
                  match_proposed(good, (ENSCHEDE_SITE, 0.9)))
    records = await collect(settings.kafka_bootstrap_servers, settings.topic("match-proposed.dlq"), until=1, timeout=20)
    (dead,) = [r for r in records if str(case["case_id"]).encode() in r.value]
    assert "header injection" in dict(dead.headers)["dlq-reason"].decode()
    await mails(smtp, "enschede.gemeente", good["code_name"], 1)  # the pipeline carried on
    assert not [m for m in smtp.inbox.messages if "everyone@example.org" in m.as_string()]
