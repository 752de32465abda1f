"""Dutch and English pages carry no sentence a service wrote in English: the workbench words the services'
structured answers (error types and limits, refusal facts, near misses' and regions' shortfalls) itself."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pydantic import ValidationError
from starlette.requests import Request

from services.intake.views import field_errors
from services.matching.domain import ownership
from services.workbench import supply
from services.workbench.config import WorkbenchSettings
from services.workbench.forms import DOMAINS, REGIONS, STAGES, LeadForm
from services.workbench.i18n import translations
from services.workbench.render import Pages
from services.workbench.security import Csrf, Person
from shared.contracts.events import LeadSignalledData

PAGES = Pages(Csrf(WorkbenchSettings()), asset_version="t")
ROM = Person(username="rom", name="ROM", role="rom", organisation="oost-nl")
ENSCHEDE = Person(username="ens", name="Enschede", role="municipality", organisation="GM0153")
SITE = {"id": "z-campus", "name": "Z Campus", "municipality_code": "GM0772", "province": "Noord-Brabant",
        "region": "zuid", "hotspot": None, "source": "reference", "updated_at": "2026-12-01T12:00:00+00:00",
        "floor_space_m2": 5000.0, "largest_lot_m2": 2000.0, "grid_mw_available": 5.0, "cleanroom_m2": None}


def _get(path: str, lang: str) -> Request:
    return Request({"type": "http", "method": "GET", "headers": [], "path": path,
                    "query_string": f"lang={lang}".encode()})


def _visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _intake_refuses(lead: dict) -> list[dict]:
    """intake's own 422 entries for this lead (its model, its field_errors)."""
    with pytest.raises(ValidationError) as err:
        LeadSignalledData.model_validate(lead)
    return field_errors(err.value)


BAD_LEAD = {"organisation": "oost-nl", "reference": "R-1", "company": {"name": "X", "kvk_number": "12345678"},
            "stage": "giant", "technology_domains": ["warp-drive"], "sector": "s" * 300,
            "location": {"municipality_code": "GM0153", "region": "oost"},
            "demand": {"floor_space": {"floor_space_m2": 100, "needed_by": "2027-01-01"}}}
# What pydantic and matching would say in English: none of it may reach a Dutch page.
ENGLISH_FROM_SERVICES = ("Input should be", "String should have", "List should have", "Field required",
                         "may change it", "may create or move sites", "lies in")


@pytest.mark.parametrize(("lang", "present"), [("nl", "Kies een van de mogelijkheden."),
                                               ("en", "Choose one of the options.")])
def test_the_lead_forms_schema_errors_are_in_the_readers_language(lang, present):
    problems = _intake_refuses(BAD_LEAD)
    assert {p["field"] for p in problems} >= {"stage", "sector", "technology_domains.0"}
    form = LeadForm.from_form({}, [])
    form.take_errors(problems, translations(lang).gettext, lang)
    html = _visible(PAGES.render(_get("/leads/new", lang), "lead_form.html.j2", person=ROM, status=422, form=form,
                                 lead_id=None, stages=STAGES, regions=REGIONS, domains=DOMAINS).body.decode())
    assert present in html
    assert ("Geef hoogstens" in html) is (lang == "nl") and ("Give at most" in html) is (lang == "en")
    assert not [p for p in ENGLISH_FROM_SERVICES[:4] if p in html]


@pytest.mark.parametrize(("lang", "present", "absent"), [
    ("nl", "Deze locatie ligt in Eindhoven (Noord-Brabant); alleen die gemeente", "only that municipality"),
    ("en", "This site lies in Eindhoven (Noord-Brabant); only that municipality", "alleen die gemeente")])
def test_a_refused_site_edit_is_worded_from_matchings_refusal_facts(lang, present, absent):
    refused = ownership.refusal("municipality", "GM0153", _domain_site(), None)
    form = supply.SiteForm.from_site(SITE)
    form.take_errors([{"field": "", "reason": f"{refused.field}: {refused.reason}", "refusal": refused.facts}],
                     translations(lang).gettext, lang)
    html = _visible(PAGES.render(_get("/sites/z-campus", lang), "site.html.j2", person=ENSCHEDE, status=403,
                                 site=SITE, form=form, fields=supply.EDITABLE, editable=False, notice="",
                                 provinces={}).body.decode())
    assert present in html and absent not in html
    assert refused.reason not in html  # matching's English sentence stays for API users


