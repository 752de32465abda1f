"""Intake's pure logic: triage, look-alike names, change detection, merge patches, identities."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.intake import domain
from shared.contracts.events import NAME_MAX, Company, LeadSignalledData
from tests.factories import intake_lead_payload

TODAY = date(2026, 11, 30)


def lead(**overrides) -> LeadSignalledData:
    data = intake_lead_payload()["data"] | overrides
    return LeadSignalledData.model_validate(data)


def needed_in(days: int) -> dict:
    return {"energy": {"grid_connection_mw": 3, "needed_by": (TODAY + timedelta(days=days)).isoformat()}}


def test_growth_blocked_within_three_years_is_eligible():
    verdict = domain.triage(lead(demand=needed_in(365)), today=TODAY)
    assert verdict.eligible and "NTS domain" in verdict.reason


def test_growth_blocked_already_is_eligible_now():
    verdict = domain.triage(lead(demand=needed_in(-30)), today=TODAY)
    assert verdict.eligible and "blocked now" in verdict.reason


def test_demand_beyond_the_horizon_stays_in_the_portfolio_with_the_reason():
    verdict = domain.triage(lead(demand=needed_in(4 * 365)), today=TODAY)
    assert not verdict.eligible and "beyond the 3-year horizon" in verdict.reason


def test_strategic_autonomy_alone_is_eligible():
    verdict = domain.triage(lead(technology_domains=["strategic-defence"], demand=needed_in(10)), today=TODAY)
    assert verdict.eligible and verdict.reason.startswith("strategic autonomy")


@pytest.mark.parametrize("flag, reason", [("low_value_production", "low-value production"),
                                          ("negative_externalities", "negative external effects")])
def test_out_of_scope_leads_are_not_eligible(flag, reason):
    verdict = domain.triage(lead(**{flag: True}, demand=needed_in(10)), today=TODAY)
    assert not verdict.eligible and reason in verdict.reason


def test_the_horizon_survives_a_leap_day():
    verdict = domain.triage(lead(demand=needed_in(10)), today=date(2028, 2, 29))
    assert verdict.eligible


@pytest.mark.parametrize("a, b", [("Lichtweg Fotonica B.V.", "LICHTWEG-FOTONICA bv"),
                                  ("Lichtweg Fotonica B.V.", "Lichtweg Fotonika"),
                                  ("Société Quantique N.V.", "Societe Quantique")])
def test_look_alike_names_match(a, b):
    assert domain.names_look_alike(domain.name_key(a), domain.name_key(b))


@pytest.mark.parametrize("a, b", [("Fab 1 B.V.", "Fab 2 B.V."), ("Lichtweg Fotonica", "Kwantum Delta"),
                                  ("ASML", "ASM International")])
def test_different_names_do_not_match(a, b):
    assert not domain.names_look_alike(domain.name_key(a), domain.name_key(b))


def test_changed_fields_name_only_what_changed():
    assert domain.changed_fields({"a": 1, "b": {"x": 1}}, {"a": 1, "b": {"x": 2}, "c": 3}) == {
        "b": {"old": {"x": 1}, "new": {"x": 2}}, "c": {"old": None, "new": 3}}


def test_merge_patch_merges_objects_and_null_removes():
    target = {"stage": "startup", "company": {"name": "A", "kvk_number": "12345678"}, "life_phase": 2}
    patched = domain.merge_patch(target, {"company": {"name": "B"}, "life_phase": None})
    assert patched == {"stage": "startup", "company": {"name": "B", "kvk_number": "12345678"}}
    assert target["company"]["name"] == "A"


def test_ids_and_code_names_are_stable_and_the_company_ref_is_keyed():
    lid = domain.lead_id("oost-nl", "R-1")
    assert lid == domain.lead_id("oost-nl", "R-1") != domain.lead_id("bom", "R-1")
    assert domain.code_name(domain.case_id(lid)) == domain.code_name(domain.case_id(lid))
    assert domain.company_ref("12345678", b"k1") != domain.company_ref("12345678", b"k2")
    assert "12345678" not in domain.company_ref("12345678", b"k1")


def test_a_company_outside_every_domain_is_turned_away_with_its_sector_in_the_reason():
    verdict = domain.triage(lead(technology_domains=[], sector="retail", demand=needed_in(10)), today=TODAY)
    assert not verdict.eligible
    assert verdict.reason == "out of scope: no NTS technology domain and not essential to strategic autonomy " \
                             "(sector: retail)"


def test_another_strategic_autonomy_sector_is_eligible_and_says_which():
    verdict = domain.triage(lead(technology_domains=["strategic-autonomy"], sector="critical raw materials",
                                 demand=needed_in(10)), today=TODAY)
    assert verdict.eligible
    assert verdict.reason.startswith("strategic autonomy (sector: critical raw materials); growth blocked by ")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=200))
@example("Ⅷ" * 200)  # 200 characters, 800 once normalised ("VIII")
@example("ﷺ" * 10)  # one character, 18 once normalised
def test_the_name_key_of_any_name_the_contract_accepts_fits_its_column(name):
    """name_key goes into a varchar(200): the contract's limit after normalisation must keep it there."""
    try:
        company = Company(kvk_number="12345678", name=name)
    except ValidationError:
        return
    assert len(domain.name_key(company.name)) <= NAME_MAX


def test_a_patch_that_moves_the_company_derives_its_province_again():
    stored = {"location": {"municipality_code": "GM0153", "province": "Overijssel", "region": "oost"}}
    moved = domain.patched_lead(stored, {"location": {"municipality_code": "GM0772", "region": "zuid"}})
    assert moved["location"] == {"municipality_code": "GM0772", "region": "zuid"}
    assert stored["location"]["province"] == "Overijssel"  # the stored lead is left alone
    given = domain.patched_lead(stored, {"location": {"municipality_code": "GM0772", "province": "Limburg"}})
    assert given["location"]["province"] == "Limburg"  # the contract then says it is wrong
    assert domain.patched_lead(stored, {"stage": "grown-up"})["location"] == stored["location"]
