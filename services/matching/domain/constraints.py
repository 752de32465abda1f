"""Hard constraints, vectorised: which sites can meet the demand by its need dates, and which almost can."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from services.matching.domain.catalogue import Catalogue, day
from services.matching.domain.sites import ENV_CATEGORIES
from shared.contracts.events import SpaceDemand

# Identifiers in events (near misses' `failed`, `blocking`); LABELS are the words in explanations.
AVAILABILITY, FLOOR, CLEANROOM, VIBRATION, GRID, ENVIRONMENT = (
    "availability", "floor_space", "cleanroom", "vibration_free", "grid_capacity", "environmental_category")
LABELS = {AVAILABILITY: "availability", FLOOR: "floor space", CLEANROOM: "cleanroom",
          VIBRATION: "vibration-free floors", GRID: "grid", ENVIRONMENT: "environmental category"}
NO_SITES = "no_sites"
# How far off a failing site may be to count as a near miss (its counterfactual is then worth reading).
NEAR_DAYS, NEAR_SHARE, NEAR_REINFORCEMENT_DAYS = 365, 0.5, 548


@dataclass
class Checks:
    """Per constraint: which sites fail it, which are near, and what each site offers by the need date."""

    failed: dict[str, np.ndarray] = field(default_factory=dict)
    near: dict[str, np.ndarray] = field(default_factory=dict)
    offered: dict[str, np.ndarray] = field(default_factory=dict)

    def fail_count(self, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.uint8)
        for bad in self.failed.values():
            out += bad
        return out

    def near_misses(self, n: int, fails: np.ndarray) -> np.ndarray:
        """Sites failing one or two constraints, each of them only narrowly."""
        near = np.zeros(n, dtype=np.uint8)
        for name, bad in self.failed.items():
            near += bad & self.near[name]
        return (fails >= 1) & (fails <= 2) & (near == fails)


def floor_by(cols: dict[str, np.ndarray], need_day: int) -> np.ndarray:
    """Floor space available by a date: what is free now plus planned land that is ready by then."""
    return cols["floor_now"] + cols["planned_m2"] * (cols["planned_from"] <= np.int32(need_day))


def mw_by(cols: dict[str, np.ndarray], need_day: int) -> np.ndarray:
    """Grid capacity available by a date: after a reinforcement that is done by then, else today's (NaN unknown)."""
    return np.where(cols["reinforce_from"] <= np.int32(need_day), np.fmax(cols["mw_after"], cols["mw_now"]),
                    cols["mw_now"])


def check(demand: SpaceDemand, catalogue: Catalogue) -> Checks:
    """Evaluate every applicable hard constraint over the whole catalogue at once."""
    cols, checks = catalogue.cols, Checks()
    _availability(demand, cols, checks)
    if demand.floor_space:
        _floor_space(demand, cols, checks)
    if demand.floor_space and demand.floor_space.cleanroom_iso_class:
        _cleanroom(demand, cols, checks)
    if demand.floor_space and demand.floor_space.vibration_free:
        _vibration(cols, checks)
    if demand.floor_space and demand.floor_space.environmental_category:
        _environment(demand, cols, checks)
    if demand.energy:
        _grid(demand, cols, checks)
    return checks


def _availability(demand: SpaceDemand, cols, checks: Checks) -> None:
    need = day(availability_need(demand), 0)
    # int32 comparisons against scalars: no widened copies of the million-row columns.
    checks.failed[AVAILABILITY] = cols["available_from"] > np.int32(need)
    checks.near[AVAILABILITY] = cols["available_from"] <= np.int32(need + NEAR_DAYS)


def availability_need(demand: SpaceDemand):
    """The site must be usable when the company moves in: its floor-space date, else its earliest need."""
    return demand.floor_space.needed_by if demand.floor_space else demand.earliest_need


def _floor_space(demand: SpaceDemand, cols, checks: Checks) -> None:
    fs = demand.floor_space
    need_day = day(fs.needed_by, 0)
    offered = floor_by(cols, need_day)
    checks.offered[FLOOR] = offered
    checks.failed[FLOOR] = offered < fs.floor_space_m2
    later = floor_by(cols, need_day + NEAR_DAYS)
    checks.near[FLOOR] = (offered >= fs.floor_space_m2 * (1 - NEAR_SHARE)) | (later >= fs.floor_space_m2)


def _cleanroom(demand: SpaceDemand, cols, checks: Checks) -> None:
    fs = demand.floor_space
    iso = cols["iso"]
    bad = ~(iso <= fs.cleanroom_iso_class)  # NaN (no cleanroom) fails
    near = iso <= fs.cleanroom_iso_class + 1
    if fs.cleanroom_m2:
        # Unknown cleanroom size passes provisionally and is flagged on the proposal.
        bad |= cols["cleanroom_m2"] < fs.cleanroom_m2
        near &= ~(cols["cleanroom_m2"] < fs.cleanroom_m2 * (1 - NEAR_SHARE))
    checks.failed[CLEANROOM] = bad
    checks.near[CLEANROOM] = near


