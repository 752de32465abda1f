"""The catalogue's columns: labels kept as three lists, rows read set-wise checked as a Site would be, and a batch
of changes applied at once (removed, replaced and new sites) giving what one change at a time gives."""

from __future__ import annotations

import numpy as np
import pytest

from services.matching.domain import explain
from services.matching.domain.catalogue import DTYPES, FLOATS, Catalogue, Labels, valid
from tests.unit.test_matching_domain import case, site

LABELS = [("Kennispark", "Overijssel", "GM0153"), ("Brainport", "Noord-Brabant", "GM0772")]


def test_labels_iterate_compare_and_keep_as_the_list_of_tuples_they_stand_for():
    labels = Labels.of(LABELS)
    assert list(labels) == LABELS and len(labels) == 2 and labels[1] == LABELS[1]
    assert labels == LABELS and labels == Labels.of(LABELS) and Labels.of(labels) is labels
    assert not labels == LABELS[:1] and not labels == [LABELS[1], LABELS[0]]
    assert list(labels.kept([False, True])) == [LABELS[1]]
    assert list(labels.kept([True, False])) == [LABELS[0]]
    assert list(Labels.of([])) == [] and len(Labels.of([])) == 0
    with pytest.raises(ValueError):
        Labels(["aa", "bb"], ["p"], ["m"]).__iter__().__next__() and list(Labels(["aa", "bb"], ["p"], ["m"]))


def _columns(sites) -> tuple[dict[str, np.ndarray], list[str], list[tuple[str, str, str]]]:
    cat = Catalogue.of(sites)
    return {c: a.copy() for c, a in cat.cols.items()}, list(cat.ids), list(cat.labels)


@pytest.mark.parametrize(("column", "value"), [
    ("region", -1), ("region", 5), ("floor_now", -1.0), ("housing", 1.5), ("iso", 0.0), ("iso", 10.0),
    ("env_max", -1.0), ("congestion", -1.0), ("facility", -1), ("facility", 3),
] + [(c, -0.5) for c in FLOATS])
def test_a_row_no_site_could_have_produced_is_left_out_of_a_catalogue_read_from_columns(column, value):
    cols, ids, labels = _columns([site("aa"), site("bb"), site("cc")])
    assert valid(cols).all()
    cols[column][1] = value
    assert list(valid(cols)) == [True, False, True]
    cat = Catalogue.from_columns(cols, ids, Labels.of(labels))
    assert cat.ids == ["aa", "cc"] and list(cat.labels) == [labels[0], labels[2]]
    assert {c: a.dtype for c, a in cat.cols.items()} == {c: np.dtype(t) for c, t in DTYPES.items()}
    assert all(len(a) == 2 for a in cat.cols.values()) and cat.index == {"aa": 0, "cc": 1}


def test_unknown_values_pass_the_check_and_the_boundaries_are_allowed():
    cols, ids, labels = _columns([site("aa", housing_pressure=1.0, cleanroom_iso_class=9), site("bb",
                                  housing_pressure=0.0, cleanroom_iso_class=1, grid_mw_available=None)])
    assert np.isnan(cols["mw_now"][1]) and valid(cols).all()
    cat = Catalogue.from_columns({c: list(a) for c, a in cols.items()}, ids, Labels.of(labels))
    assert cat.ids == ["aa", "bb"] and cat.cols["housing"].dtype == np.float32


def test_changes_applied_at_once_equal_the_same_changes_one_site_at_a_time():
    base = [site("aa"), site("bb"), site("cc"), site("dd")]
    changed = [site("bb", floor_space_m2=77, name="B2"), site("ee", region="zuid", province="Noord-Brabant",
                                                             municipality_code="GM0772")]
    batch = Catalogue.of(base)
    batch.apply(Catalogue.of(changed), removed=["cc", "zz-unknown"])
    one_by_one = Catalogue.of(base)
    one_by_one.remove("cc")
    for s in changed:
        one_by_one.upsert(s)
    assert batch.ids == one_by_one.ids == ["aa", "bb", "dd", "ee"]
    assert batch.labels == one_by_one.labels and batch.labels[1] == ("B2", "Overijssel", "GM0153")
    for c in DTYPES:
        np.testing.assert_array_equal(batch.cols[c], one_by_one.cols[c])
    assert batch.cols["floor_now"][1] == 77 and batch.region_of(3) == "zuid"
    assert batch.index == {"aa": 0, "bb": 1, "dd": 2, "ee": 3}


def test_nothing_to_apply_changes_nothing_and_removing_only_unknown_sites_keeps_every_row():
    cat = Catalogue.of([site("aa"), site("bb")])
    cols = cat.cols
    cat.apply(Catalogue.empty(), removed=[])
    assert cat.cols is cols
    cat.apply(Catalogue.empty(), removed=["zz-unknown"])
    assert cat.ids == ["aa", "bb"] and len(cat.cols["floor_now"]) == 2
    cat.apply(Catalogue.empty(), removed=["aa"])
    assert cat.ids == ["bb"] and list(cat.labels) == [("Bb", "Overijssel", "GM0153")] and cat.index == {"bb": 0}


def test_what_data_is_missing_is_said_in_words_for_each_missing_key():
    cat = Catalogue.of([site("aa", graduates_hbo=None, knowledge_distance_km=None)])
    keys = explain.missing_keys(case(), cat, 0)
    assert keys and explain.missing(case(), cat, 0) == [explain.MISSING[k] for k in keys]
    assert explain.missing(case(), Catalogue.of([site("bb")]), 0) == []
