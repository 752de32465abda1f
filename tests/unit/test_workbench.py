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


def test_schema_errors_the_form_has_no_help_for_are_worded_from_their_type_and_limit_in_dutch():
    problems = [{"field": "sector", "reason": "String should have at most 100 characters", "type": "string_too_long",
                 "ctx": {"max_length": 1500}},
                {"field": "stage", "reason": "Input should be 'startup', 'scale-up' or 'grown-up'", "type": "enum",
                 "ctx": {"expected": "'startup', 'scale-up' or 'grown-up'"}},
                {"field": "technology_domains", "reason": "List should have at least 1 item after validation",
                 "type": "too_short", "ctx": {"min_length": 1}},
                {"field": "company.name", "reason": "Field required", "type": "missing"},
                {"field": "location.region", "reason": "odd", "type": "some_new_type"}]
    form = LeadForm()
    form.take_errors([problems[0], *problems[2:]], gettext=translations("nl").gettext, lang="nl")
    assert form.errors == {"sector": "Geef hoogstens 1.500 tekens.", "technology_domains": "Geef er minstens 1.",
                           "company.name": "Geef de naam van het bedrijf (hoogstens 200 tekens).",
                           "location.region": "Kies de regio."}
    form = LeadForm()
    form.take_errors([{**problems[1], "field": "location.region.x"}, {**problems[4], "field": "sector"}],
                     gettext=translations("nl").gettext, lang="nl")
    assert form.errors == {"location": "Kies een van de mogelijkheden.",
                           "sector": "Deze waarde wordt niet geaccepteerd."}
    form = LeadForm()
    form.take_errors([problems[0]], lang="en")
    assert form.errors == {"sector": "Give at most 1,500 characters."}


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
    found = {message for _, _, message, _, _ in extract_from_dir(
        str(HERE), method_map, keywords={"_": None, "N_": None, "ngettext": (1, 2), "Nn_": (1, 2)})}
    assert len(found) > 150 and any(isinstance(m, tuple) for m in found)
    untranslated = sorted(str(m) for m in found if not _translated(catalogue, m))
    assert not untranslated, untranslated


def _translated(catalogue, message) -> bool:
    """A message has its Dutch; one with a plural has both Dutch forms (een rij, twee rijen)."""
    entry = catalogue.get(message[0] if isinstance(message, tuple) else message)
    if entry is None or not entry.string:
        return False
    return all(entry.string) if isinstance(message, tuple) else isinstance(entry.string, str)


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


def test_the_board_filters_by_owner_and_carries_the_first_open_follow_up():
    import uuid

    from services.workbench.casework import Reminder, earliest_open

    now = datetime(2026, 12, 1, tzinfo=UTC)
    cases = [{"case_id": str(n), "code_name": f"Case {n}", "case_status": "open", "region": "oost",
              "stage": "scale-up", "opened_at": (now - timedelta(days=n)).isoformat(), "origins": 1} for n in (1, 2, 3)]
    owners = {"1": "marit", "2": "joost"}
    case_1 = uuid.UUID(int=1)
    reminders = [Reminder(uuid.uuid4(), case_1, now.date() + timedelta(days=5), "later", "marit"),
                 Reminder(uuid.uuid4(), case_1, now.date() - timedelta(days=1), "first", "marit"),
                 Reminder(uuid.uuid4(), case_1, now.date() - timedelta(days=9), "done", "marit", done_at=now)]
    first = {"1": earliest_open(reminders)[case_1]}
    def shown(owner: str) -> list[str]:
        return [r.code_name for r in views.board(cases, [], views.BoardFilters(owner=owner), now, owners=owners,
                                                 follow_ups=first)]
    assert shown("marit") == ["Case 1"] and shown("joost") == ["Case 2"]
    assert shown(views.NO_OWNER) == ["Case 3"] and len(shown("")) == 3
    row = views.board(cases, [], views.BoardFilters(owner="marit"), now, owners=owners, follow_ups=first)[0]
    assert row.follow_up.text == "first" and row.follow_up.state(now.date()) == "overdue"
    assert [r.state(now.date()) for r in reminders] == ["later", "overdue", "done"]
    assert Reminder(uuid.uuid4(), case_1, now.date(), "x", "marit").state(now.date()) == "due"