def _vibration(cols, checks: Checks) -> None:
    # Like a cleanroom, a vibration-free floor is a precondition for the process, not a preference. Unknown
    # passes provisionally and is flagged; a site without one is near: its counterfactual names what it lacks.
    checks.failed[VIBRATION] = cols["vibration"] == 0
    checks.near[VIBRATION] = np.ones(len(cols["vibration"]), dtype=bool)


def _environment(demand: SpaceDemand, cols, checks: Checks) -> None:
    need = ENV_CATEGORIES.index(demand.floor_space.environmental_category.value)
    checks.failed[ENVIRONMENT] = cols["env_max"] < need  # unknown passes provisionally, flagged
    checks.near[ENVIRONMENT] = cols["env_max"] >= need - 1


def _grid(demand: SpaceDemand, cols, checks: Checks) -> None:
    energy = demand.energy
    need_day = day(energy.needed_by, 0)
    offered = mw_by(cols, need_day)
    checks.offered[GRID] = offered
    checks.failed[GRID] = offered < energy.grid_connection_mw  # unknown passes provisionally, flagged
    soon = (cols["reinforce_from"] <= np.int32(need_day + NEAR_REINFORCEMENT_DAYS)) & (
        cols["mw_after"] >= energy.grid_connection_mw)
    checks.near[GRID] = (offered >= energy.grid_connection_mw * (1 - NEAR_SHARE)) | soon


@dataclass
class CheckedCases:
    """The hard constraints of many cases at once, as (cases × sites) masks: row k is what `check` gives case k.
    A constraint a case does not have (no floor space asked, no cleanroom) is all False in its row and left out
    of the case's `Checks`, so its order of constraints, failures and near misses are the same as `check`'s."""

    failed: dict[str, np.ndarray]
    near: dict[str, np.ndarray]
    offered: dict[str, np.ndarray]
    applies: dict[str, np.ndarray]  # per constraint, per case: whether the case has it
    fails: np.ndarray  # failed constraints per case and site (uint8)
    near_misses: np.ndarray  # sites failing one or two constraints, each narrowly, per case

    def of(self, k: int) -> Checks:
        """Case k's checks (views of its rows, no copies)."""
        names = [name for name in ORDER if self.applies[name][k]]
        return Checks(failed={name: self.failed[name][k] for name in names},
                      near={name: self.near[name][k] for name in names},
                      offered={name: self.offered[name][k] for name in names if name in self.offered})

    def each(self) -> list[Checks]:
        """`of(k)` for every case in order, the rows taken out of each mask once (not indexed case by case)."""
        names = [[name for name, yes in zip(ORDER, applies, strict=True) if yes]
                 for applies in zip(*(self.applies[name].tolist() for name in ORDER), strict=True)]
        rows = {kind: {name: list(masks[name]) for name in masks} for kind, masks in
                (("failed", self.failed), ("near", self.near), ("offered", self.offered))}
        failed, near, offered = rows["failed"], rows["near"], rows["offered"]
        return [Checks(failed={name: failed[name][k] for name in mine}, near={name: near[name][k] for name in mine},
                       offered={name: offered[name][k] for name in mine if name in offered})
                for k, mine in enumerate(names)]


ORDER = (AVAILABILITY, FLOOR, CLEANROOM, VIBRATION, ENVIRONMENT, GRID)  # the order in which `check` adds them


def _column(values, dtype) -> np.ndarray:
    """One value per case as a column, so that it meets every site's value (a row) as `check`'s scalar does: a
    Python number is taken to the dtype first (numpy does the same with a scalar against a float32 column)."""
    return np.array(values, dtype=dtype)[:, None]


