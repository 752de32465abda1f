"""The change of each entity's cells from one of its days to the next (domain/changes.py), against hand counts."""

from __future__ import annotations

from datetime import date

from services.reporting.domain.changes import Changes

D1, D2, D3, D4 = date(2026, 1, 5), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)


def test_a_cell_that_appears_changes_goes_and_comes_back_makes_one_delta_row_per_change_and_its_steps():
    changes = Changes()
    changes.add([(D1, {("cases", ""): (1, 0.0), ("investment", ""): (1, 5e6)}),
                 (D2, {("cases", ""): (1, 0.0), ("investment", ""): (1, 7e6)}),  # corrected amount
                 (D3, {("cases", ""): (1, 0.0)}),  # the amount went
                 (D4, {("cases", ""): (1, 0.0), ("investment", ""): (1, 2e6)})], steps_of="case:a")
    changes.add([(D2, {("cases", ""): (1, 0.0)})])  # another entity, no steps kept
    changes.add_deltas([(D2, "events", "case-opened", 1, 0.0)])
    assert sorted(changes.summed()) == [
        (D1, "cases", "", 1, 0.0), (D1, "investment", "", 1, 5e6),
        (D2, "cases", "", 1, 0.0), (D2, "events", "case-opened", 1, 0.0), (D2, "investment", "", 0, 2e6),
        (D3, "investment", "", -1, -7e6),
        (D4, "investment", "", 1, 2e6)]
    assert sorted(changes.steps()) == [("case:a", "investment", "", D1, D2, 5e6),
                                       ("case:a", "investment", "", D2, D3, 7e6),
                                       ("case:a", "investment", "", D4, None, 2e6)]


def test_an_earlier_view_of_an_entity_taken_away_leaves_only_what_the_new_facts_changed():
    before = [(D1, {("cases", ""): (1, 0.0), ("cases_by_stage", "start-up"): (1, 0.0)})]
    now = [(D1, {("cases", ""): (1, 0.0), ("cases_by_stage", "start-up"): (1, 0.0)}),
           (D3, {("cases", ""): (1, 0.0), ("cases_by_stage", "scale-up"): (1, 0.0)})]
    changes = Changes()
    changes.add(now, steps_of="case:a")
    changes.add(before, sign=-1)
    assert sorted(changes.summed()) == [(D3, "cases_by_stage", "scale-up", 1, 0.0),
                                        (D3, "cases_by_stage", "start-up", -1, 0.0)]
    assert changes.steps() == []
