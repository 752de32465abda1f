"""Which open cases a supply change can affect, so that only those are re-matched."""

from __future__ import annotations

import numpy as np

from services.matching.domain import constraints, criteria
from services.matching.domain.catalogue import Catalogue
from services.matching.domain.criteria import Case, Weights
from services.matching.domain.matching import Cutoffs, home_region_code, near_key

SLACK = 1e-4  # scores are rounded to 4 decimals in proposals


def could_change(case: Case, changed: Catalogue, shown: set[str], cutoffs: Cutoffs | None = None, *,
                 weights: Weights = Weights(), top_n: int = 5, near_n: int = 3) -> bool:
    """Whether changed sites (old and new versions of each) can alter a case's match.

    Yes when one was shown; or now qualifies and would rank (beats the lowest proposal, fills a free slot,
    is the first option in its region or of its own/other kind); or is a near miss that would be listed; or
    sits in a region without options (its blocking line may change). Without cutoffs: any qualifying or
    near site counts.
    """
    if shown & set(changed.ids):
        return True
    checks = constraints.check(case.demand, changed)
    fails = checks.fail_count(len(changed))
    qualifies = fails == 0
    near = checks.near_misses(len(changed), fails)
    if cutoffs is None:
        return bool((qualifies | near).any())
    region = changed.cols["region"]
    if np.isin(region, cutoffs.option_regions, invert=True).any():
        return True
    if qualifies.any() and _would_rank(case, changed, qualifies, cutoffs, weights, top_n):
        return True
    return near.any() and (cutoffs.near_misses < near_n or bool(
        (near_key(case, checks, fails, np.flatnonzero(near)) <= cutoffs.worst_near_key + SLACK).any()))


def _would_rank(case: Case, changed: Catalogue, qualifies: np.ndarray, cutoffs: Cutoffs, weights: Weights,
                top_n: int) -> bool:
    rows = np.flatnonzero(qualifies)
    own = changed.cols["region"][rows] == home_region_code(case)
    if cutoffs.proposals < top_n or (own.any() and not cutoffs.own_shown) or (~own).any() and not cutoffs.other_shown:
        return True
    scores = criteria.score(case, {k: v[rows] for k, v in changed.cols.items()}, weights).total
    return bool((np.round(scores, 4) >= (cutoffs.lowest_score or 0) - SLACK).any())
