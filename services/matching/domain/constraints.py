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
