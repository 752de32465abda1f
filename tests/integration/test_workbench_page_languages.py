"""Every page of the workbench in Dutch and in English, with no sentence of the other language on it.

The services are stood in for by a transport whose answers are made by the services' own code where it writes
words: matching's domain matches a case (proposals with their English explanations and their facts, near misses,
what blocked a region), intake's triage and CSV parser judge leads, matching's importer judges a file of sites, and
the services' own models refuse a bad decision and a bad outcome (shared.http's 422 entries). The walk then checks
each page: the Dutch one holds none of those English sentences and no English text of the workbench's own catalogue;
the English one no Dutch text of the catalogue. The workbench's own tables are real (PostgreSQL): sessions, CSRF,
case work.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from babel.messages.pofile import read_po
from pydantic import ValidationError

from services.workbench.config import WorkbenchSettings
from services.workbench.i18n import catalogue_path
from shared.auth import PersonTokens, verify_person_token
from shared.contracts.events import LeadSignalledData
from shared.http import field_errors
from tests import workbench_stand_ins as stand_ins

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
PASSWORD = "a password long enough"
PEOPLE = {"marit-lang": ("coordinator", "taskforce"), "anna-lang": ("rom", "oost-nl"),
          "gemma-lang": ("municipality", "GM0153")}
NOW = datetime.now(UTC)
# Where a service's answer holds English words meant for people (other clients read them; no page may show them).
SENTENCE_KEYS = {"reason", "explanations", "counterfactuals", "blocking_details", "triage_reason", "missing_data",
                 "region_label", "detail"}


def at(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).isoformat()


def _match() -> dict:
    """matching's stored match for a case, made by its domain: a rich proposal, near misses, blocked regions."""
    from tests.unit.test_matching_domain import case, run, site
    need = {"needed_by": "2027-06-01"}
    demand = case(capital={"facility": "own"} | need, talent={"fte_mbo": 50, "fte_hbo": 10} | need,
                  housing={"staff_to_house": 30, "transport_needs": ["rail", "port"]} | need)
    result = run(demand, [site("rich-park", largest_lot_m2=3000, housing_pressure=0.8, labour_market_tightness=1.4,
                               grid_congestion="congested"),
                          site("grid-park", grid_mw_available=1.5), site("floor-park", floor_space_m2=3_500),
                          site("zuid-park", region="zuid", province="Noord-Brabant", municipality_code="GM0772",
                               grid_mw_available=1.0)], near_n=3)
    assert result.proposals and result.near_misses and result.blocking_facts
    return {"status": "open", "revision": 2, "no_proposition": False,
            "proposals": [p.model_dump(mode="json") for p in result.proposals],
            "near_misses": [m.model_dump(mode="json") for m in result.near_misses], "blocking": result.blocking,
            "blocking_details": result.blocking_details, "blocking_facts": result.blocking_facts,
            "decisions": [{"site_id": result.proposals[0].site_id, "decision": "declined",
                           "reason": "Te klein voor de cleanroom", "decided_by": "marit-lang",
                           "decided_at": at(2)}]}


def _lead(case_id: str) -> dict:
    """intake's answer for a ROM's lead, its triage made by intake's own rule."""
    from services.intake import domain
    from services.intake import views as intake_views
    data = LeadSignalledData.model_validate({
        "organisation": "oost-nl", "reference": "R-1", "company": {"name": "Fotonica B.V.", "kvk_number": "12345678"},
        "stage": "scale-up", "technology_domains": ["quantum-technologies"],
        "location": {"municipality_code": "GM0153", "region": "oost"},
        "demand": {"floor_space": {"floor_space_m2": 5000, "needed_by": "2031-06-01"}}})
    verdict = domain.triage(data, today=date.today())
    row = SimpleNamespace(id=uuid.uuid4(), organisation="oost-nl", reference="R-1",
                          payload=data.model_dump(mode="json"), eligible=verdict.eligible,
                          triage_reason=verdict.reason, triage=verdict.facts,
                          signalled_at=at(30), changed_at=None, version=1, status="portfolio", case_id=None,
                          code_name=None)
    return intake_views.detail(row).model_dump(mode="json")