def _domain_site():
    from services.matching.domain.sites import Site
    return Site.model_validate({k: v for k, v in SITE.items() if k not in ("source", "updated_at", "hotspot")}
                               | {"available_from": "2026-01-01"})


def _match_with_near_misses() -> dict:
    """A real match by matching's domain: one site fits, others miss by grid, floor space and cleanroom."""
    from tests.unit.test_matching_domain import case, run, site
    result = run(case(), [site("grid", grid_mw_available=1.5),
                          site("floor", floor_space_m2=3_500, largest_lot_m2=3_000),
                          site("clean", cleanroom_iso_class=8), site("late", available_from=date(2027, 12, 1))],
                 near_n=5)
    return {"near_misses": [m.model_dump(mode="json") for m in result.near_misses], "blocking": result.blocking,
            "blocking_details": result.blocking_details, "blocking_facts": result.blocking_facts}


def _dossier() -> dict:
    return {"case_id": "00000000-0000-0000-0000-000000000001", "code_name": "Opal 1", "case_status": "proposed",
            "outcome": None, "consent_granted_at": None, "opened_at": "2026-11-01T10:00:00+00:00",
            "company": {"name": "X B.V.", "kvk_number": "12345678"}, "origins": [],
            "lead": {"stage": "scale-up", "technology_domains": ["semiconductor-technologies"], "sector": None,
                     "location": {"municipality_code": "GM0153", "province": "Overijssel", "region": "oost"},
                     "demand": {"energy": {"grid_connection_mw": 3.0, "needed_by": "2027-06-01"}}}}


NEAR_MISS_ENGLISH = ("qualifies with", "MW by", "m² more by", "grid_capacity", "floor_space")


@pytest.mark.parametrize(("lang", "present"), [("nl", ("komt in aanmerking met +1,5 MW vóór jun 2027",
                                                       "komt in aanmerking met 1.500 m² meer vóór jun 2027",
                                                       "Te weinig netcapaciteit",
                                                       "1 van 4 locaties kan geen 3 MW leveren vóór 1 jun 2027")),
                                               ("en", ("qualifies with +1.5 MW by Jun 2027",
                                                       "qualifies with 1,500 m² more by Jun 2027",
                                                       "Too little grid capacity",
                                                       "1 of 4 sites cannot deliver 3 MW by 1 Jun 2027"))])
def test_the_case_page_and_the_no_proposition_page_word_near_misses_in_the_readers_language(lang, present):
    from services.workbench import queues, views
    match = _match_with_near_misses()
    english = [s for m in match["near_misses"] for s in m["counterfactuals"]]
    assert {m["site_id"] for m in match["near_misses"]} >= {"grid", "floor"} and english
    proposals = {"status": "open", "proposals": [], "decisions": [], "no_proposition": False, **match}
    page = views.case_page(_dossier(), proposals, [])
    drawn = views.case_map(page, english=lang == "en", title="t", description="d")
    coordinator = Person(username="c", name="C", role="coordinator", organisation="taskforce")
    case_html = _visible(PAGES.render(
        _get("/cases/1", lang), "case.html.j2", person=coordinator, case=page, map=drawn, outcomes=(), errors={},
        form={}, notice="", coordinators=[], contacts=(), today=date(2026, 12, 1), names={}).body.decode())
    stuck = queues.stuck_cases([{"case_id": "1", "code_name": "Opal 1", "revision": 1, "origin_region": "oost",
                                 "proposed_at": "2026-11-01T10:00:00+00:00", "blocking": match["blocking"],
                                 "blocking_details": match["blocking_details"],
                                 "blocking_facts": match["blocking_facts"], "near_misses": match["near_misses"]}])
    stuck_html = _visible(PAGES.render(_get("/no-proposition", lang), "no_proposition.html.j2", person=coordinator,
                                       cases=stuck).body.decode())
    english += [line for lines in match["blocking_details"].values() for line in lines]
    assert present[3] in stuck_html
    for html in (case_html, stuck_html):
        assert all(p in html for p in present[:2]), html
        if lang == "nl":  # matching's own English sentences never reach a Dutch page
            assert not [s for s in english if s in html] and not [p for p in NEAR_MISS_ENGLISH if p in html]
        else:  # worded here too, from the facts: the month as an English reader writes it, not matching's 2027-06
            assert "MW by 2027-06" not in html and "Jun 2027" in html
    assert present[2] in case_html


