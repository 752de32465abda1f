"""The taskforce's case work on real PostgreSQL: owners, notes, follow-ups, the timeline export, and who is refused.

The other services are stood in for by a small transport that answers as intake, matching and notifications do
for one case (intake lets only a coordinator's person token in); the whole system is walked in the browser test.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.workbench import accounts, repository
from services.workbench import casework_repository as store
from services.workbench.app import create_app
from services.workbench.casework import today
from services.workbench.config import WorkbenchSettings
from shared.auth import PersonTokens, verify_person_token
from shared.db import transaction

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
PASSWORD = "a password long enough"
PEOPLE = {"marit": ("coordinator", "taskforce"), "joost": ("coordinator", "taskforce"), "anna": ("rom", "oost-nl"),
          "gemma": ("municipality", "GM0153"), "mia": ("ministry", "ministry")}


def dossier(case: str) -> dict:
    opened = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    return {"case_id": case, "code_name": "Opaal 7", "case_status": "open", "opened_at": opened, "outcome": None,
            "consent_granted_at": None, "company": {"name": "Fotonica B.V.", "kvk_number": "12345678"},
            "origins": [{"organisation": "oost-nl", "reference": "R-1", "joined_at": opened}],
            "lead": {"stage": "scale-up", "technology_domains": [], "sector": None, "demand": {},
                     "location": {"municipality_code": "GM0153", "province": "PV23", "region": "oost"}}}


def board_line(case: str, code_name: str = "Opaal 7", region: str = "oost", days: float = 3) -> dict:
    opened = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    return {"case_id": case, "code_name": code_name, "case_status": "open", "opened_at": opened, "region": region,
            "stage": "scale-up", "origins": 1}


def board_search(lines: list[dict], query: dict) -> dict:
    """Intake's POST /cases/search over `lines` (oldest first), as far as these tests ask it."""
    kept = [line for line in lines if (not query.get("region") or line["region"] == query["region"])
            and (query.get("case_ids") is None or line["case_id"] in query["case_ids"])
            and line["case_id"] not in query.get("except_case_ids", [])]
    page = kept[query["offset"]:query["offset"] + query["limit"]]
    return {"kept": len(kept), "open_cases": len(lines), "cases": page}


def services(settings: WorkbenchSettings, case: str, lines: list[dict] | None = None,
             asked: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """Intake, matching and notifications for one case (or the board `lines`), deciding about the person as
    intake does; every request lands in `asked`."""
    secret = settings.person_token_secret.get_secret_value()
    lines = [board_line(case)] if lines is None else lines

    def answer(request: httpx.Request) -> httpx.Response:
        service = {8001: "intake", 8002: "matching", 8003: "notifications"}[request.url.port]
        caller = verify_person_token(request.headers["authorization"].removeprefix("Bearer "),
                                     PersonTokens(secret=secret, audience=service))
        if caller.role != "coordinator":
            return httpx.Response(403, json={"detail": "not allowed"})
        path = request.url.path
        if asked is not None:
            asked.append(request)
        if service == "intake" and path == "/cases/search" and request.method == "POST":
            return httpx.Response(200, json=board_search(lines, json.loads(request.content)))
        if service == "intake" and path == f"/cases/{case}":
            return httpx.Response(200, json=dossier(case))
        if service == "matching" and path == "/cases":
            return httpx.Response(200, json=[])
        if service == "notifications" and path == "/deliveries":
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"detail": "not found"})

    return httpx.MockTransport(answer)


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("casework") / "accounts.json"
    for username, (role, organisation) in PEOPLE.items():
        accounts.create(path, username=username, name=username.title(), role=role, organisation=organisation,
                        password=PASSWORD, email=f"{username}@example.nl")
    return path


@pytest.fixture
def case() -> str:
    """A case of its own for each test (the database is the run's)."""
    return str(uuid.uuid4())


@pytest.fixture
async def app(database_url, accounts_file, case):
    settings = WorkbenchSettings(database_url=database_url, accounts_file=accounts_file)
    app = create_app(settings)
    deps = app.state.deps
    deps.upstream.client = httpx.AsyncClient(transport=services(settings, case))
    yield app
    await deps.upstream.client.aclose()
    await deps.close()


def browser_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://workbench")


async def csrf_of(browser: httpx.AsyncClient, path: str) -> str:
    page = (await browser.get(path)).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@contextlib.asynccontextmanager
async def signed_in(app, username: str):
    async with browser_for(app) as browser:
        token = await csrf_of(browser, "/sign-in")
        answer = await browser.post("/sign-in", data={"username": username, "password": PASSWORD,
                                                      "csrf_token": token})
        assert answer.status_code == 303, answer.text
        yield browser


async def post(browser: httpx.AsyncClient, path: str, data: dict, *, token_from: str = "/sign-in"):
    return await browser.post(path, data=data | {"csrf_token": await csrf_of(browser, token_from)})


async def trail(app, username: str, case: str) -> list[tuple[str, str, str]]:
    """What this person did to this case, oldest first (reading it aside)."""
    async with app.state.deps.db() as session:
        rows = reversed(await repository.audit_trail(session, username=username))
        return [(r.action, r.outcome, r.target) for r in rows
                if r.target.startswith(case) and r.action != "case-viewed"]


