"""Matching's pure logic: each hard constraint, the score and its explanations, missing data, counterfactuals."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from services.matching import domain
from services.matching.domain import Catalogue, Site, Weights
from services.matching.domain.criteria import Case
from services.matching.repository import reference_sites
from shared.contracts import SpaceDemand

NEED = date(2027, 6, 1)


def site(sid: str, **overrides) -> Site:
    """A site that meets the standard demand below, unless overridden."""
    values = dict(id=sid, name=sid.title(), region="oost", province="Overijssel", municipality_code="GM0153",
                  floor_space_m2=10_000, largest_lot_m2=6_000, cleanroom_iso_class=6, cleanroom_m2=500,
                  cleanroom_facility="shared", vibration_free=True, environmental_category_max="4.1",
                  grid_mw_available=5.0, grid_congestion="none", graduates_mbo=500, graduates_hbo=800,
                  graduates_wo=400, labour_market_tightness=1.0, housing_pressure=0.5,
                  accessibility=["rail", "motorway"], clusters=["semiconductor-technologies"],
                  knowledge_distance_km=2.0, fieldlabs=["lab"])
    return Site.model_validate(values | overrides)


def case(region: str = "oost", **demand) -> Case:
    base = {"floor_space": {"floor_space_m2": 5_000, "cleanroom_iso_class": 7, "cleanroom_m2": 200,
                            "environmental_category": "3.2", "vibration_free": True, "needed_by": NEED},
            "energy": {"grid_connection_mw": 3.0, "needed_by": NEED}}
    return Case(demand=SpaceDemand.model_validate(base | demand), domains=("semiconductor-technologies",),
                origin_region=region)


def run(c: Case, sites: list[Site], **kw) -> domain.MatchResult:
    return domain.match(c, Catalogue.of(sites), Weights(), top_n=kw.pop("top_n", 5), **kw)


@pytest.mark.parametrize(("overrides", "constraint", "counterfactual"), [
    ({"floor_space_m2": 3_500, "largest_lot_m2": 3_000}, "floor_space", "qualifies with 1,500 m² more by 2027-06"),
    ({"cleanroom_iso_class": 8}, "cleanroom", "qualifies with an ISO 7 cleanroom (has ISO 8)"),
    ({"cleanroom_m2": 150}, "cleanroom", "50 m² more"),
    ({"grid_mw_available": 1.5}, "grid_capacity", "qualifies with +1.5 MW by 2027-06"),
    ({"environmental_category_max": "3.1"}, "environmental_category",
     "qualifies if environmental category 3.2 were allowed (allows up to 3.1)"),
    ({"available_from": date(2027, 12, 1)}, "availability", "qualifies if available by 2027-06 instead of 2027-12"),
    ({"vibration_free": False}, "vibration_free", "qualifies with vibration-free floors (the site has none)"),
])
def test_each_hard_constraint_excludes_and_explains_a_near_miss(overrides, constraint, counterfactual):
    result = run(case(), [site("fits"), site("misses", **overrides)])
    assert [p.site_id for p in result.proposals] == ["fits"]
    (near,) = result.near_misses
    assert near.site_id == "misses" and near.failed == (constraint,)
    assert counterfactual in near.counterfactuals[0]


def test_grid_capacity_counts_a_reinforcement_only_when_it_is_done_by_the_need_date():
    early = site("early", grid_mw_available=1.0, grid_reinforcement_date=date(2027, 3, 1),
                 grid_mw_after_reinforcement=10.0)
    late = site("late", grid_mw_available=1.0, grid_reinforcement_date=date(2028, 3, 1),
                grid_mw_after_reinforcement=10.0)
    result = run(case(), [early, late])
    assert [p.site_id for p in result.proposals] == ["early"]
    assert "grid: 10 MW by 2027-06-01" in " ".join(result.proposals[0].explanations)
    assert "grid reinforcement planned for 2028-03 comes by then" in result.near_misses[0].counterfactuals[0]


def test_planned_land_counts_from_its_date():
    ready = site("ready", floor_space_m2=1_000, planned_floor_space_m2=6_000, planned_available_from=date(2027, 1, 1))
    later = site("later", floor_space_m2=1_000, planned_floor_space_m2=6_000, planned_available_from=date(2027, 9, 1))
    result = run(case(), [ready, later])
    assert [p.site_id for p in result.proposals] == ["ready"]
    assert "when its planned land arrives (2027-09)" in result.near_misses[0].counterfactuals[0]


def test_missing_data_is_flagged_and_left_out_of_the_score_not_scored_zero():
    unknown = site("unknown", grid_mw_available=None, knowledge_distance_km=None)
    known = site("known")
    result = run(case(), [unknown, known])
    by_id = {p.site_id: p for p in result.proposals}
    assert "grid capacity unknown: verify with the grid operator" in by_id["unknown"].missing_data
    assert "energy" not in by_id["unknown"].contributions and "energy" in by_id["known"].contributions
    assert by_id["unknown"].completeness < 1.0 == by_id["known"].completeness
    assert by_id["unknown"].score > 0.5  # the unknowns did not count as zero


def test_contributions_sum_to_the_score_and_weights_are_configuration():
    c = case(talent={"fte_hbo": 40, "needed_by": NEED})
    sites = [site("many-grads", graduates_hbo=2_000, clusters=[]), site("cluster", graduates_hbo=50)]
    talent_first = domain.match(c, Catalogue.of(sites), Weights(talent=5.0, cluster=0.0), top_n=2)
    cluster_first = domain.match(c, Catalogue.of(sites), Weights(talent=0.0, cluster=5.0), top_n=2)
    assert talent_first.proposals[0].site_id == "many-grads"
    assert cluster_first.proposals[0].site_id == "cluster"
    for p in talent_first.proposals:
        assert abs(sum(p.contributions.values()) - p.score) < 1e-3
        assert set(p.contributions) == {"space", "energy", "talent", "cluster", "knowledge", "own_region"}


def test_own_and_other_region_options_are_both_shown_and_labelled():
    sites = [site(f"oost-{i}", knowledge_distance_km=1.0) for i in range(5)] + [
        site("west-1", region="west", province="Zuid-Holland", municipality_code="GM0503", clusters=[],
             knowledge_distance_km=40.0)]
    result = run(case(), sites, top_n=3)
    assert len(result.proposals) == 3
    assert [p.region_label for p in result.proposals].count("other region") == 1
    assert result.proposals[-1].site_id == "west-1" and not result.proposals[-1].own_region
    assert all(p.region_label == "own region" for p in result.proposals[:2])


def test_no_site_anywhere_gives_the_blocking_constraints_per_region():
    sites = [site("oo", grid_mw_available=1.0), site("ww", region="west", province="Zuid-Holland",
                                                     municipality_code="GM0503", floor_space_m2=100)]
    result = run(case(), sites)
    assert result.no_proposition and not result.proposals
    assert result.blocking == {"oost": ["grid_capacity"], "west": ["floor_space"], "noord": ["no_sites"],
                               "zuid": ["no_sites"], "midden": ["no_sites"]}
    details = result.blocking_details
    assert details["oost"] == ["grid: 1 of 1 sites cannot deliver 3 MW by 2027-06-01 (most there 1 MW)"]
    assert details["west"][0].startswith("floor space: 1 of 1 sites lack 5,000 m² by 2027-06-01")
    assert details["noord"] == ["no sites in the catalogue"]


def test_ranking_prefers_headroom_cluster_and_knowledge():
    sites = [site("tight", floor_space_m2=5_000, largest_lot_m2=2_000, grid_mw_available=3.0, clusters=[]),
             site("roomy"), site("roomy-far", knowledge_distance_km=45.0)]
    ranked = [p.site_id for p in run(case(), sites).proposals]
    assert ranked == ["roomy", "roomy-far", "tight"]


def test_the_catalogue_is_patched_in_place_and_the_next_match_sees_it():
    cat = Catalogue.of([site("aa", grid_mw_available=1.0)])
    assert domain.match(case(), cat, Weights(), top_n=5).no_proposition
    cat.upsert(site("aa", grid_mw_available=4.0))
    cat.upsert(site("bb"))
    assert [p.site_id for p in domain.match(case(), cat, Weights(), top_n=5).proposals] == ["bb", "aa"]


def test_could_change_ignores_sites_that_neither_were_shown_nor_now_qualify():
    far_off = Catalogue.of([site("xx", floor_space_m2=10), site("xx", floor_space_m2=20)])
    now_fits = Catalogue.of([site("yy", floor_space_m2=10), site("yy")])
    assert not domain.could_change(case(), far_off, shown=set())
    assert domain.could_change(case(), far_off, shown={"xx"})
    assert domain.could_change(case(), now_fits, shown=set())


def test_vectorised_scoring_agrees_with_a_site_by_site_run():
    sites = [Site.model_validate(row) for row in reference_sites()]
    c = case(region="zuid", energy={"grid_connection_mw": 1.0, "needed_by": NEED})
    together = domain.match(c, Catalogue.of(sites), Weights(), top_n=len(sites))
    alone = {s.id: domain.match(c, Catalogue.of([s]), Weights(), top_n=1).proposals for s in sites}
    assert {p.site_id for p in together.proposals} == {k for k, v in alone.items() if v}
    for p in together.proposals:
        assert np.isclose(p.score, alone[p.site_id][0].score, atol=1e-4)
        assert p.contributions.keys() == alone[p.site_id][0].contributions.keys()


def test_reference_catalogue_covers_the_five_regions_and_is_labelled_illustrative():
    sites = [Site.model_validate(row) for row in reference_sites()]
    by_region = {r: [s for s in sites if s.region.value == r] for r in ("noord", "oost", "zuid", "west", "midden")}
    assert all(len(v) >= 3 for v in by_region.values())
    assert all(s.illustrative for s in sites)


def test_could_change_uses_the_cutoffs_to_skip_sites_that_would_not_rank():
    shown_sites = [site(f"good-{i}", knowledge_distance_km=1.0) for i in range(3)]
    other = site("west-ok", region="west", province="Zuid-Holland", municipality_code="GM0503")
    result = domain.match(case(), Catalogue.of([*shown_sites, other]), Weights(), top_n=3)
    shown = {p.site_id for p in result.proposals}
    weak = site("weak", floor_space_m2=5_000, largest_lot_m2=1_000, grid_mw_available=3.0, clusters=[],
                knowledge_distance_km=49.0)
    strong = site("strong", knowledge_distance_km=0.5, grid_mw_available=20.0, floor_space_m2=50_000)
    assert not domain.could_change(case(), Catalogue.of([weak]), shown, result.cutoffs, top_n=3)
    assert domain.could_change(case(), Catalogue.of([strong]), shown, result.cutoffs, top_n=3)
    assert domain.could_change(case(), Catalogue.of([weak]), shown, result.cutoffs, top_n=5)  # a free slot



def test_a_demanded_vibration_free_floor_is_a_hard_constraint_named_where_a_region_is_blocked():
    sites = [site("shaky", vibration_free=False), site("unknown", vibration_free=None),
             site("ww", region="west", province="Zuid-Holland", municipality_code="GM0503", vibration_free=False)]
    result = run(case(), sites)
    assert [p.site_id for p in result.proposals] == ["unknown"]  # unknown passes provisionally, flagged
    assert "vibration-free floors unknown" in result.proposals[0].missing_data
    assert result.blocking["west"] == ["vibration_free"]
    assert result.blocking_details["west"] == ["vibration-free floors: 1 of 1 sites have no vibration-free floors"]
    assert {n.site_id: n.failed for n in result.near_misses} == {"shaky": ("vibration_free",),
                                                                   "ww": ("vibration_free",)}


def test_without_the_demand_a_site_lacking_vibration_free_floors_is_proposed():
    demand = {"floor_space_m2": 5_000, "needed_by": NEED}
    result = run(case(floor_space=demand), [site("shaky", vibration_free=False)])
    assert [p.site_id for p in result.proposals] == ["shaky"]


def test_every_unmet_soft_need_of_a_proposed_site_is_in_its_explanation():
    c = case(floor_space={"floor_space_m2": 5_000, "needed_by": NEED},
             capital={"facility": "own", "needed_by": NEED},
             talent={"fte_wo": 40, "fte_hbo": 10, "needed_by": NEED},
             housing={"staff_to_house": 30, "transport_needs": ["rail", "port"], "needed_by": NEED})
    poor = site("poor", largest_lot_m2=3_000, cleanroom_facility="shared", graduates_wo=300, graduates_hbo=900,
                labour_market_tightness=1.4, housing_pressure=0.8, accessibility=["rail", "motorway"])
    (proposal,) = run(c, [poor]).proposals
    unmet = [e.removeprefix("not met: ") for e in proposal.explanations if e.startswith("not met: ")]
    assert unmet == [
        "the largest contiguous lot is 3,000 m², smaller than the 5,000 m² needed in one piece",
        "an own facility is wanted; the site offers only a shared facility",
        "40 wo hires need about 800 yearly wo graduates nearby; the site has 300",
        "the labour market is tight (1.40 vacancies per job seeker)",
        "no port access, which the company needs",
        "housing 30 staff is hard here (housing pressure 0.80)",
    ]


def test_a_site_that_meets_every_soft_need_has_no_unmet_line():
    c = case(capital={"facility": "shared", "needed_by": NEED}, talent={"fte_hbo": 10, "needed_by": NEED},
             housing={"staff_to_house": 30, "transport_needs": ["rail"], "needed_by": NEED})
    (proposal,) = run(c, [site("good", largest_lot_m2=6_000, housing_pressure=0.3)]).proposals
    assert not [e for e in proposal.explanations if e.startswith("not met: ")]
    assert "vibration-free floors" in proposal.explanations[0]


def test_a_retired_site_leaves_the_catalogue_and_a_removed_one_keeps_the_others_in_order():
    cat = Catalogue.of([site("aa"), site("bb", retired=True), site("cc"), site("dd")])
    assert cat.ids == ["aa", "cc", "dd"]
    cat.upsert(site("cc", retired=True))
    cat.remove("unknown")
    assert cat.ids == ["aa", "dd"] and cat.index == {"aa": 0, "dd": 1} and len(cat.cols["floor_now"]) == 2
    assert [p.site_id for p in domain.match(case(), cat, Weights(), top_n=5).proposals] == ["aa", "dd"]
    cat.upsert(site("cc"))  # reinstated
    assert cat.ids == ["aa", "dd", "cc"]


def test_a_site_belongs_to_its_municipality_and_province_by_cbs_code():
    from services.matching.domain import ownership

    enschede = site("oo", municipality_code="GM0153", province="Overijssel")
    assert ownership.owns("municipality", "GM0153", enschede) and ownership.owns("province", "PV23", enschede)
    assert ownership.owns("coordinator", "taskforce", enschede)
    assert not ownership.owns("municipality", "GM0772", enschede) and not ownership.owns("province", "PV30", enschede)
    assert not ownership.owns("rom", "oost-nl", enschede)
    assert ownership.owns("province", "PV23", site("typo", province="Overijsel"))  # by CBS's municipality table
    assert ownership.refusal("municipality", "GM0153", None, enschede) is None
    field, reason, facts = ownership.refusal("municipality", "GM0153", enschede,
                                             site("oo", municipality_code="GM0772"))
    assert field == "municipality_code" and "within its own municipality" in reason
    assert facts["type"] == "site-out-of-reach" and facts["municipality_code"] == "GM0772"  # the same, as facts
    refused = ownership.refusal("province", "PV30", enschede, enschede)
    assert refused.field == "site_id" and refused.facts == {
        "type": "not-site-owner", "site_id": "oo", "municipality_code": "GM0153", "province": "Overijssel",
        "organisation": "PV30", "role": "province"}


def test_each_explanation_line_has_its_facts_in_the_same_order():
    need = {"needed_by": NEED}
    demand = case(capital={"facility": "own"} | need, talent={"fte_mbo": 50, "fte_hbo": 10} | need,
                  housing={"staff_to_house": 30, "transport_needs": ["rail", "port"]} | need)
    (p,) = run(demand, [site("rich-park", largest_lot_m2=3000, housing_pressure=0.8, labour_market_tightness=1.4,
                             grid_congestion="congested")]).proposals
    facts = [(f.criterion, f.unmet) for f in p.explanation_facts]
    assert len(facts) == len(p.explanations)
    assert [line.split(":")[0] for line in p.explanations][:3] == ["floor space", "cleanroom", "grid"]
    assert facts[:3] == [("floor_space", None), ("cleanroom", None), ("grid_capacity", None)]
    unmet = [f for f in p.explanation_facts if f.unmet]
    assert [f.unmet for f in unmet] == ["largest_lot", "facility", "graduates", "labour_market", "access", "housing"]
    assert len(unmet) == sum(line.startswith("not met:") for line in p.explanations)
    floor, grid = p.explanation_facts[0], p.explanation_facts[2]
    assert (floor.needed, floor.offered, floor.largest_lot_m2, floor.vibration_free) == (5000, 10000, 3000, True)
    assert (grid.needed, grid.offered, grid.congestion) == (3.0, 5.0, "congested")
    assert unmet[2].level == "mbo" and unmet[2].hires == 50 and unmet[2].needed == 1000 and unmet[2].offered == 500
    assert unmet[3].tightness == 1.4 and unmet[4].access == ("port",)  # no float32 noise in the facts


def test_a_site_with_unknown_grid_capacity_is_proposed_with_its_offer_unknown_in_storable_facts():
    """Unknown grid capacity passes provisionally; its fact says null, never NaN, which is no JSON (PostgreSQL
    refused the match and the case was dead-lettered)."""
    import json

    from services.matching.handlers import result_doc

    result = run(case(), [site("unknown-grid", grid_mw_available=None)])
    (proposal,) = result.proposals
    grid = next(f for f in proposal.explanation_facts if f.criterion == "grid_capacity")
    assert grid.offered is None and "grid_capacity" in proposal.missing_keys
    json.dumps(result_doc(result), allow_nan=False)
