"""One case against the whole catalogue: hard constraints, score, top N, near misses, blocking per region."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from services.matching.domain import constraints, criteria, explain
from services.matching.domain.catalogue import Catalogue
from services.matching.domain.criteria import Case, Weights
from services.matching.domain.sites import REGIONS
from shared.contracts.events import NearMiss, Proposal


@dataclass(frozen=True)
class Cutoffs:
    """What a site must beat to enter a case's match; lets a supply change skip the cases it cannot move."""

    lowest_score: float | None = None
    proposals: int = 0
    worst_near_key: float | None = None
    near_misses: int = 0
    option_regions: tuple[int, ...] = ()
    own_shown: bool = False
    other_shown: bool = False


@dataclass(frozen=True)
class MatchResult:
    proposals: list[Proposal]
    near_misses: list[NearMiss]
    blocking: dict[str, list[str]]  # regions where no site qualifies -> the constraints that blocked them
    blocking_details: dict[str, list[str]] = field(default_factory=dict)  # the same, in words, with numbers
    cutoffs: Cutoffs = Cutoffs()
    blocking_facts: dict[str, list[dict]] = field(default_factory=dict)  # the same, as facts (RegionShortfall)

    @property
    def no_proposition(self) -> bool:
        return not self.proposals


@dataclass(frozen=True)
class Ranked:
    """The qualifying sites in rank order, before words are attached (what the benchmark times)."""

    order: np.ndarray  # catalogue row numbers
    scores: criteria.Scores
    positions: np.ndarray  # position of each ranked row in `scores`
    checks: constraints.Checks
    fails: np.ndarray
    qualifying: np.ndarray


class Rows(dict):
    """The catalogue's columns at some rows, gathered only when a criterion reads them (saves copies)."""

    def __init__(self, cols: dict[str, np.ndarray], rows: np.ndarray) -> None:
        super().__init__()
        self.cols, self.rows = cols, rows

    def __missing__(self, key: str) -> np.ndarray:
        value = self[key] = self.cols[key][self.rows]
        return value


def rank(case: Case, cat: Catalogue, weights: Weights, top_n: int) -> Ranked:
    """Vectorised core: constraints over all sites, scores over the qualifying ones, top N by score."""
    checks = constraints.check(case.demand, cat)
    return rank_checked(case, cat, weights, top_n, checks, checks.fail_count(len(cat)))


def rank_checked(case: Case, cat: Catalogue, weights: Weights, top_n: int, checks: constraints.Checks,
                 fails: np.ndarray) -> Ranked:
    """Scores over the sites that pass every constraint, top N by score."""
    qualifying = np.flatnonzero(fails == 0)
    return ranked_by(case, cat, top_n, checks, fails, qualifying,
                     criteria.score(case, Rows(cat.cols, qualifying), weights))


def ranked_by(case: Case, cat: Catalogue, top_n: int, checks: constraints.Checks, fails: np.ndarray,
              qualifying: np.ndarray, scores: criteria.Scores) -> Ranked:
    """The top N of the qualifying sites by their scores (`scores` over `qualifying`, in its order)."""
    positions = _top(scores.total, top_n, cat.cols["region"][qualifying], home_region_code(case))
    return Ranked(qualifying[positions], scores, positions, checks, fails, qualifying)


def home_region_code(case: Case) -> int:
    return REGIONS.index(getattr(case.origin_region, "value", case.origin_region))


def _top(total: np.ndarray, n: int, region: np.ndarray, home: int) -> np.ndarray:
    """The best n positions, keeping the best own-region and best other-region option in view."""
    if len(total) == 0 or n <= 0:
        return np.empty(0, dtype=np.int64)
    rounded = np.round(total, 4)
    k = min(len(total), n)
    head = np.argpartition(-rounded, k - 1)[:k] if k < len(total) else np.arange(len(total))
    head = head[np.lexsort((head, -rounded[head]))]  # score, then catalogue order, for a stable ranking
    for mask in (region == home, region != home):
        if mask.any() and not mask[head].any():
            best = np.flatnonzero(mask)[np.argmax(rounded[mask])]
            head = np.append(head[:-1], best) if len(head) >= n else np.append(head, best)
    return head


def match(case: Case, cat: Catalogue, weights: Weights, *, top_n: int, near_n: int = 3) -> MatchResult:
    """Ranked, explained proposals; near misses with counterfactuals; per region what blocked it."""
    ranked = rank(case, cat, weights, top_n)
    near, worst = near_miss_rows(case, ranked, ranked.checks.near_misses(len(cat), ranked.fails), near_n)
    return explained(case, cat, ranked, near, worst, words=cat)