@pytest.mark.parametrize(("lang", "present"), [("nl", "grootste aaneengesloten kavel"),
                                               ("en", "largest contiguous lot")])
def test_a_proposals_missing_data_is_named_in_the_readers_language(lang, present):
    from services.workbench import views
    from tests.unit.test_matching_domain import case, run, site
    result = run(case(), [site("fits", largest_lot_m2=None)])
    (proposal,) = result.proposals
    assert "largest contiguous lot unknown" in proposal.missing_data and "largest_lot" in proposal.missing_keys
    proposals = {"status": "open", "proposals": [proposal.model_dump(mode="json")], "decisions": [],
                 "no_proposition": False, "near_misses": [], "blocking": {}}
    page = views.case_page(_dossier(), proposals, [])
    html = _visible(PAGES.render(
        _get("/cases/1", lang), "case.html.j2", person=Person("c", "C", "coordinator", "taskforce"), case=page,
        map=views.case_map(page, english=lang == "en", title="t", description="d"), outcomes=(), errors={},
        form={}, notice="", coordinators=[], contacts=(), today=date(2026, 12, 1), names={}).body.decode())
    assert present in html and "largest contiguous lot unknown" not in html
    # the demand's date and number as the reader writes them (Babel), not as the API's JSON has them
    assert ("Nodig per 1 jun 2027" if lang == "nl" else "Needed by 1 Jun 2027") in html
    assert "Nodig per 2027-06-01" not in html and "Needed by 2027-06-01" not in html


@pytest.mark.parametrize(("lang", "present", "absent"), [
    ("nl", ("Inloggen via uw organisatie", "Inloggen is niet gelukt", "uw rol geeft geen toegang"), "your role"),
    ("en", ("Sign in through your organisation", "Signing in did not succeed", "your role gives no access"),
     "uw rol")])
def test_the_oidc_sign_in_and_its_refusals_are_in_the_readers_language(lang, present, absent):
    from services.workbench.oidc import REFUSED
    html = _visible(PAGES.render(_get("/login/oidc/callback", lang), "sign_in.html.j2", person=None, status=403,
                                 next="/", username="", failed=False, oidc=True,
                                 oidc_refused=REFUSED["role"]).body.decode())
    assert all(p in html for p in present) and absent not in html


def _site_import_preview(lang: str, refused: int) -> str:
    """matching's import report (its real shape): one row refused for its municipality, others for floor space."""
    from services.workbench import problems, uploads
    gettext = translations(lang).gettext
    rows = [{"row": 2, "site_id": "eigen", "name": "Eigen", "action": "create", "errors": []},
            {"row": 3, "site_id": "elders", "name": "Elders", "action": None, "errors": [
                {"field": "municipality_code", "reason": "municipality_code: GM0772 lies outside GM0153",
                 "type": "site-out-of-reach", "ctx": {"municipality_code": "GM0772", "province": "Noord-Brabant",
                                                      "role": "municipality"}}]}]
    rows += [{"row": 4 + n, "site_id": f"fout-{n}", "name": "Fout", "action": None, "errors": [
        {"field": "floor_space_m2", "reason": "Input should be a valid number", "type": "float_parsing"}]}
        for n in range(refused - 1)]
    report = uploads.site_report({"rows": rows}, lambda e: problems.site_error(e, gettext, lang))
    return _visible(PAGES.render(_get("/sites/import", lang), "sites_import.html.j2", person=ENSCHEDE, report=report,
                                 content="x", format="csv", error="", done=False).body.decode())