def note(text: str = "Gebeld met de CFO over de planning.", **more) -> dict:
    return {"contact": "company", "contact_on": today().isoformat(), "text": text} | more


async def test_a_coordinator_assigns_and_hands_over_and_the_board_filters_by_owner(app, case):
    async with signed_in(app, "marit") as marit:
        assert "Nog niemand" in (await marit.get(f"/cases/{case}")).text
        refused = await post(marit, f"/cases/{case}/owner", {"owner": "anna"})  # a ROM's person owns no case
        assert refused.status_code == 422
        assert 'id="owner-error"' in refused.text and "Alleen een coördinator" in refused.text
        assigned = await post(marit, f"/cases/{case}/owner", {"owner": "marit"})
        assert assigned.status_code == 303
        mine = await marit.get("/board", params={"owner": "marit"})
        assert "Opaal 7" in mine.text
        assert "Opaal 7" not in (await marit.get("/board", params={"owner": "-"})).text
        assert (await post(marit, f"/cases/{case}/owner", {"owner": "joost"})).status_code == 303  # hand over
        assert "Opaal 7" not in (await marit.get("/board", params={"owner": "marit"})).text
        assert "Opaal 7" in (await marit.get("/board", params={"owner": "joost"})).text
        page = (await marit.get(f"/cases/{case}")).text
        assert "Joost is eigenaar van deze casus" in page
    assert await trail(app, "marit", case) == [("case-assigned", "refused", case), ("case-assigned", "done", case),
                                         ("case-assigned", "done", case)]


async def test_a_note_is_kept_beside_the_events_editable_only_by_its_author_and_audited(app, case):
    async with signed_in(app, "marit") as marit, signed_in(app, "joost") as joost:
        empty = await post(marit, f"/cases/{case}/notes", note(text="", contact="", contact_on="morgen"))
        assert empty.status_code == 422
        for field in ("note-contact", "note-contact_on", "note-text"):
            assert f'id="{field}-error"' in empty.text, field
        assert 'href="#note-text"' in empty.text  # the summary links to the field
        saved = await post(marit, f"/cases/{case}/notes", note())
        assert saved.status_code == 303
        page = (await marit.get(f"/cases/{case}")).text
        assert "Gebeld met de CFO" in page and "Alleen taskforce" in page
        note_id = re.search(rf"/cases/{case}/notes/([0-9a-f-]+)/edit", page).group(1)

        other = (await joost.get(f"/cases/{case}")).text
        assert "Gebeld met de CFO" in other and f"/notes/{note_id}/edit" not in other  # read, not change
        assert (await joost.get(f"/cases/{case}/notes/{note_id}/edit")).status_code == 403
        hijack = await post(joost, f"/cases/{case}/notes/{note_id}", note(text="Overschreven"))
        assert hijack.status_code == 403
        async with transaction(app.state.deps.db) as session:  # the statement itself changes only the author's
            assert not await store.edit_note(session, note_id=uuid.UUID(note_id), author="joost", contact="other",
                                             contact_on=today(), text="Overschreven", now=datetime.now(UTC))

        edited = await post(marit, f"/cases/{case}/notes/{note_id}", note(text="Gebeld; offerte volgt."))
        assert edited.status_code == 303
        assert "Gebeld; offerte volgt." in (await marit.get(f"/cases/{case}")).text
        assert "Overschreven" not in (await marit.get(f"/cases/{case}")).text
    target = f"{case}/{note_id}"
    assert await trail(app, "marit", case) == [("note-created", "done", target), ("note-edited", "done", target)]
    assert await trail(app, "joost", case) == [("note-edited", "refused", target), ("note-edited", "refused", target)]


@pytest.mark.parametrize("username", ["anna", "gemma", "mia"])
async def test_rom_municipality_and_ministry_see_and_post_no_case_work(app, case, username):
    async with signed_in(app, "marit") as marit:
        await post(marit, f"/cases/{case}/notes", note(text="Vertrouwelijk gesprek"))
        await post(marit, f"/cases/{case}/reminders", {"due_on": today().isoformat(), "text": "Nabellen"})
        page = (await marit.get(f"/cases/{case}")).text
        note_id = re.search(rf"/cases/{case}/notes/([0-9a-f-]+)/edit", page).group(1)
    async with signed_in(app, username) as outsider:
        assert (await post(outsider, f"/cases/{case}/notes/{note_id}", note(text="x"))).status_code in (403, 404)
        for path in (f"/cases/{case}", f"/cases/{case}/timeline", f"/cases/{case}/timeline.csv", "/board",
                     f"/cases/{case}/notes/{note_id}/edit"):
            answer = await outsider.get(path)
            assert answer.status_code in (403, 404), path
            assert "Vertrouwelijk gesprek" not in answer.text and "Nabellen" not in answer.text
        for path, data in ((f"/cases/{case}/notes", note()), (f"/cases/{case}/owner", {"owner": username}),
                           (f"/cases/{case}/reminders", {"due_on": today().isoformat(), "text": "x"})):
            assert (await post(outsider, path, data)).status_code in (403, 404), path
    async with app.state.deps.db() as session:
        assert [n.author for n in await store.notes(session, uuid.UUID(case))] == ["marit"]
        assert await store.owner_of(session, uuid.UUID(case)) is None


