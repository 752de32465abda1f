"""What one case contributes to the figures (`case_cells`), cell by cell: a relocation's counts and amounts by
origin and destination, its ROM credit, a new scale-up only when it left its region, the lead times in days.

The fold tests see these summed over many cases; here every key and value of one case is pinned, so a cell
credited to the wrong region or ROM, or counted twice, fails by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.reporting.domain.figures import case_cells
from services.reporting.domain.projection import CaseState, Relocation

SIGNAL = datetime(2026, 1, 1, 9, tzinfo=UTC)
ONE = (1, 0.0)


def relocated(origin: str, destination: str, **relocation) -> CaseState:
    values = dict(origin_region=origin, destination_region=destination, destination_municipality="GM0772",
                  investment_eur=2_500_000.0, investment_status="verified", new_scale_up=True, jobs=40)
    return CaseState(company_ref="ref-a", stage="scale-up", domains=["photonics"], origin_region=origin,
                     demand_types=["energy"], signalled_at=SIGNAL, opened_at=SIGNAL + timedelta(days=9),
                     opened=True, organisations={"oost-nl", "partner-x"},
                     first_proposal_at=SIGNAL + timedelta(days=39), proposed_regions={destination},
                     relocation=Relocation(**values | relocation), outcome="relocated",
                     first_realised_at=SIGNAL + timedelta(days=158))


def test_a_relocation_to_another_region_counts_at_both_ends_credits_both_roms_and_a_new_scale_up():
    amount = (1, 2_500_000.0)
    assert case_cells(relocated("oost", "zuid")) == {
        ("cases", ""): ONE, ("cases_by_demand_type", "energy"): ONE, ("cases_by_origin_region", "oost"): ONE,
        ("cases_by_origin_rom", "oost-nl"): ONE, ("cases_by_origin_rom", "partner-x"): ONE,
        ("cases_by_stage", "scale-up"): ONE, ("cases_by_technology_domain", "photonics"): ONE,
        ("outcomes", "relocated"): ONE, ("proposed_flows", "oost -> zuid"): ONE, ("multi_region", ""): ONE,
        ("hotspots", "GM0772"): ONE,
        ("investment", ""): amount, ("investment_verified", ""): amount,
        ("investment_by_destination_rom", "bom"): amount,  # zuid's ROM
        ("investment_by_origin_rom", "oost-nl"): amount, ("investment_by_origin_rom", "partner-x"): amount,
        ("realised_by_origin_region", "oost"): ONE, ("realised_by_destination_region", "zuid"): ONE,
        ("realised_flows", "oost -> zuid"): ONE, ("realised_by_destination_rom", "bom"): ONE,
        ("realised_by_origin_rom", "oost-nl"): ONE, ("realised_by_origin_rom", "partner-x"): ONE,
        ("realised_other_region", ""): ONE, ("realised_other_region_by_destination_rom", "bom"): ONE,
        ("realised_other_region_by_origin_rom", "oost-nl"): ONE,
        ("realised_other_region_by_origin_rom", "partner-x"): ONE,
        ("new_scale_ups", ""): ONE,
        ("lead_time:signal_to_case", "9"): (1, 9.0), ("lead_time:case_to_proposal", "30"): (1, 30.0),
        ("lead_time:proposal_to_realisation", "119"): (1, 119.0),
        ("lead_time:signal_to_realisation", "158"): (1, 158.0),
    }


def test_a_relocation_within_its_own_region_counts_as_own_region_and_never_as_a_new_scale_up():
    cells = case_cells(relocated("oost", "oost", investment_status="estimated", investment_eur=80_000.0))
    relocation_cells = {k: v for k, v in cells.items() if k[0].startswith(("realised", "investment", "new_"))}
    amount = (1, 80_000.0)
    assert relocation_cells == {
        ("investment", ""): amount, ("investment_estimated", ""): amount,
        ("investment_by_destination_rom", "oost-nl"): amount,
        ("investment_by_origin_rom", "oost-nl"): amount, ("investment_by_origin_rom", "partner-x"): amount,
        ("realised_by_origin_region", "oost"): ONE, ("realised_by_destination_region", "oost"): ONE,
        ("realised_flows", "oost -> oost"): ONE, ("realised_by_destination_rom", "oost-nl"): ONE,
        ("realised_by_origin_rom", "oost-nl"): ONE, ("realised_by_origin_rom", "partner-x"): ONE,
        ("realised_own_region", ""): ONE,
    }
    assert ("multi_region", "") not in cells  # origin, proposals and destination all in oost


def test_a_destination_outside_the_five_regions_is_credited_under_its_own_name():
    cells = case_cells(relocated("west", "buitenland", new_scale_up=False))
    assert cells[("realised_by_destination_rom", "buitenland")] == ONE
    assert cells[("investment_by_destination_rom", "buitenland")] == (1, 2_500_000.0)
    assert ("new_scale_ups", "") not in cells and cells[("realised_other_region", "")] == ONE


def test_lead_times_run_only_between_moments_that_happened_and_round_to_whole_days_in_their_key():
    case = relocated("oost", "zuid")
    case.opened = False  # known from a later fact only: no signal-to-case time, the opening moment is not real
    case.first_proposal_at = SIGNAL + timedelta(days=39, hours=13)
    case.first_realised_at = None
    case.relocation = None
    cells = case_cells(case)
    times = {k: v for k, v in cells.items() if k[0].startswith("lead_time:")}
    assert times == {("lead_time:case_to_proposal", "31"): (1, 30 + 13 / 24)}
    assert not any(k[0].startswith(("realised", "investment")) for k in cells)
