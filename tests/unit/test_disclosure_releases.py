"""The cell rules and the release replay of the disclosure policy (docs/disclosure.md) on small, worked examples.

tests/unit/test_disclosure_attacks.py attacks generated histories; these pin each rule down at its edges.
"""

from __future__ import annotations

from datetime import date

import pytest

from services.reporting.disclosure import releases as rel
from services.reporting.disclosure.rules import band, dominated, safe_amount, safe_amount_move, safe_count

D1, D2, D3, D4 = date(2025, 6, 30), date(2025, 12, 31), date(2026, 6, 30), date(2026, 12, 31)


@pytest.mark.parametrize("contributors, safe", [(0, True), (1, False), (2, False), (3, True), (40, True),
                                                (-2, False), (-3, True)])
def test_a_count_stands_for_nobody_or_at_least_three_companies(contributors, safe):
    assert safe_count(contributors) is safe


@pytest.mark.parametrize("total, largest, verdict", [
    (100, [], False),
    (100, [90], True),          # the others add 10 < 20 % of 90
    (100, [50, 30], False),     # the others add 20 >= 10
    (100, [50, 40], False),     # exactly 20 % of the largest: not dominated
    (100, [50, 41], True),      # 9 < 10
    (-100, [50, 41], True),     # a negative total (a correction) by its size
    (100, [60, 20, 20], False), # only the two largest count against the total
])
def test_the_p_percent_rule(total, largest, verdict):
    assert dominated(total, largest) is verdict


def test_an_amount_needs_three_contributors_and_no_dominant_one_unless_it_stands_for_nobody():
    assert safe_amount(0, 0, [])
    assert not safe_amount(5, 0, [])
    assert safe_amount(100, 3, [40, 30])
    assert not safe_amount(100, 2, [40, 30])
    assert not safe_amount(100, 3, [90, 5])
    assert not safe_amount(0, 2, [1, 1])  # nobody's total, but two companies stand behind it


def test_a_move_of_an_amount_needs_three_new_contributors_and_no_dominant_part():
    assert safe_amount_move(0, 0, [])
    assert safe_amount_move(500, 3, [100, 100])
    assert not safe_amount_move(500, 2, [100, 100])
    assert not safe_amount_move(50, 3, [40, 30])  # could be the two largest alone
    assert safe_amount_move(-500, 3, [100, 100])


@pytest.mark.parametrize("amount, shown", [
    (0, (0.0, 0.0)), (-5, (0.0, 0.0)), (123.4e6, (120e6, 130e6)), (99, (99.0, 100.0)), (100, (100.0, 110.0)),
    (5, (5.0, 5.1)), (1_999_999, (1_900_000.0, 2_000_000.0)),
])
def test_an_amount_is_shown_in_a_band_of_two_significant_digits(amount, shown):
    low, high = band(amount)
    assert (low, high) == pytest.approx(shown) and isinstance(low, float) and isinstance(high, float)


def test_components_are_the_finest_unions_of_blocks_of_both_partitions():
    found = rel.components([frozenset("x"), frozenset("y"), frozenset("z")], [frozenset("x"), frozenset("yz")])
    assert sorted(map(sorted, found)) == [["x"], ["y", "z"]]
    chained = rel.components([frozenset("ab"), frozenset("c"), frozenset("d")], [frozenset("a"), frozenset("bc"),
                                                                                 frozenset("d")])
    assert sorted(map(sorted, chained)) == [["a", "b", "c"], ["d"]]


def test_a_move_counts_companies_and_for_multi_valued_categories_three_in_one_category():
    before = {"a": (1, 1), "b": (2, 2)}
    assert rel.safe_move(before, {"a": (3, 3), "b": (2, 2)}, ["a"], False) is False   # moved by 2
    assert rel.safe_move(before, {"a": (4, 4), "b": (2, 2)}, ["a"], False) is True    # moved by 3
    assert rel.safe_move(before, {"b": (2, 2)}, ["a"], False) is False                # one company left
    assert rel.safe_move(before, {"a": (0, 0)}, ["a", "b"], False) is True            # three left a and b
    assert rel.safe_move(before, {"a": (0, 0), "b": (0, 0)}, ["a", "b"], False) is True
    assert rel.safe_move(before, {"a": (2, 2), "b": (1, 1)}, ["a", "b"], False) is True  # the sum did not move
    assert rel.safe_move({}, {"a": (1, 1), "b": (1, 1), "c": (1, 1)}, ["a", "b", "c"], True) is False
    assert rel.safe_move({}, {"a": (3, 3), "b": (0, 0)}, ["a", "b"], True) is True
    assert rel.safe_move({}, {"a": (-3, 3)}, ["a"], True) is True


