"""Notifications' pure logic: directory validation, rules, NDA-safe ranges and content, reply tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.notifications import domain
from services.notifications.config import NotificationsSettings
from services.notifications.domain import rules
from services.notifications.domain.directory import Recipient, province_code
from services.notifications.domain.ranges import M2_EDGES, MW_EDGES, as_range, demand_lines, quarter
from services.notifications.domain.replies import BadToken, sign, verify
from shared.contracts import MatchProposedData, RelocationRealisedData

SETTINGS = NotificationsSettings()
DIRECTORY = domain.load_directory(SETTINGS.recipients_file)
ENV = domain.templates(SETTINGS.templates_dir)
MUNI = {"code": "GM0153", "kind": "municipality", "name": "Gemeente Enschede", "email": "a@enschede.example",
        "province": "PV23"}


def proposal(rank, site, municipality, province, score, region="oost"):
    return {"rank": rank, "site_id": site, "site_name": f"Site {site}", "region": region, "province": province,
            "municipality_code": municipality, "own_region": region == "oost", "score": score,
            "contributions": {}}


def proposed(*props, no_proposition=False) -> MatchProposedData:
    return MatchProposedData.model_validate({
        "case_id": uuid.uuid4(), "code_name": "Reiger", "technology_domains": ["quantum-technologies"],
        "origin_region": "oost", "proposals": props, "no_proposition": no_proposition,
        "blocking": {"oost": ["x: grid"]}})


# ---- directory -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,code", [("Overijssel", "PV23"), ("Fryslân", "PV21"), ("Friesland", "PV21"),
                                       ("noord-brabant", "PV30"), ("Provincie Zuid-Holland", "PV28"),
                                       ("PV31", "PV31"), ("Atlantis", None), (None, None)])
def test_provinces_are_found_by_cbs_code_or_any_common_spelling(name, code):
    assert province_code(name) == code


@pytest.mark.parametrize("field,value,reason", [
    ("name", "Enschede\r\nBcc: all@example.org", "header injection"),
    ("email", "a@enschede.example\nBcc: x@y.example", "header injection"),
    ("email", "not an address", "not a valid email"),
    ("email", "a@localhost", "not a valid email"),
    ("email", "a b@enschede.example", "not a valid email"),
    ("province", "Atlantis", "unknown province"),
    ("code", "PV23", "does not fit kind"),
    ("kind", "ministry", "Input should be"),
])
def test_malformed_or_injecting_entries_are_rejected_with_the_reason(field, value, reason):
    with pytest.raises(ValidationError) as err:
        Recipient.model_validate(MUNI | {field: value})
    assert reason in str(err.value)


def test_the_shipped_directory_covers_all_provinces_a_coordinator_and_the_ministry():
    kinds = {r.kind for r in DIRECTORY.values()}
    assert kinds == {"municipality", "province", "coordinator", "mirt"}
    assert {c for c in DIRECTORY if c.startswith("PV")} == {f"PV{n}" for n in range(20, 32)}


# ---- rules ---------------------------------------------------------------------------------------------

def test_proposals_go_to_municipality_and_province_above_the_threshold_only():
    data = proposed(proposal(1, "a", "GM0153", "Overijssel", 0.9), proposal(2, "b", "GM0503", "Zuid-Holland", 0.6),
                    proposal(3, "c", "GM0772", "Noord-Brabant", 0.4), proposal(4, "d", "GM9999", "Zeeland", 0.8))
    out = rules.for_proposal(data, DIRECTORY, threshold=0.5)
    assert {n.recipient for n in out.notices} == {"GM0153", "PV23", "GM0503", "PV28", "PV29"}
    assert all(n.budgeted and n.template == "match_proposed" for n in out.notices)
    assert out.unknown == ["GM9999"]
    without = rules.for_proposal(data, DIRECTORY, threshold=0.5, provinces=False)
    assert {n.recipient for n in without.notices} == {"GM0153", "GM0503"}


def test_an_unusual_province_spelling_falls_back_to_the_municipality_entry():
    data = proposed(proposal(1, "a", "GM0153", "Prov. Overijssel (NL)", 0.9))
    assert {n.recipient for n in rules.for_proposal(data, DIRECTORY, threshold=0).notices} == {"GM0153", "PV23"}


def test_no_proposition_anywhere_goes_to_the_coordinator_only():
    out = rules.for_proposal(proposed(no_proposition=True), DIRECTORY, threshold=0.5)
    assert [(n.recipient, n.template, n.budgeted) for n in out.notices] == [("COORDINATOR", "no_proposition", False)]


def test_a_rematch_only_mentions_new_sites():
    data = proposed(proposal(1, "a", "GM0153", "Overijssel", 0.9), proposal(2, "b", "GM0153", "Overijssel", 0.8))
    notices = rules.only_new_sites(rules.for_proposal(data, DIRECTORY, threshold=0).notices,
                                   {"GM0153": {"a", "b"}, "PV23": {"a"}})
    assert [(n.recipient, [p["site_id"] for p in n.context["proposals"]]) for n in notices] == [("PV23", ["b"])]


def test_relocation_tells_both_sides_with_their_role():
    data = RelocationRealisedData.model_validate({
        "case_id": uuid.uuid4(), "investment_retained_eur": 1, "investment_status": "estimated", "jobs": 3,
        "new_scale_up": False, "evidence_ref": "x",
        "origin": {"municipality_code": "GM0153", "province": "Overijssel", "region": "oost"},
        "destination": {"municipality_code": "GM0268", "province": "Gelderland", "region": "oost"}})
    roles = {n.recipient: n.context["roles"] for n in rules.for_relocation(data, DIRECTORY).notices}
    assert roles == {"GM0153": ["origin"], "PV23": ["origin"], "GM0268": ["destination"], "PV25": ["destination"]}


def test_housing_goes_to_the_province_and_every_mirt_contact():
    out = rules.for_housing({"staff_to_house": 10, "transport_needs": ["rail"]}, "Overijssel", DIRECTORY)
    assert {n.recipient for n in out.notices} == {"PV23", "MIRT-EZ"}
    assert rules.for_housing(None, "Overijssel", DIRECTORY).notices == []


# ---- NDA-safe content ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value,edges,unit,lang,text", [
    (4000, M2_EDGES, "m²", "en", "2,000–5,000 m²"), (4000, M2_EDGES, "m²", "nl", "2.000–5.000 m²"),
    (2000, M2_EDGES, "m²", "en", "2,000–5,000 m²"), (120, M2_EDGES, "m²", "en", "up to 500 m²"),
    (90000, M2_EDGES, "m²", "nl", "meer dan 50.000 m²"), (1.5, MW_EDGES, "MW", "en", "1–2 MW")])
def test_figures_become_ranges(value, edges, unit, lang, text):
    assert as_range(value, edges, unit, lang) == text


def test_dates_become_quarters_and_free_text_is_left_out():
    assert quarter("2027-08-15", "en") == "Q3 2027" and quarter("2027-01-01", "nl") == "1e kwartaal 2027"
    lines = demand_lines({"capital": {"facility": "own", "description": "ACME's own fab", "needed_by": "2028-01-01"},
                          "talent": {"fte_hbo": 30, "fte_wo": 5, "needed_by": "2027-05-01"}}, "en")
    assert [(ln["size"], ln["extras"], ln["by"]) for ln in lines] == [("own", "", "Q1 2028"),
                                                                      ("25–50 FTE", "hbo, wo", "Q2 2027")]
    assert "ACME" not in str(lines)


PROFILE = {"code_name": "Reiger", "technology_domains": ["quantum-technologies"],
           "demand": {"floor_space": {"floor_space_m2": 4317, "needed_by": "2027-08-01"}},
           "company_name": "Geheim B.V.", "kvk_number": "87654321", "consent_at": None}


def mail_for(code: str, profile: dict, template="match_proposed", **extra):
    recipient = DIRECTORY[code]
    ctx = {"code_name": "Reiger", "proposals": [{"site_name": "<script>x</script>", "rank": 1, "score": 0.9,
                                                 "own_region": True}], "reply_url": None,
           "case": domain.case_view(profile, recipient, domain.language_of(recipient))} | extra
    return domain.render(ENV, template, recipient, ctx)


def test_identity_only_with_consent_and_only_for_municipalities_and_provinces():
    consented = PROFILE | {"consent_at": datetime.now(UTC)}
    for code, profile, shown in (("GM0153", PROFILE, False), ("GM0153", consented, True),
                                 ("PV23", consented, True), ("MIRT-EZ", consented, False),
                                 ("COORDINATOR", consented, False)):
        mail = mail_for(code, profile)
        for part in (mail.subject, mail.text, mail.html):
            assert ("Geheim B.V." in part or "87654321" in part) == (shown and part is not mail.subject), code
        assert not any(f in mail.text + mail.html for f in ("4317", "4.317", "4,317"))


def test_language_per_recipient_both_parts_escaped_html_and_one_line_subject():
    nl, en = mail_for("GM0153", PROFILE), mail_for("GM0503", PROFILE, code_name="Rei\r\nBcc: x@y.example")
    assert nl.subject == "Locatievoorstel voor case Reiger" and "2.000–5.000 m²" in nl.text
    assert en.subject == "Site proposal for case Rei Bcc: x@y.example" and "\n" not in en.subject
    assert "2,000–5,000 m²" in en.html and "Q3 2027" in en.text
    assert "<script>" not in nl.html and "&lt;script&gt;" in nl.html and "<script>x</script>" in nl.text


def test_budget_periods_are_epoch_aligned():
    start, end = domain.budget_period(datetime(2026, 11, 30, 13, 5, tzinfo=UTC), 86_400)
    assert (start, end) == (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


# ---- reply tokens --------------------------------------------------------------------------------------

def test_reply_tokens_are_signed_bound_to_case_and_recipient_and_expire():
    case = uuid.uuid4()
    token = sign(b"k", case, "GM0153", valid_seconds=60, now=1000)
    grant = verify(b"k", token, now=1030)
    assert (grant.case_id, grant.recipient) == (case, "GM0153")
    payload, mac = token.split(".")
    forged = sign(b"k", case, "GM0503", valid_seconds=60, now=1000).split(".")[0] + "." + mac
    for bad, now in ((forged, 1030), (token, 1100), ("garbage", 1030), (token + "x", 1030)):
        with pytest.raises(BadToken):
            verify(b"k", bad, now=now)
    with pytest.raises(BadToken):
        verify(b"other", token, now=1030)


def test_built_messages_refuse_line_breaks_in_any_header():
    from services.notifications.mailer import build_message

    mail = mail_for("GM0153", PROFILE)
    msg = build_message({"message_id": "<x@groeiruimte.example>"}, mail, SETTINGS.mail_from)
    assert msg["Content-Language"] == "nl" and msg.get_content_type() == "multipart/alternative"
    sneaky = Recipient.model_construct(**DIRECTORY["GM0153"].model_dump() | {"name": "E\r\nBcc: x@y.example"})
    with pytest.raises(ValueError, match="header injection"):
        build_message({"message_id": "<x@groeiruimte.example>"}, mail.__class__(
            recipient=sneaky, template=mail.template, subject=mail.subject, text=mail.text, html=mail.html),
            SETTINGS.mail_from)