def explained(case: Case, cat: Catalogue, ranked: Ranked, near: np.ndarray, worst: float | None, *,
              words) -> MatchResult:
    """The match in words: proposals for the ranked rows, near misses for `near`, what blocked each region.
    `words` gives the catalogue's values at those rows (the catalogue itself, or match_many's Python values)."""
    home = home_region_code(case)
    proposals = [_proposal(case, words, ranked, rank_no, share, home)
                 for rank_no, share in enumerate(_ranked_shares(ranked), start=1)]
    near = [_near_miss(case, words, ranked.checks, i, home) for i in near.tolist()]
    option_regions = tuple(sorted(set(np.unique(cat.cols["region"][ranked.qualifying]).tolist())))
    cutoffs = Cutoffs(lowest_score=min((p.score for p in proposals), default=None), proposals=len(proposals),
                      worst_near_key=worst, near_misses=len(near), option_regions=option_regions,
                      own_shown=any(p.own_region for p in proposals),
                      other_shown=any(not p.own_region for p in proposals))
    blocking, details, facts = _blocking(case, cat, ranked, option_regions)
    return MatchResult(proposals, near, blocking, details, cutoffs, blocking_facts=facts)


def _ranked_shares(ranked: Ranked) -> list[tuple[dict[str, float], float]]:
    """Per ranked row, in rank order: its contributions (criteria with data, rounded) and its completeness; read
    from the score arrays once per case as Python numbers, not one numpy element per criterion and row."""
    at, scores = ranked.positions, ranked.scores
    values = {k: v[at].tolist() for k, v in scores.contributions.items()}
    known = {k: scores.known[k][at].tolist() for k in scores.contributions}
    completeness = scores.completeness[at].tolist()
    return [({k: round(v[n], 4) for k, v in values.items() if known[k][n]}, completeness[n])
            for n in range(len(at))]


def _proposal(case: Case, cat: Catalogue, ranked: Ranked, rank_no: int, share: tuple[dict[str, float], float],
              home: int) -> Proposal:
    i = int(ranked.order[rank_no - 1])
    name, province, municipality = cat.labels[i]
    own = int(cat.cols["region"][i]) == home
    contributions, completeness = share
    missing_keys = explain.missing_keys(case, cat, i)
    return Proposal(rank=rank_no, site_id=cat.ids[i], site_name=name, region=cat.region_of(i), province=province,
                    municipality_code=municipality, own_region=own, score=round(sum(contributions.values()), 4),
                    contributions=contributions, region_label="own region" if own else "other region",
                    explanations=tuple(explain.explanations(case, cat, i)),
                    explanation_facts=tuple(explain.explanation_facts(case, cat, i)),
                    missing_data=tuple(explain.MISSING[key] for key in missing_keys),
                    missing_keys=tuple(missing_keys),
                    completeness=round(min(1.0, completeness), 4))


def near_key(case: Case, checks: constraints.Checks, fails: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Order of near misses: fewest failed constraints, then smallest relative shortfall."""
    return fails[rows].astype(np.float32) + _relative_gap(case, checks, rows)


def near_miss_rows(case: Case, ranked: Ranked, near_misses: np.ndarray, n: int) -> tuple[np.ndarray, float | None]:
    """The rows of the n near misses (of the mask `near_misses`) with the lowest near_key, and the highest key
    among them."""
    near = np.flatnonzero(near_misses)
    if len(near) == 0 or n <= 0:
        return near[:0], None
    key = near_key(case, ranked.checks, ranked.fails, near)
    if len(near) > n:  # partial selection first: a full sort of many near misses costs more than the rest
        head = np.argpartition(key, n - 1)[:n]
        near, key = near[head], key[head]
    order = np.lexsort((near, key))[:n]
    return near[order], float(key[order].max())


def _relative_gap(case: Case, checks: constraints.Checks, rows: np.ndarray) -> np.ndarray:
    gap = np.zeros(len(rows), dtype=np.float32)
    d = case.demand
    for name, needed in ((constraints.FLOOR, d.floor_space and d.floor_space.floor_space_m2),
                         (constraints.GRID, d.energy and d.energy.grid_connection_mw)):
        if name in checks.offered:
            short = criteria.clip01((needed - checks.offered[name][rows]) / needed)
            gap += criteria.nan_to_zero(short)
    return gap


def _near_miss(case: Case, cat: Catalogue, checks: constraints.Checks, i: int, home: int) -> NearMiss:
    failed, what_if = explain.counterfactuals(case, cat, checks, i)
    name, _, municipality = cat.labels[i]
    return NearMiss(site_id=cat.ids[i], site_name=name, region=cat.region_of(i), municipality_code=municipality,
                    own_region=int(cat.cols["region"][i]) == home, failed=tuple(failed),
                    counterfactuals=tuple(what_if), shortfalls=tuple(explain.shortfalls(case, cat, checks, i)))


def _blocking(case: Case, cat: Catalogue, ranked: Ranked,
              with_option: tuple[int, ...]) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, list[dict]]]:
    lacking = [r for r in range(len(REGIONS)) if r not in with_option]
    found = explain.blocking_by_region(case, cat, ranked.checks, lacking)
    return ({REGIONS[r]: names for r, (names, _, _) in found.items()},
            {REGIONS[r]: lines for r, (_, lines, _) in found.items()},
            {REGIONS[r]: facts for r, (_, _, facts) in found.items()})
