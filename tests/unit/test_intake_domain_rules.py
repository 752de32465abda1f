"""Intake's pure rules at their edges: exact triage verdicts and boundaries, name keys, merge patches and
code names that must never change (they are in mails already sent)."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest

from services.intake import domain
from shared.contracts.events import LeadSignalledData
from tests.factories import intake_lead_payload

TODAY = date(2026, 11, 30)


def lead(*, need: date, **overrides) -> LeadSignalledData:
    demand = {"energy": {"grid_connection_mw": 3, "needed_by": need.isoformat()}}
    return LeadSignalledData.model_validate(intake_lead_payload()["data"] | overrides | {"demand": demand})


def test_a_lead_without_any_technology_domain_is_not_eligible():
    # The contract asks for one domain at least; triage must not open a case should that ever be relaxed.
    no_domain = lead(need=TODAY).model_copy(update={"technology_domains": ()})
    assert domain.triage(no_domain, today=TODAY) == domain.Triage(
        False, "out of scope: no NTS technology domain and not essential to strategic autonomy", in_scope=False,
        facts={"code": "no-domain", "sector": None})


@pytest.mark.parametrize("flag, reason", [("low_value_production", "out of scope: low-value production"),
                                          ("negative_externalities", "out of scope: many negative external effects")])
def test_out_of_scope_verdicts_are_exactly_false_with_their_reason(flag, reason):
    assert domain.triage(lead(need=TODAY, **{flag: True}), today=TODAY) == domain.Triage(
        False, reason, in_scope=False, facts={"code": flag.replace("_", "-")})


def test_a_need_on_the_horizon_day_is_within_it_and_the_day_after_is_not():
    horizon = date(2029, 11, 30)
    on = domain.triage(lead(need=horizon), today=TODAY)
    assert on == domain.Triage(True, "NTS domain; growth blocked by 2029-11-30, within 3 years", in_scope=True,
                               facts={"code": "nts-domain", "sector": None, "earliest_need": "2029-11-30",
                                      "horizon_years": 3})
    after = domain.triage(lead(need=horizon + timedelta(days=1)), today=TODAY)
    assert after == domain.Triage(False, "space first needed by 2029-12-01, beyond the 3-year horizon (2029-11-30)",
                                  in_scope=True, facts={"code": "beyond-horizon", "earliest_need": "2029-12-01",
                                                        "horizon_years": 3, "horizon": "2029-11-30"})


def test_a_need_today_is_blocked_now_and_tomorrow_is_blocked_by_that_date():
    assert domain.triage(lead(need=TODAY), today=TODAY).reason == "NTS domain; growth blocked now, within 3 years"
    assert (domain.triage(lead(need=TODAY + timedelta(days=1)), today=TODAY).reason
            == "NTS domain; growth blocked by 2026-12-01, within 3 years")


def test_the_horizon_from_a_leap_day_ends_on_28_february_of_its_year():
    leap = date(2028, 2, 29)
    assert domain.triage(lead(need=date(2031, 2, 28)), today=leap).eligible
    assert not domain.triage(lead(need=date(2031, 3, 1)), today=leap).eligible


def test_the_horizon_follows_the_configured_years():
    assert domain.triage(lead(need=date(2030, 11, 30)), today=TODAY, horizon_years=4).eligible
    assert not domain.triage(lead(need=date(2030, 11, 30)), today=TODAY, horizon_years=3).eligible


def test_a_strategic_autonomy_lead_names_its_sector_in_the_reason():
    verdict = domain.triage(lead(need=TODAY, technology_domains=["strategic-autonomy"], sector="drinkwater"),
                            today=TODAY)
    assert verdict == domain.Triage(True, "strategic autonomy (sector: drinkwater); growth blocked now, within 3 years",
                                    in_scope=True, facts={"code": "strategic-autonomy", "sector": "drinkwater",
                                                          "earliest_need": None, "horizon_years": 3})


@pytest.mark.parametrize("domains, kind", [
    (["strategic-pharmaceuticals"], "strategic autonomy"),
    (["strategic-pharmaceuticals", "strategic-defence"], "strategic autonomy"),
    (["strategic-defence", "optical-systems-integrated-photonics"], "NTS domain"),
])
def test_strategic_autonomy_is_named_only_when_every_domain_is_one(domains, kind):
    verdict = domain.triage(lead(need=TODAY, technology_domains=domains), today=TODAY)
    assert verdict.eligible is True and verdict.reason.split(";")[0] == kind


def test_a_lead_in_every_strategic_autonomy_category_is_strategic_autonomy_not_nts():
    verdict = domain.triage(lead(need=TODAY, technology_domains=sorted(domain.STRATEGIC_AUTONOMY), sector="zout"),
                            today=TODAY)
    assert verdict.reason.split(";")[0] == "strategic autonomy (sector: zout)"


@pytest.mark.parametrize("name, key", [
    ("Lichtweg Fotonica B.V.", "lichtweg fotonica"),
    ("Société Quantique N.V.", "societe quantique"),
    ("The Holding Group GmbH", "the holding group gmbh"),  # nothing but legal forms: keep them all
    ("B.V.", "bv"),
    ("Fab 2 Holding", "fab 2"),
])
def test_name_keys_keep_what_identifies_the_company(name, key):
    assert domain.name_key(name) == key


def test_names_with_a_number_on_one_side_only_never_match():
    assert domain.name_similarity("fab 1", "fab") == 0.0
    assert domain.name_similarity("fab", "fab 1") == 0.0
    assert domain.name_similarity("fab 1", "fab 1") == 1.0


def test_a_similarity_exactly_at_the_threshold_looks_alike():
    a = "abcdefghijklmnopqrst"
    b = a[:17] + "xyz"  # 17 of 20 characters in common: 2 * 17 / 40 = 0.85
    assert domain.name_similarity(a, b) == domain.NAME_MATCH_THRESHOLD
    assert domain.names_look_alike(a, b)
    assert not domain.names_look_alike(a, a[:16] + "wxyz")


def test_a_merge_patch_on_a_non_object_starts_from_an_empty_object():
    assert domain.merge_patch("old", {"a": 1}) == {"a": 1}
    assert domain.merge_patch(None, {"a": {"b": 1, "c": None}}) == {"a": {"b": 1}}
    assert domain.merge_patch({"a": 1}, [1, 2]) == [1, 2]


def test_a_new_municipality_on_a_stored_location_without_a_province_just_sets_it():
    stored = {"location": {"municipality_code": "GM0363", "region": "noord-west"}}
    moved = domain.patched_lead(stored, {"location": {"municipality_code": "GM0772"}})
    assert moved["location"] == {"municipality_code": "GM0772", "region": "noord-west"}


def test_null_for_a_field_that_is_not_there_changes_nothing():
    assert domain.merge_patch({"a": 1}, {"b": None}) == {"a": 1}


@pytest.mark.parametrize("case, name", [
    (uuid.UUID(int=0), "Amber Anchor 0000"),
    (uuid.UUID(int=1), "Brisk Anchor 0000"),
    (uuid.UUID(int=0xBEEF0703), "Tulip Lock BEEF"),
    (uuid.UUID("5d0c1b8e-6a43-4d0e-9a57-6b2a1f3e2c10"), "Quartz Anchor 1F3E"),
])
def test_code_names_never_change(case, name):
    # Municipalities know cases by these names: a new release must give every case the name it had.
    assert domain.code_name(case) == name


def test_code_names_use_every_word_and_four_hex_digits():
    names = [domain.code_name(uuid.UUID(int=(i << 16) | (i << 8) | i)) for i in range(400)]
    assert {n.split()[0].lower() for n in names} == set(domain._ADJECTIVES)
    assert {n.split()[1].lower() for n in names} == set(domain._NOUNS)
    assert all(re.fullmatch(r"[0-9A-F]{4}", n.split()[2]) for n in names)
    assert domain.code_name(uuid.UUID(int=0xFFFF0000)).endswith(" FFFF")


def test_the_company_ref_is_a_keyed_hash_of_the_kvk_number():
    ref = domain.company_ref("12345678", b"k1")
    assert re.fullmatch(r"[0-9a-f]{64}", ref)
    assert ref == domain.company_ref("12345678", b"k1") != domain.company_ref("87654321", b"k1")
