"""Many cases against the catalogue at once, with the same results as `match` for each of them.

What `match` does per case in many small numpy steps is done here once per batch where it can be: the hard
constraints as (cases × sites) masks in one pass per constraint (`constraints.check_many`), and the words only for
the sites that are emitted (proposals and near misses), read once as Python values for the whole batch instead of
one numpy element at a time. The scores likewise, as (cases × sites) arrays per criterion (`criteria.score_many`),
bit for bit the values `match` computes per case; the choice of rows stays per case, so rankings and ties come out
the same.
"""

from __future__ import annotations

import numpy as np

from services.matching.domain import constraints
from services.matching.domain.catalogue import Catalogue, Labels
from services.matching.domain.criteria import Case, Weights, score, score_many
from services.matching.domain.matching import (
    MatchResult,
    Ranked,
    Rows,
    explained,
    near_miss_rows,
    rank_checked,
    ranked_by,
)
from services.matching.domain.sites import REGIONS

# Cases × sites per 2-D pass: the pipeline's batches at once on a small catalogue, one case at a time at national
# scale (a million sites), so memory stays that of one case's masks.
CELLS_PER_PASS = 1 << 20


# Scoring one case on its own costs about as much in numpy calls as scoring this many more sites in the cases ×
# sites arrays of score_many (measured: 250 cases against 16, 1,000 and 4,000 sites, docs/benchmarks.md). A pass is
# scored together while all its cells cost no more than each case over its qualifying sites plus that overhead.
SCORE_OVERHEAD_SITES = 1000


def cases_per_pass(cat: Catalogue) -> int:
    """How many cases match_many scores in one 2-D pass over this catalogue."""
    return max(1, CELLS_PER_PASS // max(len(cat), 1))


def match_many(cases: list[Case], cat: Catalogue, weights: Weights, *, top_n: int,
               near_n: int = 3) -> list[MatchResult]:
    """`match` for each case, in order."""
    per_pass = cases_per_pass(cat)
    results: list[MatchResult] = []
    for at in range(0, len(cases), per_pass):
        results += _match_chunk(cases[at:at + per_pass], cat, weights, top_n, near_n)
    return results


def _match_chunk(cases: list[Case], cat: Catalogue, weights: Weights, top_n: int,
                 near_n: int) -> list[MatchResult]:
    chosen: list[tuple[Ranked, np.ndarray, float | None]] = []
    checked = _checked(cases, cat)
    if len(cases) == 1:  # a national catalogue's pass: scored over its qualifying sites only
        checks, fails, near = checked[0]
        ranked = rank_checked(cases[0], cat, weights, top_n, checks, fails)
        chosen.append((ranked, *near_miss_rows(cases[0], ranked, near, near_n)))
    else:
        qualifying = [np.flatnonzero(fails == 0) for _, fails, _ in checked]
        if len(cases) * len(cat) <= len(cases) * SCORE_OVERHEAD_SITES + sum(map(len, qualifying)):
            scores = score_many(cases, cat.cols, weights, qualifying)
        else:  # few of many sites qualify: each case over its own, fewer cells than all of them
            scores = [score(case, Rows(cat.cols, q), weights) for case, q in zip(cases, qualifying, strict=True)]
        for case, (checks, fails, near), q, s in zip(cases, checked, qualifying, scores, strict=True):
            ranked = ranked_by(case, cat, top_n, checks, fails, q, s)
            chosen.append((ranked, *near_miss_rows(case, ranked, near, near_n)))
    words = SiteValues(cat, np.concatenate([np.concatenate([r.order, near]) for r, near, _ in chosen] or
                                           [np.empty(0, dtype=np.int64)]))
    return [explained(case, cat, ranked, near, worst, words=words)
            for case, (ranked, near, worst) in zip(cases, chosen, strict=True)]


def _checked(cases: list[Case], cat: Catalogue) -> list[tuple[constraints.Checks, np.ndarray, np.ndarray]]:
    """Per case its checks, failures per site and near-miss mask: 2-D for many cases; for one case (a national
    catalogue's pass) `check` itself, whose scalar comparisons are cheaper than broadcasting a 1 × 1 column."""
    if len(cases) == 1:
        checks = constraints.check(cases[0].demand, cat)
        fails = checks.fail_count(len(cat))
        return [(checks, fails, checks.near_misses(len(cat), fails))]
    checked = constraints.check_many([c.demand for c in cases], cat)
    return list(zip(checked.each(), list(checked.fails), list(checked.near_misses), strict=True))


class _ValuesAt(dict):
    """column name -> {catalogue row: Python value}, each column read when first asked for."""

    def __init__(self, cols: dict[str, np.ndarray], rows: np.ndarray) -> None:
        super().__init__()
        self.cols, self.rows, self.keys_ = cols, rows, rows.tolist()

    def __missing__(self, name: str) -> dict[int, float | int]:
        value = self[name] = dict(zip(self.keys_, self.cols[name][self.rows].tolist(), strict=True))
        return value


class SiteValues:
    """The catalogue at some rows, indexed like the catalogue (`cols[name][row]`, `ids`, `labels`), holding
    Python numbers: float32 values exactly as floats (explain takes them to float32 where numpy would)."""

    def __init__(self, cat: Catalogue, rows: np.ndarray) -> None:
        self.cols = _ValuesAt(cat.cols, np.unique(rows))
        self.ids: list[str] = cat.ids
        self.labels: Labels = cat.labels

    def region_of(self, i: int) -> str:
        return REGIONS[int(self.cols["region"][i])]