def _dossier(case_id: str) -> dict:
    return {"case_id": case_id, "code_name": "Opaal 7", "case_status": "proposed", "opened_at": at(72),
            "outcome": None, "consent_granted_at": None, "company": {"name": "Fotonica B.V.", "kvk_number": "12345678"},
            "origins": [{"organisation": "oost-nl", "reference": "R-1", "joined_at": at(72)}],
            "lead": {"stage": "scale-up", "technology_domains": ["semiconductor-technologies"], "sector": None,
                     "location": {"municipality_code": "GM0153", "province": "Overijssel", "region": "oost"},
                     "demand": {"floor_space": {"floor_space_m2": 5000, "needed_by": "2027-06-01"},
                                "energy": {"grid_connection_mw": 3.0, "needed_by": "2027-06-01"}}}}


def _refused(model, body: dict) -> list[dict]:
    """A service's 422 entries for this body: its own model, shared.http's wording."""
    with pytest.raises(ValidationError) as err:
        model.model_validate(body)
    return field_errors(err.value.errors())


def _lead_csv_report() -> dict:
    """intake's CSV preview of a file with a bad row, by intake's own parser."""
    from services.intake import csv_rows
    from services.intake.csv_upload import _cell_error
    good = csv_rows.parse_row(2, {"reference": "R-2", "company_name": "Goed B.V.", "kvk_number": "12345678",
                                  "stage": "scale-up", "municipality_code": "GM0153", "region": "oost",
                                  "technology_domains": "quantum-technologies", "floor_space_m2": "100",
                                  "floor_space_needed_by": "2027-06-01"}, "oost-nl")
    bad = csv_rows.parse_row(3, {"reference": "R-3", "company_name": "Fout B.V.", "kvk_number": "12AB",
                                 "stage": "giant", "municipality_code": "GM0153", "region": "oost",
                                 "technology_domains": "warp-drive", "floor_space_m2": "veel"}, "oost-nl")
    assert good.lead and bad.errors
    return {"dry_run": True, "ignored_columns": [], "rows": [
        {"row": 2, "reference": "R-2", "company_name": "Goed B.V.", "outcome": "registered", "errors": []},
        {"row": 3, "reference": "R-3", "company_name": "Fout B.V.", "outcome": None,
         "errors": [_cell_error(e.field, e.reason, type=e.type, ctx=e.ctx).model_dump(mode="json")
                    for e in bad.errors]}]}


def _site_import_report() -> dict:
    """matching's import preview of a file with a bad row and another municipality's site, by its own code."""
    from services.matching import importer, site_upload
    from services.matching.domain import ownership
    rows = [(2, {"id": "eigen-park", "name": "Eigen", "region": "oost", "province": "Overijssel",
                 "municipality_code": "GM0153", "floor_space_m2": "400"}),
            (3, {"id": "fout-park", "name": "Fout", "region": "oost", "province": "Overijssel",
                 "municipality_code": "GM0153", "floor_space_m2": "veel"}),
            (4, {"id": "elders-park", "name": "Elders", "region": "zuid", "province": "Noord-Brabant",
                 "municipality_code": "GM0772", "floor_space_m2": "400"})]
    parsed = importer.parse_rows(rows, {}, {})
    report = [{"row": n, "site_id": "fout-park", "name": "Fout", "action": None,
               "errors": [e.model_dump() for e in site_upload._errors(reason, parsed.facts.get(n, {}))]}
              for n, reason in parsed.errors]
    for n, site in parsed.sites:
        refused = ownership.refusal("municipality", "GM0153", None, site)
        facts = dict(refused.facts) if refused else {}
        report.append({"row": n, "site_id": site.id, "name": site.name, "action": None if refused else "create",
                       "errors": [{"field": refused.field, "reason": refused.reason, "type": facts.pop("type"),
                                   "ctx": facts}] if refused else []})
    return {"dry_run": True, "rows": sorted(report, key=lambda r: r["row"]), "rematched_cases": []}


