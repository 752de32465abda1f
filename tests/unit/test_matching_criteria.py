"""Matching's soft criteria one by one, on a few sites with hand-computed values: the talent pool per education
level and the labour market's tightness, the capital facility's table, housing pressure and transport needs.

The ranking tests see these only through the order of sites, so a criterion that is off by a factor for every
site alike would pass them; these pin the values. The columns are float32 (a national catalogue of a million
sites is scored in them) and the masks of known data are booleans (`~known` flips them)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from services.matching.domain import Catalogue, Site
from services.matching.domain.criteria import Case, capital, housing, talent
from shared.contracts import SpaceDemand

NEED = date(2027, 6, 1)


def columns(*sites: dict) -> dict[str, np.ndarray]:
    base = dict(region="oost", province="Overijssel", municipality_code="GM0153", floor_space_m2=10_000)
    return Catalogue.of([Site.model_validate(base | {"id": f"site-{i}", "name": f"Site {i}"} | s)
                         for i, s in enumerate(sites)]).cols


def case(**demand) -> Case:
    return Case(demand=SpaceDemand.model_validate(demand), domains=("semiconductor-technologies",),
                origin_region="oost")


def talent_case(mbo: int = 0, hbo: int = 0, wo: int = 0) -> Case:
    return case(talent={"fte_mbo": mbo, "fte_hbo": hbo, "fte_wo": wo, "needed_by": NEED})


def test_the_talent_pool_weighs_each_level_by_its_share_of_the_hires_and_a_tight_market_costs_up_to_30_percent():
    cols = columns(
        # 10 mbo hires want 200 graduates (20 per hire), 30 hbo hires 600: each level has half of that, tightness
        # 1.25 is halfway to the 2.0 where the full 30 % penalty applies: 0.5 x (1 - 0.3 x 0.5).
        dict(graduates_mbo=100, graduates_hbo=300, labour_market_tightness=1.25),
        # More than enough at both levels counts as enough (1.0), a relaxed market (below 0.5) costs nothing.
        dict(graduates_mbo=1_000, graduates_hbo=1_200, labour_market_tightness=0.2),
        # Only the mbo level short: 10/40 x 0.25 + 30/40 x 1; at tightness 2.0 and beyond the penalty is 30 %.
        dict(graduates_mbo=50, graduates_hbo=600, labour_market_tightness=3.0),
        # No tightness known: no penalty.
        dict(graduates_mbo=100, graduates_hbo=300),
    )
    value, known = talent(talent_case(mbo=10, hbo=30), cols)
    assert value.dtype == np.float32 and known.dtype == bool
    np.testing.assert_allclose(value, [0.425, 1.0, (0.0625 + 0.75) * 0.7, 0.5], rtol=1e-6)
    assert known.tolist() == [True, True, True, True]


def test_without_graduate_figures_talent_is_unknown_not_zero_and_without_hires_it_is_neutral():
    cols = columns(dict(graduates_mbo=100), dict(graduates_hbo=100), dict())
    value, known = talent(talent_case(hbo=5), cols)
    assert known.tolist() == [False, True, False]  # only the level asked for counts
    np.testing.assert_allclose(value, [0.0, 1.0, 0.0])

    value, known = talent(talent_case(), cols)  # a talent demand with no hires at any level
    assert value.dtype == np.float32 and known.dtype == bool
    np.testing.assert_allclose(value, [0.5, 0.5, 0.5])
    assert known.tolist() == [True, True, True]


@pytest.mark.parametrize(("facility", "expected"), [
    # sites: no facility, a shared one, an own one, an own one with 3 fieldlabs, none with 2
    ("shared", [0.2, 1.0, 0.6, 0.9, 0.4]),
    ("own", [0.3, 0.6, 1.0, 1.0, 0.5]),
])
def test_capital_values_a_shared_facility_for_early_growth_an_own_one_later_and_each_fieldlab_adds_a_tenth(
        facility, expected):
    cols = columns(dict(), dict(cleanroom_facility="shared"), dict(cleanroom_facility="own"),
                   dict(cleanroom_facility="own", fieldlabs=["a", "b", "c"]), dict(fieldlabs=["a", "b"]))
    value, known = capital(case(capital={"facility": facility, "needed_by": NEED}), cols)
    assert value.dtype == np.float32 and known.dtype == bool
    np.testing.assert_allclose(value, expected, rtol=1e-6)
    assert known.all()


def test_housing_is_the_room_left_by_housing_pressure_averaged_with_the_share_of_transport_needs_met():
    cols = columns(dict(housing_pressure=0.25, accessibility=["rail", "port"]),
                   dict(housing_pressure=0.5, accessibility=["motorway"]),
                   dict(accessibility=["rail", "motorway", "port"]),
                   dict())
    value, known = housing(case(housing={"staff_to_house": 50, "needed_by": NEED}), cols)
    np.testing.assert_allclose(value, [0.75, 0.5, 0.0, 0.0])
    assert known.tolist() == [True, True, False, False]

    # rail and motorway wanted: site 0 has one of the two, site 1 one, site 2 both, site 3 none.
    value, known = housing(case(housing={"transport_needs": ["rail", "motorway"], "needed_by": NEED}), cols)
    assert value.dtype == np.float32
    np.testing.assert_allclose(value, [(0.75 + 0.5) / 2, (0.5 + 0.5) / 2, 1.0, 0.0])
    assert known.tolist() == [True, True, True, True]