@pytest.mark.parametrize(("lang", "one", "two", "labels"), [
    ("nl", "1 rij is niet geldig", "2 rijen zijn niet geldig", ("Gemeente (CBS-code):", "Vloeroppervlak (m²):")),
    ("en", "1 row is not valid", "2 rows are not valid", ("Municipality (CBS code):", "Floor space (m²):"))])
def test_the_import_preview_counts_rows_in_singular_and_plural_and_names_fields_by_their_label(lang, one, two,
                                                                                               labels):
    single, double = _site_import_preview(lang, 1), _site_import_preview(lang, 2)
    assert one in single and "rows are not valid" not in single and "rijen zijn niet geldig" not in single
    assert two in double and labels[0] in single and labels[1] in double
    assert "municipality_code" not in single and "floor_space_m2" not in double  # no raw field names
    assert "Input should be" not in double


def _rich_proposal() -> dict:
    """A real proposal by matching's domain with a line for every criterion and every soft need it misses."""
    from tests.unit.test_matching_domain import case, run, site
    need = {"needed_by": "2027-06-01"}
    demand = case(capital={"facility": "own"} | need, talent={"fte_mbo": 50, "fte_hbo": 10} | need,
                  housing={"staff_to_house": 30, "transport_needs": ["rail", "port"]} | need)
    (proposal,) = run(demand, [site("rich-park", largest_lot_m2=3000, housing_pressure=0.8,
                                    labour_market_tightness=1.4, grid_congestion="congested")]).proposals
    return proposal.model_dump(mode="json")


def _case_html(lang: str, proposals: dict) -> str:
    from services.workbench import views
    page = views.case_page(_dossier(), proposals, [])
    return _visible(PAGES.render(
        _get("/cases/1", lang), "case.html.j2", person=Person("c", "C", "coordinator", "taskforce"), case=page,
        map=views.case_map(page, english=lang == "en", title="t", description="d"), outcomes=(), errors={},
        form={}, notice="", coordinators=[], contacts=(), today=date(2026, 12, 1), names={}).body.decode())


@pytest.mark.parametrize(("lang", "present"), [
    ("nl", ("Vloeroppervlak: 10.000 m² per 1 jun 2027, 5.000 m² nodig; grootste kavel 3.000 m²",
            "Netaansluiting: 5 MW per 1 jun 2027, 3 MW nodig; het net is overbelast",
            "Talent: afgestudeerden per jaar in de buurt 500 mbo, 800 hbo, 400 wo; krapte op de arbeidsmarkt 1,40",
            "Niet voldaan: geen bereikbaarheid per haven", "Niet voldaan: de arbeidsmarkt is krap (1,40 vacatures",
            "Cluster: bedrijven in Halfgeleidertechnologieën", "Kennisinstelling op 2 km; 1 fieldlab")),
    ("en", ("Floor space: 10,000 m² by 1 Jun 2027, 5,000 m² needed; largest lot 3,000 m²",
            "Grid: 5 MW by 1 Jun 2027, 3 MW needed; the grid is congested",
            "Talent: yearly graduates nearby 500 mbo, 800 hbo, 400 wo; labour-market tightness 1.40",
            "Not met: no port access", "Not met: the labour market is tight (1.40 vacancies",
            "Cluster: companies in Semiconductor technologies", "Knowledge institution at 2 km; 1 fieldlab"))])
def test_a_proposals_explanation_lines_are_worded_from_matchings_facts_in_the_readers_language(lang, present):
    proposal = _rich_proposal()
    english = proposal["explanations"]
    assert len(english) == len(proposal["explanation_facts"]) == 14  # line for line
    html = _case_html(lang, {"status": "open", "proposals": [proposal], "decisions": [], "no_proposition": False,
                             "near_misses": [], "blocking": {}})
    missing = [p for p in present if p not in html]
    assert not missing, missing
    assert not [s for s in english if s in html]  # matching's own sentences reach neither page
    score = explanations_decimal(proposal["score"], lang)
    assert score in html and ("," in score) is (lang == "nl")  # the score as the reader writes it


def explanations_decimal(value: float, lang: str) -> str:
    from services.workbench.explanations import decimal
    return decimal(value, 2, lang)


