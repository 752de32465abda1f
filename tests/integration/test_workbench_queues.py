"""The coordinator's queues on real PostgreSQL (sessions, CSRF, audit): the look-alike names, a case's mails and
replies, the cases without a proposition anywhere; and who is refused.

The services are stood in for by a transport that checks the person token and answers 403 to anyone but a
coordinator, as intake, notifications and matching do (their own tests cover those APIs; the browser test
walks the real stack).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.workbench import repository
from services.workbench.config import WorkbenchSettings
from shared.auth import PersonTokens, verify_person_token
from tests import workbench_stand_ins as stand_ins

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
PASSWORD = "a password long enough"
PEOPLE = {"marit": ("coordinator", "taskforce"), "anna": ("rom", "oost-nl"), "gemma": ("municipality", "GM0153")}
NOW = datetime.now(UTC)


def at(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).isoformat()


class Services:
    """What intake, notifications and matching answer for one case and one look-alike pair; the decisions sent."""

    def __init__(self, settings: WorkbenchSettings) -> None:
        self.secret = settings.person_token_secret.get_secret_value()
        self.case, self.review = str(uuid.uuid4()), 4711
        self.decisions: list[tuple[str, dict]] = []

    def side(self, org: str, name: str, kvk: str, case: str | None) -> dict:
        return {"lead_id": str(uuid.uuid4()), "organisation": org, "reference": f"{org}-1", "company_name": name,
                "kvk_number": kvk, "signalled_at": at(5), "case_id": case, "code_name": "Opaal 7" if case else None}

    def answer(self, request: httpx.Request) -> httpx.Response:
        service = {8001: "intake", 8002: "matching", 8003: "notifications"}[request.url.port]
        caller = verify_person_token(request.headers["authorization"].removeprefix("Bearer "),
                                     PersonTokens(secret=self.secret, audience=service))
        if caller.role != "coordinator":
            return httpx.Response(403, json={"detail": "not allowed"})
        found = self.route(service, request.method, request.url.path, request)
        return httpx.Response(200, json=found) if found is not None else httpx.Response(404, json={"detail": "no"})

    def route(self, service: str, method: str, path: str, request: httpx.Request):
        case = self.case
        if (service, method, path) == ("intake", "GET", "/reviews"):
            return [{"id": self.review, "lead_id": "x", "similar_lead_id": "y", "similarity": 0.91, "status": "open",
                     "created_at": at(1), "lead": self.side("bom", "Fotonica Delta bv", "87654321", None),
                     "similar_lead": self.side("oost-nl", "Fotonica Delta B.V.", "12345678", case)}]
        if (service, method, path) == ("intake", "POST", f"/reviews/{self.review}/decision"):
            import json
            self.decisions.append((caller_name(request, self.secret), json.loads(request.content)))
            return {"id": self.review}
        if (service, path) == ("intake", f"/cases/{case}"):
            return {"case_id": case, "code_name": "Opaal 7"}
        if (service, path) == ("notifications", "/deliveries"):
            line = {"event_id": str(uuid.uuid4()), "case_id": case, "recipient": "x@example.nl", "subject": "s",
                    "next_attempt_at": at(-0.5), "message_id": "<m>", "template": "match_proposed"}
            return [line | {"id": 1, "recipient_code": "GM0153", "status": "sent", "attempts": 1, "last_error": None,
                            "created_at": at(3), "sent_at": at(3)},
                    line | {"id": 2, "recipient_code": "GM0363", "status": "pending", "attempts": 2,
                            "last_error": "421 try later", "created_at": at(2), "sent_at": None},
                    line | {"id": 3, "recipient_code": "PV23", "status": "dead", "attempts": 6,
                            "last_error": "550 no such mailbox", "created_at": at(4), "sent_at": None}]
        if (service, path) == ("notifications", f"/cases/{case}/replies"):
            return [{"case_id": case, "recipient_code": "GM0153", "recipient_name": "Gemeente Enschede",
                     "site_id": "oost-kennispark", "response": "offer", "message": "Hal 3 is vrij per Q2",
                     "via": "link", "created_at": at(1), "updated_at": at(1)}]
        if (service, path) == ("notifications", "/recipients"):
            return [{"code": "GM0153", "name": "Gemeente Enschede"}, {"code": "GM0363", "name": "Gemeente Amsterdam"},
                    {"code": "PV23", "name": "Provincie Overijssel"}]
        if (service, path) == ("matching", "/cases/without-proposition"):
            return [{"case_id": case, "code_name": "Opaal 7", "revision": 2, "proposed_at": at(30),
                     "origin_region": "oost", "blocking": {"zuid": ["grid_capacity"], "oost": ["floor_space"]},
                     "blocking_details": {"zuid": ["grid: 3 of 3 sites cannot deliver 8 MW by 2027-06-01"]},
                     "blocking_facts": {"zuid": [{"constraint": "grid_capacity", "sites_failing": 3, "sites": 3,
                                                  "needed": 8.0, "best_offered": 6.0, "needed_by": "2027-06-01"}]},
                     "near_misses": [{"site_name": "Brainport Park", "region": "zuid", "failed": ["grid_capacity"],
                                      "counterfactuals": ["qualifies with +2 MW by 2027-06"],
                                      "shortfalls": [{"constraint": "grid_capacity", "needed": 8.0, "offered": 6.0,
                                                      "needed_by": "2027-06-01"}]}]}]
        return None


def caller_name(request: httpx.Request, secret: str) -> str:
    token = request.headers["authorization"].removeprefix("Bearer ")
    return verify_person_token(token, PersonTokens(secret=secret, audience="intake")).person


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    return stand_ins.accounts_file(tmp_path_factory.mktemp("queues"), PEOPLE, PASSWORD)


@pytest.fixture
async def app(database_url, accounts_file):
    async with stand_ins.stand_in_workbench(database_url, accounts_file, Services) as app:
        yield app


async def csrf_of(browser: httpx.AsyncClient, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', (await browser.get(path)).text).group(1)


@contextlib.asynccontextmanager
async def signed_in(app, username: str):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://workbench") as browser:
        token = await csrf_of(browser, "/sign-in")
        answer = await browser.post("/sign-in", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 303, answer.text
        yield browser


async def actions(app, username: str) -> list[tuple[str, str, str]]:
    async with app.state.deps.db() as session:
        return [(r.action, r.outcome, r.target) for r in reversed(await repository.audit_trail(session,
                                                                                             username=username))]


async def test_the_coordinator_decides_a_look_alike_pair_through_intake_and_it_is_audited(app):
    services = app.state.services
    async with signed_in(app, "marit") as marit:
        page = (await marit.get("/reviews")).text
        assert "Gelijkende namen" in page and "91% gelijk" in page
        assert "Fotonica Delta bv" in page and "87654321" in page and f'href="/cases/{services.case}"' in page
        path = f"/reviews/{services.review}/decision"
        token = await csrf_of(marit, "/reviews")
        unchosen = await marit.post(path, data={"note": "nog twijfel", "csrf_token": token})
        assert unchosen.status_code == 422 and f'id="review-{services.review}-decision-error"' in unchosen.text
        assert "nog twijfel" in unchosen.text and services.decisions == []  # nothing sent, what was typed kept
        decided = await marit.post(path, data={"decision": "same-company", "note": "zelfde lab",
                                               "csrf_token": token})
        assert decided.status_code == 303 and decided.headers["location"] == "/reviews?notice=review-decided"
        assert "Het besluit is vastgelegd in de intake." in (await marit.get(decided.headers["location"])).text
        english = (await marit.get("/reviews?lang=en")).text
        assert "Yes, one company" in english and "Look-alike names" in english
    assert services.decisions == [("marit", {"decision": "same-company", "note": "zelfde lab"})]
    assert [a for a in await actions(app, "marit") if a[0] == "review-decided"] == [
        ("review-decided", "refused", str(services.review)), ("review-decided", "done", str(services.review))]


async def test_a_case_shows_its_mails_with_their_states_and_the_replies(app):
    case = app.state.services.case
    async with signed_in(app, "marit") as marit:
        page = await marit.get(f"/cases/{case}/mail")
        assert page.status_code == 200
        rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", page.text, re.S)
        text = " ".join(rows)
        assert "Gemeente Amsterdam" in text and "Wordt opnieuw geprobeerd" in text and "421 try later" in text
        assert "Provincie Overijssel" in text and "Mislukt" in text and "550 no such mailbox" in text
        assert "Verzonden" in text and "Voorstel" in text
        assert "Aanbod" in text and "Hal 3 is vrij per Q2" in text and "oost-kennispark" in text
        assert len(rows) == 4  # three mails and one reply
    assert ("delivery-log-viewed", "done", case) in await actions(app, "marit")


async def test_the_cases_without_a_proposition_say_what_blocked_each_region_own_region_first(app):
    async with signed_in(app, "marit") as marit:
        page = (await marit.get("/no-proposition")).text
        assert "<h1>Nergens een propositie</h1>" in page and "Opaal 7" in page
        assert page.index("Oost") < page.index("Zuid")  # the company's own region comes first
        assert "Te weinig netcapaciteit" in page and "kunnen geen 8 MW leveren vóór 1 jun 2027" in page
        assert "cannot deliver 8 MW" not in page  # matching's sentence, for API users
        assert "Brainport Park" in page and "komt in aanmerking met +2 MW vóór jun 2027" in page
        assert "+2 MW by 2027-06" not in page  # matching's English sentence: for API users, not this page


@pytest.mark.parametrize("username", ["anna", "gemma"])
async def test_a_rom_or_a_municipality_gets_none_of_the_queues(app, username):
    case = app.state.services.case
    async with signed_in(app, username) as other:
        for path in ("/reviews", f"/cases/{case}/mail", "/no-proposition"):
            assert (await other.get(path)).status_code == 403, path
        token = await csrf_of(other, "/sign-in")
        posted = await other.post(f"/reviews/{app.state.services.review}/decision",
                                  data={"decision": "same-company", "csrf_token": token})
        assert posted.status_code == 403
    assert app.state.services.decisions == []
    assert ("page-refused", "refused", "/reviews") in await actions(app, username)


async def test_a_review_decision_without_its_csrf_token_is_refused(app):
    async with signed_in(app, "marit") as marit:
        answer = await marit.post(f"/reviews/{app.state.services.review}/decision", data={"decision": "same-company"})
        assert answer.status_code == 403 and "Het formulier is verlopen" in answer.text
    assert app.state.services.decisions == []
