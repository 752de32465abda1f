"""The change of each entity's contribution from one of its days to the next, for many entities at once.

An entity (a case, a company's leads) contributes cells — (metric, key) -> (n, amount) — as they stand at the
end of each day on which one of its facts happened (projection.py says what they are). Its delta rows are the
differences between consecutive days' cells: a cell that appears, changes or goes. `Changes` collects the
entities' days as flat arrays and computes every difference, their sums per day and the amount steps in a few
array operations (numpy): a rebuild has ten million such cells, and comparing them dict by dict in Python took
half of its fold. The live path uses the same code for the few entities of a batch, so both write the same rows.
"""

from __future__ import annotations

import functools
from array import array
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from itertools import chain, count

import numpy as np

from services.reporting.domain.figures import AMOUNT_METRICS, CellKey

Cells = dict[CellKey, tuple[int, float]]
Delta = tuple[date, str, str, int, float]  # (day, metric, key, n, amount)
Step = tuple[str, str, str, date, date | None, float]  # (entity, metric, key, from day, until day (excl.), amount)


class Changes:
    """Entities' cells day by day (and single delta rows) in; their delta rows summed per day, and steps, out."""

    def __init__(self) -> None:
        self.cells: dict[CellKey, int] = defaultdict(count().__next__)  # each cell's number in the arrays
        self._entities: list[str | None] = []  # per entity: the name its amount steps are kept under, or None
        self._signs = array("b")  # per entity: +1, or -1 for an earlier view of it to take away (the live path)
        self._state_entity, self._state_day, self._state_size = array("q"), array("q"), array("q")
        self._row_cell, self._row_values = array("q"), array("d")  # per cell of a state: its number, (n, amount)
        self._single_day, self._single_cell, self._single_values = array("q"), array("q"), array("d")

    def add(self, days: Iterable[tuple[date, Cells]], *, steps_of: str | None = None, sign: int = 1) -> None:
        """One entity's cells at the end of each of its days, in day order (`steps_of`: the entity whose amount
        steps to keep; `sign` -1: take this entity's rows away instead of adding them)."""
        entity = len(self._entities)
        self._entities.append(steps_of)
        self._signs.append(sign)
        for day, cells in days:
            self._state_entity.append(entity)
            self._state_day.append(day.toordinal())
            self._state_size.append(len(cells))
            self._row_cell.extend(map(self.cells.__getitem__, cells))
            self._row_values.extend(chain.from_iterable(cells.values()))

    def add_single(self, days: Iterable[tuple[date, Cells]]) -> None:
        """Cells added on their day as they are, compared with nothing (what single facts add on their own day)."""
        for day, cells in days:
            self._single_day.extend([day.toordinal()] * len(cells))
            self._single_cell.extend(map(self.cells.__getitem__, cells))
            self._single_values.extend(chain.from_iterable(cells.values()))

    def add_deltas(self, deltas: Iterable[Delta]) -> None:
        """Delta rows summed already (another `Changes`' `summed()`), to be added up with these."""
        for day, metric, key, n, amount in deltas:
            self._single_day.append(day.toordinal())
            self._single_cell.append(self.cells[(metric, key)])
            self._single_values.extend((n, amount))

    @functools.cached_property
    def _differences(self) -> dict[str, np.ndarray]:
        """Every cell that appeared, changed or went on an entity's day: its entity, cell, state, new value and
        change (computed once, when everything has been added). A cell's row is compared with its row of the
        entity's previous day, if it had one."""
        state_entity = np.frombuffer(self._state_entity, np.int64)
        values = np.frombuffer(self._row_values, np.float64).reshape(-1, 2)
        state = np.repeat(np.arange(len(state_entity)), np.frombuffer(self._state_size, np.int64))
        cell = np.frombuffer(self._row_cell, np.int64)
        # Each entity's rows of one cell together, in day order (stable: the states were added in day order).
        order = np.argsort(state_entity[state] * len(self.cells) + cell, kind="stable")
        state, cell, entity = state[order], cell[order], state_entity[state[order]]
        n, amount = values[order, 0].astype(np.int64), values[order, 1]
        follows = np.zeros(len(state), bool)  # the row before is this cell on the entity's previous day
        follows[1:] = (entity[1:] == entity[:-1]) & (cell[1:] == cell[:-1]) & (state[1:] == state[:-1] + 1)
        n_before, amount_before = np.zeros_like(n), np.zeros_like(amount)
        n_before[1:] = np.where(follows[1:], n[:-1], 0)
        amount_before[1:] = np.where(follows[1:], amount[:-1], 0.0)
        changed = (n != n_before) | (amount != amount_before)
        # A cell goes on the entity's next day when no row of that day follows it.
        followed = np.append(follows[1:], False)
        after = np.minimum(state + 1, len(state_entity) - 1)
        gone = ~followed & (state + 1 < len(state_entity)) & (state_entity[after] == entity)
        return {"entity": np.concatenate([entity[changed], entity[gone]]),
                "cell": np.concatenate([cell[changed], cell[gone]]),
                "state": np.concatenate([state[changed], after[gone]]),
                "n": np.concatenate([n[changed], np.zeros(gone.sum(), np.int64)]),
                "amount": np.concatenate([amount[changed], np.zeros(gone.sum())]),
                "dn": np.concatenate([n[changed] - n_before[changed], -n[gone]]),
                "damount": np.concatenate([amount[changed] - amount_before[changed], -amount[gone]])}

    def _days(self, ordinals: np.ndarray) -> list[date]:
        known = {o: date.fromordinal(o) for o in np.unique(ordinals).tolist()}
        return [known[o] for o in ordinals.tolist()]

    def summed(self) -> list[Delta]:
        """The delta rows summed per day and cell (sums of zero left out)."""
        changes = self._differences
        sign = np.frombuffer(self._signs, np.int8).astype(np.int64)[changes["entity"]]
        single = np.frombuffer(self._single_values, np.float64).reshape(-1, 2)
        day = np.concatenate([np.frombuffer(self._state_day, np.int64)[changes["state"]],
                              np.frombuffer(self._single_day, np.int64)])
        cell = np.concatenate([changes["cell"], np.frombuffer(self._single_cell, np.int64)])
        dn = np.concatenate([changes["dn"] * sign, single[:, 0].astype(np.int64)])
        damount = np.concatenate([changes["damount"] * sign, single[:, 1]])
        found, row = np.unique(day * len(self.cells) + cell, return_inverse=True)
        n = np.bincount(row, weights=dn, minlength=len(found)).astype(np.int64)
        amount = np.bincount(row, weights=damount, minlength=len(found))
        keep = (n != 0) | (amount != 0)
        found = found[keep]
        keys = list(self.cells)
        return [(day, *keys[c], n, a) for day, c, n, a in zip(
            self._days(found // len(self.cells)), (found % len(self.cells)).tolist(), n[keep].tolist(),
            amount[keep].tolist(), strict=True)]

    def steps(self) -> list[Step]:
        """Each kept entity's amount in each amount cell, from the day it took it until the day it changed."""
        changes = self._differences
        amounts = np.array([key[0] in AMOUNT_METRICS for key in self.cells], bool)
        kept = np.array([name is not None for name in self._entities], bool)
        mine = amounts[changes["cell"]] & kept[changes["entity"]]
        entity, cell, state = changes["entity"][mine], changes["cell"][mine], changes["state"][mine]
        n, amount = changes["n"][mine], changes["amount"][mine]
        if not len(n):
            return []
        # Each entity's changes of one cell in day order: a step lasts from one change until the next.
        order = np.lexsort((state, entity * len(self.cells) + cell))
        entity, cell, state, n, amount = entity[order], cell[order], state[order], n[order], amount[order]
        days = self._days(np.frombuffer(self._state_day, np.int64)[state])
        until = [*days[1:], None]
        last = np.append((entity[1:] != entity[:-1]) | (cell[1:] != cell[:-1]), True).tolist()
        keys = list(self.cells)
        return [(self._entities[e], *keys[c], since, None if end else next_day, a)
                for e, c, since, next_day, end, holds, a in zip(entity.tolist(), cell.tolist(), days, until, last,
                                                                n.tolist(), amount.tolist(), strict=True)
                if holds]