def test_a_proposal_stored_before_matching_gave_facts_shows_no_english_line():
    proposal = {k: v for k, v in _rich_proposal().items() if k != "explanation_facts"}
    html = _case_html("nl", {"status": "open", "proposals": [proposal], "decisions": [], "no_proposition": False,
                             "near_misses": [], "blocking": {}})
    assert not [s for s in proposal["explanations"] if s in html] and "Bijdrage per criterium" in html


def _lead_page(lang: str, triage) -> str:
    """The ROM's lead page with intake's answer as its API gives it (views.detail of a stored row)."""
    from types import SimpleNamespace

    from services.intake import views as intake_views
    lead = LeadSignalledData.model_validate(BAD_LEAD | {"stage": "scale-up", "technology_domains": [],
                                                        "sector": "retail"})
    row = SimpleNamespace(id="00000000-0000-0000-0000-000000000002", organisation="oost-nl", reference="R-1",
                          payload=lead.model_dump(mode="json"), eligible=triage.eligible,
                          triage_reason=triage.reason, triage=triage.facts, signalled_at="2026-11-01T10:00:00+00:00",
                          changed_at=None, version=1, status="portfolio", case_id=None, code_name=None)
    answer = intake_views.detail(row).model_dump(mode="json")
    return _visible(PAGES.render(_get("/leads/x", lang), "lead.html.j2", person=ROM, lead=answer,
                                 notice="").body.decode())


@pytest.mark.parametrize(("lang", "present"), [
    ("nl", ("Buiten het programma: geen technologiedomein van de NTS en niet essentieel voor strategische autonomie "
            "(sector: retail)", "Ruimte pas nodig per 1 jun 2031, voorbij de horizon van 3 jaar (1 dec 2029)")),
    ("en", ("Out of scope: no technology domain of the NTS and not essential to strategic autonomy (sector: retail)",
            "Space first needed by 1 Jun 2031, beyond the horizon of 3 years (1 Dec 2029)"))])
def test_intakes_triage_is_worded_from_its_facts_in_the_readers_language(lang, present):
    from services.intake import domain
    today = date(2026, 12, 1)
    out_of_scope = domain.triage(LeadSignalledData.model_validate(BAD_LEAD | {
        "stage": "scale-up", "technology_domains": [], "sector": "retail"}), today=today)
    far = domain.triage(LeadSignalledData.model_validate(BAD_LEAD | {
        "stage": "scale-up", "technology_domains": ["quantum-technologies"], "sector": None,
        "demand": {"floor_space": {"floor_space_m2": 100, "needed_by": "2031-06-01"}}}), today=today)
    for verdict, words in zip((out_of_scope, far), present, strict=True):
        html = _lead_page(lang, verdict)
        assert words in html and verdict.reason not in html  # intake's English sentence stays in its API
    old = _lead_page(lang, domain.Triage(False, out_of_scope.reason))  # triaged before intake kept the facts
    assert ("Komt niet in aanmerking" if lang == "nl" else "Not eligible for a case") in old
    assert out_of_scope.reason not in old


@pytest.mark.parametrize(("lang", "present"), [("nl", "Het bestand mist verplichte kolommen: kvk_number"),
                                               ("en", "The file lacks required columns: kvk_number")])
def test_a_file_intake_cannot_read_is_refused_in_the_readers_language(lang, present):
    from services.intake import csv_upload
    from services.workbench import problems, uploads
    with pytest.raises(csv_upload.BadFile) as refused:
        csv_upload.read("reference,company_name\nR-1,X B.V.\n", "oost-nl")
    gettext = translations(lang).gettext
    detail = uploads.file_errors(refused.value.errors, lambda e: problems.plain(e, gettext, lang))
    html = _visible(PAGES.render(_get("/leads/upload", lang), "leads_upload.html.j2", person=ROM, status=422,
                                 report=None, content="", error="file", detail=detail, done=False).body.decode())
    assert present in html and str(refused.value) not in html  # intake's sentence stays in its API


def test_a_municipality_is_shown_by_its_name_beside_its_code():
    from services.workbench.labels import municipality

    assert municipality("GM0153") == "Enschede (GM0153)"
    assert municipality("gm0363") == "Amsterdam (gm0363)"
    assert municipality("GM9999") == "GM9999" and municipality(None) == ""