def test_a_note_and_a_follow_up_say_which_field_is_wrong_and_read_dutch_dates():
    from datetime import date

    from services.workbench.casework import NoteForm, ReminderForm, parse_day

    today = date(2026, 12, 1)
    assert parse_day("2026-11-30") == parse_day("30-11-2026") == parse_day("30/11/2026") == date(2026, 11, 30)
    assert parse_day("morgen") is None and parse_day("30-11-26") is None
    form = NoteForm.from_form({"contact": "ceo", "contact_on": "2026-12-02", "text": " "})
    assert form.check(today) is None and set(form.errors) == {"contact", "contact_on", "text"}
    assert "future" in form.errors["contact_on"]
    assert NoteForm.from_form({"contact": "province", "contact_on": "1-12-2026", "text": "Belde PV23"}).check(
        today) == ("province", today, "Belde PV23")
    assert NoteForm(contact="company", contact_on="2026-12-01", text="x" * 4001).check(today) is None
    reminder = ReminderForm.from_form({"due_on": "2026-11-30", "text": ""})
    assert reminder.check(today) is None and set(reminder.errors) == {"due_on", "text"}
    assert ReminderForm(due_on="2026-12-01", text="Bellen").check(today) == (today, "Bellen")


def test_the_timeline_export_has_dutch_headers_and_no_cell_runs_as_a_formula():
    import csv
    import io

    from services.workbench.casework import timeline_csv

    nl = translations("nl").gettext
    entries = [views.TimelineEntry(datetime(2026, 12, 1, 9, tzinfo=UTC), "note-company", "=1+1", "2026-12-01",
                                   by="marit"),
               views.TimelineEntry(datetime(2026, 12, 1, 10, tzinfo=UTC), "signalled", "oost-nl", "R-1")]
    text = timeline_csv(entries, gettext=nl, kind_label=lambda k: k, moment=lambda at: at.isoformat())
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == ["Datum en tijd", "Soort", "Wat", "Toelichting", "Door"]
    assert rows[1][2] == "'=1+1" and rows[1][4] == "marit" and rows[2][2:4] == ["oost-nl", "R-1"]


def test_reminder_mails_use_the_projects_smtp_settings_unless_the_workbench_has_its_own(monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_SMTP_HOST", "mail.example.nl")
    monkeypatch.setenv("NOTIFICATIONS_SMTP_PORT", "2525")
    assert (WorkbenchSettings().smtp_host, WorkbenchSettings().smtp_port) == ("mail.example.nl", 2525)
    monkeypatch.setenv("WORKBENCH_SMTP_PORT", "587")
    assert WorkbenchSettings().smtp_port == 587


def test_an_account_email_must_be_one_plain_address(tmp_path):
    args = dict(username="marit", name="Marit", role="coordinator", organisation="taskforce",
                password="long enough password")
    with pytest.raises(accounts.AccountError, match="^email:"):
        accounts.create(tmp_path / "a.json", **args, email="a@b.nl\r\nBcc: x@y.nl")
    assert accounts.create(tmp_path / "a.json", **args, email="marit@example.nl").email == "marit@example.nl"


def test_the_board_shows_every_filtered_case_a_page_at_a_time():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    n = 2 * views.BOARD_PAGE + 50
    cases = [{"case_id": str(i), "code_name": f"Case {i:04d}", "case_status": "open", "region": "oost",
              "stage": "scale-up", "opened_at": (now - timedelta(minutes=n - i)).isoformat(), "origins": 1}
             for i in range(n)]
    rows = views.board(cases, [], views.BoardFilters(), now=now)
    third = views.board_page(rows, 3)
    assert (third.kept, third.pages, third.page, third.offset) == (n, 3, 3, 2 * views.BOARD_PAGE)
    assert [r.code_name for r in third] == [f"Case {i:04d}" for i in range(2 * views.BOARD_PAGE, n)]
    assert views.board_page(rows, 9).page == 3 and views.board_page([], 1).pages == 1