SITE = {"id": "rich-park", "name": "Rich Park", "municipality_code": "GM0153", "province": "Overijssel",
        "region": "oost", "hotspot": None, "source": "reference", "updated_at": at(5), "floor_space_m2": 5000.0,
        "largest_lot_m2": 2000.0, "grid_mw_available": 5.0, "cleanroom_m2": None, "retired": False}


class Services:
    """intake, matching and notifications for one case, one lead and one look-alike pair."""

    def __init__(self, settings: WorkbenchSettings) -> None:
        from services.matching import coordinator
        self.secret = settings.person_token_secret.get_secret_value()
        self.case, self.lead = str(uuid.uuid4()), None
        self.match, self.lead = _match(), _lead(self.case)
        self.lead_csv, self.site_import = _lead_csv_report(), _site_import_report()
        self.bad_decision = _refused(coordinator.Decision, {"decision": "maybe", "reason": ""})
        self.bad_outcome = _refused(coordinator.Outcome, {"outcome": "relocated", "jobs": 3})
        self.answers: list = []

    def answer(self, request: httpx.Request) -> httpx.Response:
        service = {8001: "intake", 8002: "matching", 8003: "notifications"}[request.url.port]
        verify_person_token(request.headers["authorization"].removeprefix("Bearer "),
                            PersonTokens(secret=self.secret, audience=service))
        code, found = self.route(service, request.method, request.url.path)
        self.answers.append(found)
        return httpx.Response(code, json=found)

    def route(self, service: str, method: str, path: str) -> tuple[int, object]:
        case, lead = self.case, self.lead
        line = {"case_id": case, "code_name": "Opaal 7", "case_status": "proposed", "opened_at": at(72),
                "region": "oost", "stage": "scale-up", "origins": 1}
        routes = {
            ("intake", "POST", "/cases/search"): {"kept": 1, "open_cases": 1, "cases": [line]},
            ("intake", "GET", f"/cases/{case}"): _dossier(case),
            ("intake", "GET", "/leads"): [{k: v for k, v in lead.items() if k != "lead"}],
            ("intake", "GET", f"/leads/{lead['lead_id']}"): lead,
            ("intake", "POST", "/leads/csv"): self.lead_csv,
            ("intake", "GET", "/reviews"): [{
                "id": 4711, "lead_id": "x", "similar_lead_id": "y", "similarity": 0.91, "status": "open",
                "created_at": at(1), "lead": _side("bom", None), "similar_lead": _side("oost-nl", case)}],
            ("matching", "GET", "/cases"): [{"case_id": case, "proposals": len(self.match["proposals"])}],
            ("matching", "GET", f"/cases/{case}/proposals"): self.match,
            ("matching", "GET", "/cases/without-proposition"): [{
                "case_id": case, "code_name": "Opaal 7", "revision": 2, "proposed_at": at(30),
                "origin_region": "oost", **{k: self.match[k] for k in ("blocking", "blocking_details",
                                                                         "blocking_facts", "near_misses")}}],
            ("matching", "GET", "/sites/catalogue"): {"sites": [SITE], "kept": 1, "total": 1, "per_municipality": {}},
            ("matching", "GET", f"/sites/{SITE['id']}"): SITE,
            ("matching", "POST", "/sites/import"): self.site_import,
            ("notifications", "GET", "/deliveries"): [
                {"id": 1, "event_id": str(uuid.uuid4()), "case_id": case, "recipient": "x@example.nl",
                 "recipient_code": "GM0153", "subject": "s", "template": "match_proposed", "status": "dead",
                 "attempts": 6, "last_error": "550 no such mailbox", "created_at": at(4), "sent_at": None,
                 "next_attempt_at": at(-1), "message_id": "<m>"}],
            ("notifications", "GET", f"/cases/{case}/replies"): [
                {"case_id": case, "recipient_code": "GM0153", "recipient_name": "Gemeente Enschede",
                 "site_id": "rich-park", "response": "offer", "message": "Hal 3 is vrij per Q2", "via": "link",
                 "created_at": at(1), "updated_at": at(1)}],
            ("notifications", "GET", "/recipients"): [{"code": "GM0153", "name": "Gemeente Enschede"}],
        }
        if (service, method) == ("matching", "POST") and path.endswith("/decision"):
            return 422, self.bad_decision
        if (service, method, path) == ("matching", "POST", f"/cases/{case}/outcome"):
            return 422, self.bad_outcome
        found = routes.get((service, method, path))
        return (200, found) if found is not None else (404, {"detail": "not found"})


