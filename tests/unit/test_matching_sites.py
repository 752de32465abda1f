"""A catalogue site: what its record accepts, and how a change to it is described (site-changed, its history)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.matching.domain.sites import (
    SITE_ID_RULE,
    Site,
    action_of,
    changed_fields,
    field_changes,
    flat_value,
    site_key,
)

BASE = dict(id="oost-kennispark", name="Kennispark", region="oost", province="Overijssel",
            municipality_code="GM0153", floor_space_m2=1000)


def site(**overrides) -> Site:
    return Site.model_validate(BASE | overrides)


def reasons(**overrides) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as err:
        site(**overrides)
    return [(e["loc"], e["msg"]) for e in err.value.errors()]


def test_a_site_id_is_trimmed_and_lower_cased_and_its_rule_is_said_in_words():
    assert site(id="  Oost-KENNISPARK ").id == "oost-kennispark"
    assert site_key(" Ab1 ") == "ab1"
    for bad in ("a", "-oost", "oost kennispark", "oost_park", "x" * 101):
        with pytest.raises(ValueError) as err:
            site_key(bad)
        assert str(err.value) == f"site id {bad!r} is not valid: {SITE_ID_RULE}"
    assert site_key("x" * 100) == "x" * 100


@pytest.mark.parametrize("field, value", [("name", "Kennis\x00park"), ("hotspot", "\x00"),
                                          ("province", "Over\x00ijssel"), ("fieldlabs", ["lab", "x\x00"]),
                                          ("knowledge_institutions", ("UT\x00",))])
def test_no_text_of_a_site_may_hold_a_nul_character(field, value):
    assert reasons(**{field: value}) == [((field,), "Value error, must not contain NUL characters (\\x00)")]


def test_lists_arrive_as_semicolon_separated_text_from_csv_cells_and_site_changed():
    s = site(accessibility="rail; motorway;;", clusters="semiconductor-technologies", fieldlabs=" a ;b",
             knowledge_institutions="UT;Saxion")
    assert s.accessibility == frozenset({"rail", "motorway"})
    assert s.clusters == frozenset({"semiconductor-technologies"})
    assert (s.fieldlabs, s.knowledge_institutions) == (("a", "b"), ("UT", "Saxion"))
    assert site(fieldlabs=["a", "b"]).fieldlabs == ("a", "b")


@pytest.mark.parametrize("overrides, reason", [
    (dict(planned_floor_space_m2=500), "planned_floor_space_m2 needs planned_available_from"),
    (dict(grid_reinforcement_date="2027-01-01"), "grid_reinforcement_date and grid_mw_after_reinforcement go together"),
    (dict(grid_mw_after_reinforcement=10), "grid_reinforcement_date and grid_mw_after_reinforcement go together"),
    (dict(cleanroom_m2=100), "cleanroom_m2 needs cleanroom_iso_class"),
])
def test_quantities_that_need_a_companion_field_are_refused_without_it(overrides, reason):
    assert reasons(**overrides) == [((), f"Value error, {reason}")]


def test_companion_fields_together_are_accepted():
    s = site(planned_floor_space_m2=500, planned_available_from="2027-01-01", grid_reinforcement_date="2027-01-01",
             grid_mw_after_reinforcement=10, cleanroom_m2=100, cleanroom_iso_class=6)
    assert (s.planned_floor_space_m2, s.grid_mw_after_reinforcement, s.cleanroom_m2) == (500, 10, 100)
    assert site(cleanroom_m2=0).cleanroom_m2 == 0 and site(planned_floor_space_m2=0).planned_available_from is None


def test_infinite_numbers_are_refused_since_jsonb_cannot_hold_them():
    assert [loc for loc, _ in reasons(floor_space_m2=float("inf"))] == [("floor_space_m2",)]


@pytest.mark.parametrize("field", ["floor_space_m2", "largest_lot_m2", "cleanroom_m2", "grid_mw_available",
                                   "graduates_hbo", "labour_market_tightness", "knowledge_distance_km"])
def test_quantities_beyond_any_real_site_are_refused_with_the_field(field):
    """1e39 m² passed once, and the catalogue's packed 4-byte float refused it in the database: a 500."""
    extra = {"cleanroom_iso_class": 6} if field == "cleanroom_m2" else {}
    assert [loc for loc, _ in reasons(**{field: 10**39}, **extra)] == [(field,)]


def test_values_travel_flat_with_lists_joined_and_sets_sorted():
    assert flat_value(["b", "a"]) == "b;a"
    assert flat_value(("b", "a")) == "b;a"
    assert flat_value(frozenset({"rail", "motorway"})) == "motorway;rail"
    assert flat_value({2, 1}) == "1;2"
    assert flat_value(3.5) == 3.5 and flat_value(None) is None and flat_value("x") == "x"


def test_a_new_site_changes_every_field_and_a_changed_one_only_what_differs():
    before = site(accessibility=["rail"])
    everything = changed_fields(None, before)
    assert everything["id"] == "oost-kennispark" and everything["accessibility"] == "rail"
    assert set(everything) == set(before.as_row())
    after = site(accessibility=["rail", "port"], floor_space_m2=2000)
    changed = changed_fields(before, after)
    assert set(changed) == {"accessibility", "floor_space_m2"} and changed["floor_space_m2"] == 2000.0
    assert sorted(changed["accessibility"].split(";")) == ["port", "rail"]  # in the set's order, as stored
    assert changed_fields(before, before) == {}


def test_field_changes_say_before_and_after_for_a_change_a_creation_and_a_deletion():
    before, after = site(), site(floor_space_m2=2000, hotspot="Twente")
    assert field_changes(before, after) == {"floor_space_m2": {"before": 1000.0, "after": 2000.0},
                                            "hotspot": {"before": "", "after": "Twente"}}
    created = field_changes(None, before)
    assert created["name"] == {"before": None, "after": "Kennispark"} and list(created) == sorted(created)
    deleted = field_changes(before, None)
    assert deleted["name"] == {"before": "Kennispark", "after": None}
    assert field_changes(before, site()) == {}


def test_the_history_names_what_a_change_did():
    live, retired = site(), site(retired=True)
    assert action_of(None, live) == "created"
    assert action_of(live, None) == "deleted"
    assert action_of(live, retired) == "retired"
    assert action_of(retired, live) == "reinstated"
    assert action_of(live, site(name="Anders")) == "changed"
    assert action_of(retired, site(retired=True, name="Anders")) == "changed"
