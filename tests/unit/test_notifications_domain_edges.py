"""Notifications' pure rules at their edges: bucket boundaries, quarters, reply-link expiry to the second."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.notifications.config import NotificationsSettings
from services.notifications.domain import load_directory, message_id, rules
from services.notifications.domain.blocking import constraint_name
from services.notifications.domain.ranges import (
    FTE_EDGES,
    M2_EDGES,
    MW_EDGES,
    as_range,
    bucket,
    demand_lines,
    number,
    quarter,
)
from services.notifications.domain.replies import BadToken, ReplyGrant, sign, verify
from shared.contracts import RelocationRealisedData


@pytest.mark.parametrize("value, expected", [(0, (0, 500)), (499.9, (0, 500)), (500, (500, 1_000)),
                                             (49_999, (20_000, 50_000)), (50_000, (50_000, None))])
def test_a_figure_on_an_edge_belongs_to_the_bucket_above(value, expected):
    assert bucket(value, M2_EDGES) == expected


@pytest.mark.parametrize("value, edges, unit, lang, text", [
    (0, MW_EDGES, "MW", "nl", "tot 1 MW"), (0.5, MW_EDGES, "MW", "en", "up to 1 MW"),
    (100, MW_EDGES, "MW", "en", "more than 100 MW"), (1_200, FTE_EDGES, "FTE", "nl", "meer dan 1.000 FTE"),
    (12_345, M2_EDGES, "m²", "nl", "10.000–20.000 m²"), (12_345, M2_EDGES, "m²", "en", "10,000–20,000 m²")])
def test_ranges_in_both_languages(value, edges, unit, lang, text):
    assert as_range(value, edges, unit, lang) == text


def test_numbers_get_the_thousands_separator_of_their_language_and_no_decimals():
    assert (number(1234567.4, "nl"), number(1234567.4, "en")) == ("1.234.567", "1,234,567")


@pytest.mark.parametrize("day, en, nl", [("2027-03-31", "Q1 2027", "1e kwartaal 2027"),
                                         ("2027-04-01", "Q2 2027", "2e kwartaal 2027"),
                                         (date(2027, 12, 31), "Q4 2027", "4e kwartaal 2027")])
def test_quarters_turn_on_the_first_day_of_april_july_and_october(day, en, nl):
    assert (quarter(day, "en"), quarter(day, "nl")) == (en, nl)


def test_every_kind_of_demand_gets_its_own_line_in_order_with_its_label():
    demand = {"floor_space": {"floor_space_m2": 800, "cleanroom_iso_class": 5, "vibration_free": True,
                              "needed_by": "2027-02-01"},
              "capital": {"facility": "shared", "description": "secret", "needed_by": "2027-05-01"},
              "talent": {"fte_mbo": 4, "fte_wo": 8, "needed_by": "2027-08-01"},
              "housing": {"staff_to_house": 30, "transport_needs": ["rail", "hyperloop"], "needed_by": "2027-11-01"},
              "energy": {"grid_connection_mw": 3, "needed_by": "2028-01-01"}}
    nl = demand_lines(demand, "nl")
    assert nl == [
        {"kind": "floor_space", "label": "Ruimte (vloeroppervlak)", "size": "500–1.000 m²",
         "extras": "ISO 5, trillingsvrij", "by": "1e kwartaal 2027"},
        {"kind": "capital", "label": "Kapitaalintensieve voorziening", "size": "gedeeld (campus)", "extras": "",
         "by": "2e kwartaal 2027"},
        {"kind": "talent", "label": "Talent (extra personeel)", "size": "10–25 FTE", "extras": "mbo, wo",
         "by": "3e kwartaal 2027"},
        {"kind": "housing", "label": "Huisvesting en bereikbaarheid", "size": "25–50 FTE",
         "extras": "spoor, hyperloop", "by": "4e kwartaal 2027"},  # an unknown mode is shown as it came
        {"kind": "energy", "label": "Netaansluiting", "size": "2–5 MW", "extras": "", "by": "1e kwartaal 2028"}]
    en = demand_lines(demand, "en")
    assert [ln["label"] for ln in en] == ["Space (floor area)", "Capital-intensive facility", "Talent (extra staff)",
                                          "Housing and accessibility", "Grid connection"]
    assert en[0]["extras"] == "ISO 5, vibration-free" and en[3]["extras"] == "rail, hyperloop"


def test_a_demand_without_optional_parts_has_no_extras_and_counts_missing_levels_as_zero():
    lines = demand_lines({"floor_space": {"floor_space_m2": 800, "needed_by": "2027-02-01"},
                          "talent": {"fte_hbo": 12, "needed_by": "2027-02-01"},
                          "housing": {"needed_by": "2027-02-01"}}, "en")
    assert [(ln["size"], ln["extras"]) for ln in lines] == [("500–1,000 m²", ""), ("10–25 FTE", "hbo"),
                                                            ("up to 10 FTE", "")]
    assert demand_lines({}, "en") == []


def test_a_reply_link_is_valid_up_to_its_expiry_second_and_not_after():
    case = uuid.uuid4()
    token = sign(b"k", case, "GM0153", valid_seconds=60, now=1000.7)
    assert verify(b"k", token, now=1060) == ReplyGrant(case, "GM0153", 1060)
    with pytest.raises(BadToken, match="expired"):
        verify(b"k", token, now=1060.01)


def test_a_reply_link_without_now_uses_the_clock():
    token = sign(b"k", uuid.uuid4(), "GM0153", valid_seconds=3600)
    assert verify(b"k", token).recipient == "GM0153"
    with pytest.raises(BadToken, match="expired"):
        verify(b"k", sign(b"k", uuid.uuid4(), "GM0153", valid_seconds=-10))


@pytest.mark.parametrize("token, reason", [("no-dot", "malformed"), ("a.b.c", "malformed"), ("a.b", "malformed"),
                                           ("!!!.###", "signature")])
def test_malformed_links_say_so(token, reason):
    with pytest.raises(BadToken, match=reason):
        verify(b"k", token, now=0)


def test_a_link_signed_with_another_key_or_altered_is_refused_as_forged():
    token = sign(b"k", uuid.uuid4(), "GM0153", valid_seconds=60, now=0)
    with pytest.raises(BadToken, match="signature"):
        verify(b"other", token, now=0)
    payload, mac = token.split(".")
    with pytest.raises(BadToken, match="signature"):
        verify(b"k", payload + "." + ("B" if mac[0] == "A" else "A") + mac[1:], now=0)


def test_a_signed_payload_that_is_not_a_grant_is_malformed():
    import base64
    import hashlib
    import hmac

    payload = b"not-a-uuid|GM0153|10"
    mac = hmac.new(b"k", b"reply-v1|" + payload, hashlib.sha256).digest()[:20]
    token = ".".join(base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in (payload, mac))
    with pytest.raises(BadToken, match="malformed"):
        verify(b"k", token, now=0)


# ---- who is told what, exactly -------------------------------------------------------------------------


DIRECTORY = load_directory(NotificationsSettings().recipients_file)


def relocation(origin_province: str = "Overijssel", destination_province: str = "Gelderland"):
    return RelocationRealisedData.model_validate({
        "case_id": uuid.uuid4(), "investment_retained_eur": 1, "investment_status": "estimated", "jobs": 3,
        "new_scale_up": True, "evidence_ref": "x",
        "origin": {"municipality_code": "GM0153", "province": origin_province, "region": "oost"},
        "destination": {"municipality_code": "GM0268", "province": destination_province, "region": "oost"}})


def test_a_relocation_notice_carries_both_places_the_jobs_and_the_role():
    notices = rules.for_relocation(relocation(), DIRECTORY).notices
    origin = {"municipality_code": "GM0153", "province": "Overijssel", "region": "oost"}
    destination = {"municipality_code": "GM0268", "province": "Gelderland", "region": "oost"}
    assert [n.recipient for n in notices] == ["GM0153", "GM0268", "PV23", "PV25"]
    assert all(n.template == "relocation_realised" and not n.budgeted for n in notices)
    assert notices[0].context == {"origin": origin, "destination": destination, "jobs": 3, "new_scale_up": True,
                                  "roles": ["origin"]}


def test_a_relocation_within_one_province_tells_it_once_with_both_roles():
    data = relocation(destination_province="Overijssel")
    data = data.model_copy(update={"destination": data.destination.model_copy(update={"municipality_code": "GM0164"})})
    roles = {n.recipient: n.context["roles"] for n in rules.for_relocation(data, DIRECTORY).notices}
    assert roles["PV23"] == ["destination", "origin"]


def test_an_unknown_province_spelling_falls_back_to_the_province_of_the_municipality():
    roles = {n.recipient for n in rules.for_relocation(relocation(origin_province="Overijsel?"), DIRECTORY).notices}
    assert "PV23" in roles


def test_a_housing_signal_carries_the_transport_needs_to_province_and_mirt():
    out = rules.for_housing({"staff_to_house": 10, "transport_needs": ["rail", "port"]}, "Overijssel", DIRECTORY)
    assert [(n.recipient, n.template, n.context) for n in out.notices] == [
        ("PV23", "housing_signal", {"transport_needs": ["rail", "port"]}),
        ("MIRT-EZ", "housing_signal", {"transport_needs": ["rail", "port"]})]
    bare = rules.for_housing({"staff_to_house": 10}, "Overijssel", DIRECTORY)
    assert {n.context["transport_needs"] == [] for n in bare.notices} == {True}


def test_only_new_sites_keeps_template_and_budget_and_drops_a_notice_without_proposals():
    kept = rules.Notice("GM0153", "match_proposed", {"proposals": [{"site_id": "a"}, {"site_id": "b"}]}, True)
    other = rules.Notice("PV23", "match_proposed", {"proposals": [{"site_id": "a"}]}, True)
    empty = rules.Notice("GM0268", "no_proposition", {})
    assert rules.only_new_sites([kept, other, empty], {"GM0153": {"a"}}) == [
        rules.Notice("GM0153", "match_proposed", {"proposals": [{"site_id": "b"}]}, True),
        rules.Notice("PV23", "match_proposed", {"proposals": [{"site_id": "a"}]}, True)]


def test_the_message_id_is_a_32_hex_digest_of_event_recipient_and_template():
    event = uuid.UUID(int=7)
    mid = message_id(event, "GM0153", "match_proposed")
    assert mid == message_id(event, "GM0153", "match_proposed")
    assert len({mid, message_id(event, "GM0164", "match_proposed"), message_id(event, "GM0153", "digest"),
                message_id(uuid.UUID(int=8), "GM0153", "match_proposed")}) == 4
    local, _, domain_part = mid.strip("<>").partition("@")
    assert len(local) == 32 and int(local, 16) >= 0 and domain_part == "groeiruimte.example"


def test_constraint_names_fall_back_to_dutch_and_then_to_words():
    assert constraint_name("grid_capacity", "fr") == constraint_name("grid_capacity", "nl")
    assert constraint_name("some_new_rule", "en") == "some new rule"