def _side(org: str, case: str | None) -> dict:
    return {"lead_id": str(uuid.uuid4()), "organisation": org, "reference": f"{org}-1", "company_name": "Fotonica B.V.",
            "kvk_number": "12345678", "signalled_at": at(5), "case_id": case, "code_name": "Opaal 7" if case else None}


def english_sentences(answers: list) -> set[str]:
    """The words for people in the services' answers: every text under SENTENCE_KEYS of three words or more."""
    found: set[str] = set()

    def walk(node, key: str | None = None) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key in SENTENCE_KEYS and len(node.split()) >= 3 and not _dutch(node):
            found.add(node)

    walk(answers)
    return found


def _dutch(text: str) -> bool:  # typed by a person in Dutch (a decision's reason): not a service's sentence
    return text.startswith(("Te klein", "Hal 3"))


@pytest.fixture(scope="module")
def catalogue_texts() -> tuple[set[str], set[str]]:
    """The catalogue's English and Dutch texts of four words or more where the two differ (the words a page in
    the other language must not show); placeholders cut the texts into the parts that stand as they are."""
    with catalogue_path("nl").open("rb") as po:
        entries = [m for m in read_po(po, locale="nl") if m.id and m.string]
    english, dutch = set(), set()
    for m in entries:
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for text, side in [(t, english) for t in ids] + [(t, dutch) for t in strings]:
            side.update(p.strip(" .:;,()–") for p in re.split(r"\{[^}]*\}", text))
    english, dutch = ({p for p in side if len(p.split()) >= 4} for side in (english, dutch))
    return english - dutch, dutch - english


@pytest.fixture(scope="module")
def accounts_file(tmp_path_factory):
    return stand_ins.accounts_file(tmp_path_factory.mktemp("languages"), PEOPLE, PASSWORD)


@pytest.fixture
async def app(database_url, accounts_file):
    async with stand_ins.stand_in_workbench(database_url, accounts_file, Services) as app:
        yield app


