"""The workbench's pure parts: accounts, CSRF tokens, the lead form, the board and the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from starlette.requests import Request

from services.workbench import accounts, views
from services.workbench.config import WorkbenchSettings
from services.workbench.forms import LeadForm
from services.workbench.i18n import catalogue_path, translations
from services.workbench.security import CSRF_COOKIE, Csrf
from shared.settings import UnsafeSettings

HERE = Path(__file__).resolve().parents[2] / "services" / "workbench"


def test_an_account_keeps_only_an_argon2_hash_and_verifies_its_password(tmp_path):
    path = tmp_path / "accounts.json"
    accounts.create(path, username="marit", name="Marit", role="coordinator", organisation="taskforce",
                    password="a long enough password")
    assert "a long enough password" not in path.read_text()
    assert '"$argon2id$' in path.read_text()
    found = accounts.load(path)
    assert accounts.verify(found, "marit", "a long enough password").role == "coordinator"
    assert accounts.verify(found, "marit", "a wrong password here") is None
    assert accounts.verify(found, "nobody", "a long enough password") is None
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only


@pytest.mark.parametrize(("field", "change"), [("password", {"password": "short"}), ("role", {"role": "admin"}),
                                               ("username", {"username": "Bad Name"}),
                                               ("organisation", {"organisation": " "})])
def test_an_account_that_cannot_be_created_says_which_field(tmp_path, field, change):
    args = dict(username="anna", name="Anna", role="rom", organisation="oost-nl", password="long enough password")
    with pytest.raises(accounts.AccountError, match=f"^{field}:"):
        accounts.create(tmp_path / "a.json", **(args | change))


def test_an_existing_account_is_replaced_only_when_asked(tmp_path):
    args = dict(username="anna", name="Anna", role="rom", organisation="oost-nl", password="long enough password")
    accounts.create(tmp_path / "a.json", **args)
    with pytest.raises(accounts.AccountError, match="exists"):
        accounts.create(tmp_path / "a.json", **args)
    accounts.create(tmp_path / "a.json", **(args | {"organisation": "bom"}), replace=True)
    assert accounts.load(tmp_path / "a.json")["anna"].organisation == "bom"


def _post(cookies: dict[str, str], headers: dict[str, str] | None = None) -> Request:
    raw = [(b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "POST", "headers": raw, "path": "/", "query_string": b""})


async def test_a_csrf_token_is_accepted_only_with_the_browser_it_was_made_for():
    csrf = Csrf(WorkbenchSettings())
    token = csrf.token("browser-a")
    await csrf.check(_post({CSRF_COOKIE: "browser-a"}, {"x-csrf-token": token}))
    for cookies, headers in (({CSRF_COOKIE: "browser-b"}, {"x-csrf-token": token}),  # another browser's token
                             ({}, {"x-csrf-token": token}),  # no cookie
                             ({CSRF_COOKIE: "browser-a"}, {}),  # no token
                             ({CSRF_COOKIE: "browser-a"}, {"x-csrf-token": "browser-a"})):  # unsigned
        with pytest.raises(Exception) as refused:
            await csrf.check(_post(cookies, headers))
        assert refused.value.status_code == 403


def test_outside_development_the_development_secrets_stop_the_workbench(monkeypatch):
    monkeypatch.delenv("GROEIRUIMTE_ENV", raising=False)
    with pytest.raises(UnsafeSettings, match="WORKBENCH_SESSION_SECRET|PERSON_TOKEN_SECRET"):
        WorkbenchSettings(api_tokens="t:taskforce:coordinator").refuse_unsafe()
    found = WorkbenchSettings(api_tokens="t:taskforce:coordinator").unsafe_settings()
    assert any(f.startswith("WORKBENCH_SESSION_SECRET") for f in found)
    assert any(f.startswith("PERSON_TOKEN_SECRET") for f in found)
    assert not WorkbenchSettings().development  # so the cookies are Secure


def test_the_lead_form_sends_the_apis_shape_and_keeps_what_does_not_read_as_a_number():
    form = LeadForm.from_form({"reference": "R-1", "company.name": "X B.V.", "company.kvk_number": "12345678",
                               "stage": "scale-up", "location.municipality_code": "GM0153", "location.region": "oost",
                               "investment_eur": "1,5e6", "demand.floor_space.floor_space_m2": "veel",
                               "demand.floor_space.needed_by": "2027-09-01", "demand.talent.fte_hbo": "12"},
                              ["energy-materials"])
    body = form.submission()
    assert body["company"] == {"name": "X B.V.", "kvk_number": "12345678"}
    assert body["location"] == {"municipality_code": "GM0153", "region": "oost"}
    assert body["investment_eur"] == 1.5e6
    assert body["demand"] == {"floor_space": {"floor_space_m2": "veel", "needed_by": "2027-09-01"},
                              "talent": {"fte_hbo": 12}}
    assert body["technology_domains"] == ["energy-materials"]


def test_the_apis_field_errors_land_beside_their_inputs_or_their_group():
    form = LeadForm()
    form.take_errors([{"field": "company.kvk_number", "reason": "8 digits"},
                      {"field": "demand", "reason": "give at least one"},
                      {"field": "location.province", "reason": "not GM0153's"},
                      {"field": "whatever", "reason": "odd"}])
    assert form.errors == {"company.kvk_number": "A KvK number has 8 digits, e.g. 12345678.",
                           "demand": "Give at least one type of demand: space, energy or talent, each with its date.",
                           "location": "not GM0153's", "(body)": "odd"}  # no plain words known: the API's own
    form = LeadForm()
    form.take_errors([{"field": "company.kvk_number", "reason": "8 digits"}], gettext=translations("nl").gettext)
    assert form.errors == {"company.kvk_number": "Een KvK-nummer heeft 8 cijfers, bijv. 12345678."}


def test_a_correction_removes_a_demand_type_the_form_emptied():
    current = {"demand": {"floor_space": {"floor_space_m2": 100, "needed_by": "2027-01-01"},
                          "energy": {"grid_connection_mw": 2, "needed_by": "2027-01-01"}}}
    form = LeadForm.from_lead(current | {"reference": "R-1"})
    form.values["demand.energy.grid_connection_mw"] = form.values["demand.energy.needed_by"] = ""
    patch = form.merge_patch(current)
    assert patch["demand"]["energy"] is None and patch["demand"]["floor_space"]["floor_space_m2"] == 100
    assert "reference" not in patch


def test_the_board_keeps_open_cases_by_filter_oldest_first():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    cases = [{"case_id": str(n), "code_name": name, "case_status": status, "region": region, "stage": "scale-up",
              "opened_at": (now - timedelta(days=days)).isoformat(), "origins": 1}
             for n, (name, status, region, days) in enumerate([("Opal 1", "proposed", "oost", 3),
                                                               ("Jade 2", "open", "zuid", 10),
                                                               ("Opal 3", "no-proposition", "oost", 30)])]
    matches = [{"case_id": "0", "proposals": 4}]
    rows = views.board(cases, matches, views.BoardFilters(), now=now)
    assert [r.code_name for r in rows] == ["Opal 3", "Jade 2", "Opal 1"]
    assert rows[2].proposals == 4 and rows[0].proposals is None and rows[0].age_days == 30
    assert [r.code_name for r in views.board(cases, matches, views.BoardFilters(q="opal", region="oost"), now)] == [
        "Opal 3", "Opal 1"]
    assert [r.code_name for r in views.board(cases, matches, views.BoardFilters(status="open"), now)] == ["Jade 2"]


def test_every_text_of_the_pages_has_a_dutch_translation():
    with catalogue_path("nl").open("rb") as po:
        catalogue = read_po(po, locale="nl")
    method_map = [("*.py", "python"), ("templates/**.j2", "jinja2")]
    found = {message for _, _, message, _, _ in extract_from_dir(str(HERE), method_map,
                                                                 keywords={"_": None, "N_": None})}
    assert len(found) > 150
    untranslated = sorted(m for m in found if not (catalogue.get(m) and catalogue.get(m).string))
    assert not untranslated, untranslated


def test_the_case_map_marks_the_current_location_and_each_proposed_site_with_a_text_alternative():
    dossier = {"lead": {"location": {"municipality_code": "GM0153"}}, "case_status": "proposed"}
    proposals = {"proposals": [{"rank": 1, "site_name": "Kennispark Twente", "municipality_code": "GM0153"},
                               {"rank": 2, "site_name": "Technologiepark Delft", "municipality_code": "GM0503"}]}
    drawn = views.case_map(views.CasePage(dossier, proposals), english=False, title="Kaart", description="Uitleg")
    assert 'role="img"' in drawn.svg and "<title" in drawn.svg
    assert [(p.marker.kind, p.marker.number, p.municipality) for p in drawn.placed] == [
        ("current", None, "Enschede"), ("site", 1, "Enschede"), ("site", 2, "Delft")]
    assert "Technologiepark Delft" in drawn.table and "huidige locatie" in drawn.table
    english = views.case_map(views.CasePage(dossier, proposals), english=True, title="Map", description="What")
    assert "current location" in english.table