async def test_case_work_posted_without_a_csrf_token_is_refused(app, case):
    async with signed_in(app, "marit") as marit:
        for path, data in ((f"/cases/{case}/notes", note()), (f"/cases/{case}/owner", {"owner": "marit"}),
                           (f"/cases/{case}/reminders", {"due_on": today().isoformat(), "text": "x"})):
            answer = await marit.post(path, data=data)
            assert answer.status_code == 403 and "verlopen" in answer.text, path
        assert "Nog niemand" in (await marit.get(f"/cases/{case}")).text


async def test_a_follow_up_shows_due_and_overdue_on_the_board_until_it_is_done(app, case):
    async with signed_in(app, "marit") as marit:
        past = await post(marit, f"/cases/{case}/reminders", {"due_on": "2020-01-01", "text": "Te laat"})
        assert past.status_code == 422 and 'id="reminder-due_on-error"' in past.text
        assert 'value="Te laat"' in past.text  # what was typed stays
        assert (await post(marit, f"/cases/{case}/reminders",
                           {"due_on": today().isoformat(), "text": "Offerte nabellen"})).status_code == 303
        board = (await marit.get("/board")).text
        assert today().isoformat() in board and "Vandaag" in board
        async with app.state.deps.db() as session:  # a day later, the same reminder is overdue
            (reminder,) = await store.reminders(session, uuid.UUID(case))
        assert reminder.state(today() + timedelta(days=1)) == "overdue"
        done = await post(marit, f"/cases/{case}/reminders/{reminder.id}/done", {})
        assert done.status_code == 303
        assert today().isoformat() not in (await marit.get("/board")).text
    actions = [a for a, _, _ in await trail(app, "marit", case)]
    assert actions == ["reminder-created", "reminder-done"]


async def test_the_timeline_exports_as_csv_with_dutch_headers_and_the_export_is_audited(app, case):
    async with signed_in(app, "marit") as marit:
        await post(marit, f"/cases/{case}/notes", note(text="=HYPERLINK(\"x\") gesprek"))
        exported = await marit.get(f"/cases/{case}/timeline.csv")
        assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
        assert 'filename="tijdlijn-Opaal-7.csv"' in exported.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(exported.text.removeprefix("\ufeff")), delimiter=";"))
        assert rows[0] == ["Datum en tijd", "Soort", "Wat", "Toelichting", "Door"]
        kinds = [r[1] for r in rows[1:]]
        assert kinds == ["Casus geopend", "Gesignaleerd door", "Notitie: contact met het bedrijf"]
        assert rows[3][2] == "'=HYPERLINK(\"x\") gesprek" and rows[3][4] == "marit"  # no formula runs
        english = await marit.get(f"/cases/{case}/timeline.csv", params={"lang": "en"})
        assert english.text.removeprefix("\ufeff").startswith("Date and time;Kind;What;Detail;By")
        printable = await marit.get(f"/cases/{case}/timeline")
        assert printable.status_code == 200 and "Tijdlijn van casus Opaal 7" in printable.text
    exports = [t for a, _, t in await trail(app, "marit", case) if a == "timeline-exported"]
    assert exports == [case, case, case]


async def test_page_two_of_a_filtered_board_shows_its_cases_and_asks_matching_only_about_them(database_url,
                                                                                                accounts_file):
    """150 open cases, 120 of them in the east: page 2 of the east holds the 21st to 120th oldest of the east;
    the workbench asked intake for that page with the filter, and matching only for its ids."""
    lines = [board_line(str(uuid.uuid4()), f"Casus {n:03d}", "oost" if n % 5 else "west", days=200 - n)
             for n in range(150)]
    east = [line for line in lines if line["region"] == "oost"]
    asked: list[httpx.Request] = []
    settings = WorkbenchSettings(database_url=database_url, accounts_file=accounts_file)
    app = create_app(settings)
    app.state.deps.upstream.client = httpx.AsyncClient(transport=services(settings, "", lines, asked))
    try:
        async with signed_in(app, "marit") as marit:
            asked.clear()
            page = (await marit.get("/board", params={"region": "oost", "page": 2})).text
    finally:
        await app.state.deps.upstream.client.aclose()
        await app.state.deps.close()
    shown = re.findall(r"Casus \d{3}", page)
    assert shown == [line["code_name"] for line in east[100:]]
    assert "Casus 000" not in page and "Casus 005" not in page  # page 1's and the west's
    query = json.loads(next(r for r in asked if r.url.path == "/cases/search").content)
    assert (query["region"], query["offset"], query["limit"], query["order"]) == ("oost", 100, 100, "oldest")
    matching = [r for r in asked if r.url.port == 8002]
    assert [r.url.params.get_list("case_id") for r in matching] == [[line["case_id"] for line in east[100:]]]