def token_in(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@contextlib.asynccontextmanager
async def signed_in(app, username: str, lang: str):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://workbench") as browser:
        token = token_in((await browser.get(f"/sign-in?lang={lang}")).text)
        answer = await browser.post("/sign-in", data={"username": username, "password": PASSWORD,
                                                      "csrf_token": token})
        assert answer.status_code == 303, answer.text
        yield browser


def visible(html: str) -> str:
    """The page's text as a reader sees it (tags, scripts and styles gone; entities read)."""
    import html as entities
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", entities.unescape(text))


async def walk(app, lang: str) -> dict[str, str]:
    """Every page of each role, GET and the forms that answer with a service's refusal; its visible text."""
    case, lead = app.state.services.case, app.state.services.lead["lead_id"]
    pages: dict[str, str] = {}

    async def get(browser, path: str) -> str:
        answer = await browser.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        pages[path] = visible(answer.text)
        return answer.text

    async with signed_in(app, "marit-lang", lang) as marit:
        for path in ("/board", f"/cases/{case}", f"/cases/{case}/mail", f"/cases/{case}/timeline", "/no-proposition",
                     "/reviews", "/sites", f"/sites/{SITE['id']}", "/sites/import"):
            page = await get(marit, path)
        site_id = app.state.services.match["proposals"][0]["site_id"]
        refused = await marit.post(f"/cases/{case}/proposals/{site_id}/decision",
                                   data={"csrf_token": token_in(page), "decision": "maybe", "reason": ""})
        assert refused.status_code == 422
        pages["decision refused"] = visible(refused.text)
        refused = await marit.post(f"/cases/{case}/outcome", data={"csrf_token": token_in(page),
                                                                    "outcome": "relocated"})
        assert refused.status_code == 422
        pages["outcome refused"] = visible(refused.text)
    async with signed_in(app, "anna-lang", lang) as anna:
        for path in ("/leads", f"/leads/{lead}", "/leads/new", "/leads/upload"):
            page = await get(anna, path)
        preview = await anna.post("/leads/upload", data={"csrf_token": token_in(page)},
                                  files={"file": ("crm.csv", b"reference,company_name\nR-3,Fout B.V.\n")})
        assert preview.status_code == 200
        pages["leads preview"] = visible(preview.text)
    async with signed_in(app, "gemma-lang", lang) as gemma:
        page = await get(gemma, "/sites/import")
        preview = await gemma.post("/sites/import", data={"csrf_token": token_in(page)},
                                   files={"file": ("register.csv", b"id,name\nfout-park,Fout\n")})
        assert preview.status_code == 200
        pages["sites preview"] = visible(preview.text)
    return pages


async def test_every_dutch_page_holds_no_english_sentence_of_a_service_nor_of_the_catalogue(app, catalogue_texts):
    pages = await walk(app, "nl")
    sentences = english_sentences(app.state.services.answers)
    # the walk met the services' English: explanations, counterfactuals, blocked regions, triage, refusals
    assert len(sentences) > 20 and any(s.startswith("not met:") for s in sentences)
    english_only, _ = catalogue_texts
    leaks = {path: sorted({s for s in sentences if s in text} | {e for e in english_only if e in text})
             for path, text in pages.items()}
    assert not {path: found for path, found in leaks.items() if found}
    assert "Vloeroppervlak: 10.000 m² per 1 jun 2027" in pages[f"/cases/{case_of(app)}"]
    # no code of a service stands for words: a mail's template, a field's name (a file's columns excepted)
    codes = {path: re.findall(r"\b[a-z]+_[a-z_]+\b", text) for path, text in pages.items() if "/cases/" in path}
    assert not {path: found for path, found in codes.items() if found}
    assert "Voorstel" in pages[f"/cases/{case_of(app)}/timeline"]  # the mail of match_proposed, by its name


async def test_every_english_page_holds_no_dutch_text_of_the_catalogue(app, catalogue_texts):
    pages = await walk(app, "en")
    _, dutch_only = catalogue_texts
    regions = re.compile(r"\b(Noord|Oost|Zuid|Midden)\b(?!-)")  # the programme regions' Dutch names (maps too)
    leaks = {path: sorted({d for d in dutch_only if d in text} | set(regions.findall(text)))
             for path, text in pages.items()}
    assert not {path: found for path, found in leaks.items() if found}
    assert "Floor space: 10,000 m² by 1 Jun 2027" in pages[f"/cases/{case_of(app)}"]


def case_of(app) -> str:
    return app.state.services.case


def test_the_walks_check_would_see_a_services_sentence():
    """The check itself: an English sentence under a service's reason is found, a Dutch note is not."""
    found = english_sentences([{"errors": [{"reason": "Input should be a valid number"}],
                                "decisions": [{"reason": "Te klein voor de cleanroom"}], "explanations": ["a b"]}])
    assert found == {"Input should be a valid number"}
    assert json.dumps(sorted(found))