def test_a_breakdown_merges_the_categories_of_too_few_companies_and_then_the_smallest_until_safe():
    (first,) = rel.release_groups([(D1, {"a": (5, 5), "b": (4, 4), "c": (1, 1), "d": (0, 0)})])
    assert (first.at, first.standalone, first.merged) == (D1, ("a",), ("b", "c"))
    assert first.values == {"a": 5.0, rel.OTHER: 5.0}
    assert first.blocks() == [frozenset({"a"}), frozenset({"b", "c"})]


def test_a_breakdown_that_did_not_change_is_not_released_again_and_a_moved_category_joins_the_rest():
    same = {"a": (5, 5), "b": (4, 4), "c": (1, 1)}
    releases = rel.release_groups([(D1, same), (D2, same), (D3, {"a": (6, 6), "b": (8, 8), "c": (1, 1)})])
    assert [r.at for r in releases] == [D1, D3]
    later = releases[1]
    # a moved by one company since D1, so it may not stand alone; what can be subtracted, a+b+c, moved by 5.
    assert (later.standalone, later.merged, later.values) == (("b",), ("a", "c"), {"b": 8.0, rel.OTHER: 7.0})


def test_a_breakdown_with_no_safe_grouping_is_not_released():
    assert rel.release_groups([(D1, {"a": (1, 1)})]) == []
    assert rel.release_groups([(D1, {"a": (2, 2), "b": (2, 2)})], multi_valued=True) == []
    (single,) = rel.release_groups([(D1, {"a": (2, 2), "b": (2, 2)})])
    assert (single.standalone, single.merged, single.values) == ((), ("a", "b"), {rel.OTHER: 4.0})


def test_a_breakdown_where_all_stand_alone_has_no_merged_cell():
    (release,) = rel.release_groups([(D1, {"a": (3, 3), "b": (4, 4)})])
    assert release.merged == () and release.values == {"a": 3.0, "b": 4.0}
    assert release.blocks() == [frozenset({"a"}), frozenset({"b"})]


def test_categories_seen_earlier_stay_in_the_breakdown_when_they_empty():
    releases = rel.release_groups([(D1, {"a": (3, 3), "b": (3, 3)}), (D2, {"a": (6, 6)})])
    assert releases[-1].at == D2 and releases[-1].values == {"a": 6.0, "b": 0.0}


def test_an_amount_moves_when_it_and_its_move_since_every_release_are_safe():
    releases = rel.release_amounts([
        (D1, 100.0, 3, (40.0, 30.0)),
        (D2, 110.0, 4, (40.0, 30.0)),   # one more company: its amount could be subtracted
        (D3, 300.0, 6, (40.0, 30.0)),   # three more, none dominating the move
        (D4, 300.0, 6, (40.0, 30.0)),   # nothing changed
    ])
    assert [(r.at, r.value, r.contributors, r.largest) for r in releases] == [
        (D1, 100.0, 3, (40.0, 30.0)), (D3, 300.0, 6, (40.0, 30.0))]


def test_an_amount_moves_only_at_allowed_moments_and_not_while_unsafe():
    moments = [(D1, 100.0, 3, (40.0, 30.0)), (D2, 300.0, 6, (40.0, 30.0))]
    assert [r.at for r in rel.release_amounts(moments, allowed={D2})] == [D2]
    assert rel.release_amounts([(D1, 100.0, 2, (60.0, 40.0))]) == []


def test_parts_move_together_only_when_each_may_and_only_with_their_total():
    ok, small = (100.0, 3, (40.0, 30.0)), (100.0, 2, (60.0, 40.0))
    moments = [(D1, {"estimated": ok, "verified": ok}), (D2, {"estimated": ok, "verified": small}),
               (D3, {"estimated": (300.0, 6, (40.0, 30.0)), "verified": ok})]
    releases = rel.release_parts(moments, allowed={D1, D2, D3})
    assert [r.at for r in releases] == [D1, D3]
    assert releases[1].parts["estimated"] == rel.AmountRelease(D3, 300.0, 6, (40.0, 30.0))
    assert rel.release_parts(moments, allowed={D2}) == []


def test_a_statistic_moves_when_at_least_three_cases_were_added_since_every_release():
    releases = rel.release_stats([(D1, 2, 10.0, "two"), (D2, 3, 30.0, "three"), (D3, 4, 40.0, "four"),
                                  (D4, 6, 70.0, "six")])
    assert [(r.at, r.cases, r.shown) for r in releases] == [(D2, 3, "three"), (D4, 6, "six")]
    same = rel.release_stats([(D1, 3, 30.0, "a"), (D2, 3, 30.0, "b")])
    assert [r.shown for r in same] == ["a"]


def test_the_latest_release_on_or_before_a_date_stands_for_it():
    releases = [rel.StatRelease(D1, 3, 1.0, "x"), rel.StatRelease(D3, 6, 2.0, "y")]
    assert rel.latest(releases, date(2025, 1, 1)) is None
    assert rel.latest(releases, D1) is releases[0]
    assert rel.latest(releases, D2) is releases[0]
    assert rel.latest(releases, D3) is releases[1] and rel.latest(releases, D4) is releases[1]