def check_many(demands: list[SpaceDemand], catalogue: Catalogue) -> CheckedCases:
    """`check` for many demands in one pass per constraint over the catalogue (2-D masks, cases × sites)."""
    cols, n = catalogue.cols, len(demands)
    fs = [d.floor_space for d in demands]
    applies = {AVAILABILITY: np.ones(n, dtype=bool), FLOOR: np.array([f is not None for f in fs], dtype=bool),
               CLEANROOM: np.array([bool(f and f.cleanroom_iso_class) for f in fs], dtype=bool),
               VIBRATION: np.array([bool(f and f.vibration_free) for f in fs], dtype=bool),
               ENVIRONMENT: np.array([bool(f and f.environmental_category) for f in fs], dtype=bool),
               GRID: np.array([d.energy is not None for d in demands], dtype=bool)}
    out = CheckedCases({}, {}, {}, applies, np.empty(0), np.empty(0))
    need = _column([day(availability_need(d), 0) for d in demands], np.int32)
    out.failed[AVAILABILITY] = cols["available_from"] > need
    out.near[AVAILABILITY] = cols["available_from"] <= need + np.int32(NEAR_DAYS)
    if applies[FLOOR].any():
        _floor_space_many(fs, cols, out)
    if applies[CLEANROOM].any():
        _cleanroom_many(fs, cols, out)
    if applies[VIBRATION].any():
        out.failed[VIBRATION] = _only_where(cols["vibration"] == 0, applies[VIBRATION])
        out.near[VIBRATION] = np.broadcast_to(np.True_, out.failed[VIBRATION].shape)  # no copy: always near
    if applies[ENVIRONMENT].any():
        needed = _column([ENV_CATEGORIES.index(f.environmental_category.value) if ok else 0
                          for f, ok in zip(fs, applies[ENVIRONMENT], strict=True)], np.int8)
        out.failed[ENVIRONMENT] = _only_where(cols["env_max"] < needed, applies[ENVIRONMENT])
        out.near[ENVIRONMENT] = cols["env_max"] >= needed - np.int8(1)
    if applies[GRID].any():
        _grid_many(demands, cols, out)
    _count(out, len(catalogue))
    return out


def _only_where(failed: np.ndarray, applies: np.ndarray) -> np.ndarray:
    """The failures of the cases that have the constraint (rows of the others all False); no pass over the
    masks when every case has it (always so for one case at a time: a national catalogue's passes)."""
    failed = np.broadcast_to(failed, (len(applies), failed.shape[-1]))
    return failed if applies.all() else failed & applies[:, None]


def _count(out: CheckedCases, sites: int) -> None:
    n = len(out.applies[AVAILABILITY])
    fails, near = np.zeros((n, sites), dtype=np.uint8), np.zeros((n, sites), dtype=np.uint8)
    for name, bad in out.failed.items():
        fails += bad
        near += bad & out.near[name]
    out.fails = fails
    out.near_misses = (fails >= 1) & (fails <= 2) & (near == fails)


def _floor_space_many(fs: list, cols, out: CheckedCases) -> None:
    ok = out.applies[FLOOR]
    need_day = np.array([day(f.needed_by, 0) if f else 0 for f in fs], dtype=np.int32)[:, None]
    m2 = [f.floor_space_m2 if f else 0.0 for f in fs]
    offered = floor_by(cols, need_day)
    out.offered[FLOOR] = offered
    out.failed[FLOOR] = _only_where(offered < _column(m2, np.float32), ok)
    later = floor_by(cols, need_day + np.int32(NEAR_DAYS))
    out.near[FLOOR] = (offered >= _column([v * (1 - NEAR_SHARE) for v in m2], np.float32)) | (
        later >= _column(m2, np.float32))


def _cleanroom_many(fs: list, cols, out: CheckedCases) -> None:
    ok = out.applies[CLEANROOM]
    iso_class = _column([f.cleanroom_iso_class if o else 0 for f, o in zip(fs, ok, strict=True)], np.int16)
    sized = np.array([bool(o and f.cleanroom_m2) for f, o in zip(fs, ok, strict=True)], dtype=bool)[:, None]
    m2 = [f.cleanroom_m2 if o and f.cleanroom_m2 else 0.0 for f, o in zip(fs, ok, strict=True)]
    iso, room = cols["iso"], cols["cleanroom_m2"]
    bad, near = ~(iso <= iso_class), iso <= iso_class + np.int16(1)
    if sized.any():
        bad = bad | _only_where(room < _column(m2, np.float32), sized[:, 0])
        near = near & ~_only_where(room < _column([v * (1 - NEAR_SHARE) for v in m2], np.float32), sized[:, 0])
    out.failed[CLEANROOM] = _only_where(bad, ok)
    out.near[CLEANROOM] = near


def _grid_many(demands: list[SpaceDemand], cols, out: CheckedCases) -> None:
    ok = out.applies[GRID]
    need_day = np.array([day(d.energy.needed_by, 0) if d.energy else 0 for d in demands], dtype=np.int32)[:, None]
    mw = [d.energy.grid_connection_mw if d.energy else 0.0 for d in demands]
    offered = mw_by(cols, need_day)
    out.offered[GRID] = offered
    out.failed[GRID] = _only_where(offered < _column(mw, np.float32), ok)
    soon = (cols["reinforce_from"] <= need_day + np.int32(NEAR_REINFORCEMENT_DAYS)) & (
        cols["mw_after"] >= _column(mw, np.float32))
    out.near[GRID] = (offered >= _column([v * (1 - NEAR_SHARE) for v in mw], np.float32)) | soon
