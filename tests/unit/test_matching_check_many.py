"""The batch path's hard constraints (`check_many`, cases × sites) against the one-case path (`check`) on sites at
the edges: exactly half the floor space, cleanroom or grid capacity asked (near), just under half (not near),
planned land or a reinforcement that arrives exactly at the end of its window, an ISO class one or two worse.

The generated batch tests meet these edges only by chance; here every mask of every case is compared, for a mix
of cases with and without floor space, cleanroom, environment category and energy."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from services.matching.domain import Catalogue, Site
from services.matching.domain.constraints import NEAR_DAYS, NEAR_REINFORCEMENT_DAYS, check, check_many
from shared.contracts import SpaceDemand

NEED = date(2027, 6, 1)


def site(sid: str, **overrides) -> Site:
    values = dict(id=sid, name=sid, region="oost", province="Overijssel", municipality_code="GM0153",
                  floor_space_m2=10_000, cleanroom_iso_class=6, cleanroom_m2=500, vibration_free=True,
                  environmental_category_max="4.1", grid_mw_available=5.0)
    return Site.model_validate(values | overrides)


EDGES = [
    site("fits"),
    site("half-floor", floor_space_m2=2_500), site("under-half-floor", floor_space_m2=2_499),
    site("planned-at-window-end", floor_space_m2=1_000, planned_floor_space_m2=4_000,
         planned_available_from=NEED + timedelta(days=NEAR_DAYS)),
    site("planned-after-window", floor_space_m2=1_000, planned_floor_space_m2=4_000,
         planned_available_from=NEED + timedelta(days=NEAR_DAYS + 1)),
    site("planned-short", floor_space_m2=1_000, planned_floor_space_m2=3_999,
         planned_available_from=NEED + timedelta(days=NEAR_DAYS)),
    site("half-cleanroom", cleanroom_m2=100), site("under-half-cleanroom", cleanroom_m2=99),
    site("exact-cleanroom", cleanroom_m2=200), site("no-cleanroom", cleanroom_iso_class=None, cleanroom_m2=None),
    site("iso-one-worse", cleanroom_iso_class=8), site("iso-two-worse", cleanroom_iso_class=9),
    site("half-grid", grid_mw_available=1.5), site("under-half-grid", grid_mw_available=1.49),
    site("reinforced-at-window-end", grid_mw_available=0.5, grid_mw_after_reinforcement=3.0,
         grid_reinforcement_date=NEED + timedelta(days=NEAR_REINFORCEMENT_DAYS)),
    site("reinforced-after-window", grid_mw_available=0.5, grid_mw_after_reinforcement=3.0,
         grid_reinforcement_date=NEED + timedelta(days=NEAR_REINFORCEMENT_DAYS + 1)),
    site("reinforced-too-little", grid_mw_available=0.5, grid_mw_after_reinforcement=2.99,
         grid_reinforcement_date=NEED + timedelta(days=NEAR_REINFORCEMENT_DAYS)),
    site("env-one-lower", environmental_category_max="3.1"), site("env-two-lower", environmental_category_max="2"),
    site("not-vibration-free", vibration_free=False),
    site("available-at-window-end", available_from=NEED + timedelta(days=NEAR_DAYS)),
    site("available-after-window", available_from=NEED + timedelta(days=NEAR_DAYS + 1)),
]

FLOOR = {"floor_space_m2": 5_000, "needed_by": NEED}
DEMANDS = [
    {"floor_space": FLOOR | {"cleanroom_iso_class": 7, "cleanroom_m2": 200, "vibration_free": True,
                             "environmental_category": "3.2"},
     "energy": {"grid_connection_mw": 3.0, "needed_by": NEED}},
    {"energy": {"grid_connection_mw": 3.0, "needed_by": NEED}},  # no floor space: none of its constraints
    {"floor_space": FLOOR | {"cleanroom_iso_class": 7}},  # a cleanroom class without a size
    {"floor_space": FLOOR},
    {"floor_space": FLOOR | {"cleanroom_iso_class": 7, "cleanroom_m2": 200},
     "energy": {"grid_connection_mw": 3.0, "needed_by": NEED + timedelta(days=30)}},
]


def test_every_mask_of_every_case_in_a_batch_is_what_the_one_case_check_gives_at_the_edges():
    catalogue = Catalogue.of(EDGES)
    demands = [SpaceDemand.model_validate(d) for d in DEMANDS]
    many = check_many(demands, catalogue)
    for k, (demand, each) in enumerate(zip(demands, many.each(), strict=True)):
        one, batch = check(demand, catalogue), many.of(k)
        for kind in ("failed", "near", "offered"):  # all cases' checks at once: the same as case by case
            assert ({n: v.tolist() for n, v in getattr(each, kind).items()}
                    == {n: v.tolist() for n, v in getattr(batch, kind).items()}), (k, kind)
        assert list(batch.failed) == list(one.failed), k
        for name in one.failed:
            assert batch.failed[name].tolist() == one.failed[name].tolist(), (k, name)
            assert batch.near[name].tolist() == one.near[name].tolist(), (k, name)
        assert list(batch.offered) == list(one.offered), k
        for name in one.offered:
            np.testing.assert_array_equal(batch.offered[name], one.offered[name])
        fails = one.fail_count(len(EDGES))
        assert many.fails[k].tolist() == fails.tolist(), k
        assert many.near_misses[k].tolist() == one.near_misses(len(EDGES), fails).tolist(), k


def test_the_edges_are_near_misses_exactly_up_to_half_the_need_and_to_the_end_of_each_window():
    catalogue = Catalogue.of(EDGES)
    many = check_many([SpaceDemand.model_validate(DEMANDS[0])], catalogue)
    near = {s.id for s, miss in zip(EDGES, many.near_misses[0], strict=True) if miss}
    assert near == {"half-floor", "planned-at-window-end", "half-cleanroom", "iso-one-worse", "half-grid",
                    "reinforced-at-window-end", "env-one-lower", "not-vibration-free", "available-at-window-end"}
    qualifying = {s.id for s, n in zip(EDGES, many.fails[0], strict=True) if n == 0}
    assert qualifying == {"fits", "exact-cleanroom"}
