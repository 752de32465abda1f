"""Soft criteria, vectorised over the qualifying sites: each gives a 0..1 value and whether data existed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.matching.domain.catalogue import day
from services.matching.domain.constraints import floor_by, mw_by
from services.matching.domain.sites import ACCESS, DOMAINS, REGIONS
from shared.contracts.events import Region, SpaceDemand, TechnologyDomain

CRITERIA = ("space", "capital", "talent", "housing", "energy", "cluster", "knowledge", "own_region")
GRADUATES_PER_HIRE = 20  # a yearly pool of relevant graduates twenty times the hires is a comfortable market
TIGHTNESS_PENALTY = 0.3  # at most this share of the talent value is lost to a very tight labour market
KNOWLEDGE_RADIUS_KM = 50
CONGESTION_FACTOR = np.array([1.0, 0.9, 0.75], dtype=np.float32)  # in sites.CONGESTION order


@dataclass(frozen=True)
class Weights:
    """Relative weights of the criteria; those a case has no demand for drop out, the rest renormalise."""

    space: float = 0.2
    capital: float = 0.1
    talent: float = 0.15
    housing: float = 0.1
    energy: float = 0.2
    cluster: float = 0.15
    knowledge: float = 0.05
    own_region: float = 0.1

    def of(self, name: str) -> float:
        return getattr(self, name)


@dataclass(frozen=True)
class Case:
    """What matching needs from a case: its demand, domains and home region."""

    demand: SpaceDemand
    domains: tuple[TechnologyDomain, ...]
    origin_region: Region


def applicable(case: Case) -> list[str]:
    """The criteria this case is scored on: its demand types plus cluster, knowledge and region."""
    return [c for c in CRITERIA if c not in ("space", "capital", "talent", "housing", "energy")
            or getattr(case.demand, "floor_space" if c == "space" else c) is not None]


def clip01(x: np.ndarray) -> np.ndarray:
    """np.clip(x, 0, 1), NaN kept: the same two ufuncs without np.clip's Python-level overhead, which on the few
    sites of one case cost more than the arithmetic."""
    return np.minimum(np.maximum(x, 0), 1)


def nan_to_zero(x: np.ndarray) -> np.ndarray:
    """np.nan_to_num(x, nan=0) for values that cannot be infinite (all clipped): several times cheaper."""
    return np.where(np.isnan(x), 0, x)


def _headroom(offered: np.ndarray, needed: float) -> np.ndarray:
    """0.5 when the site just covers the need, 1.0 at double the need."""
    return clip01(0.5 + 0.5 * (offered - needed) / needed)


def _mean_known(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    stack = np.vstack(parts)
    known = ~np.isnan(stack)
    count = known.sum(axis=0)
    value = np.where(known, stack, 0).sum(axis=0) / np.maximum(count, 1)
    return value.astype(np.float32), count > 0


def space(case: Case, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    fs = case.demand.floor_space
    parts = [_headroom(floor_by(c, day(fs.needed_by, 0)), fs.floor_space_m2),
             np.minimum(c["lot"] / np.float32(fs.floor_space_m2), 1)]
    if fs.vibration_free:
        parts.append(c["vibration"])
    return _mean_known(parts)


def capital(case: Case, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    # facility code: 0 none, 1 shared, 2 own; a shared facility suits early growth, an own one later.
    table = np.array([0.2, 1.0, 0.6] if case.demand.capital.facility == "shared" else [0.3, 0.6, 1.0],
                     dtype=np.float32)
    value = np.minimum(table[c["facility"]] + 0.1 * c["fieldlabs"], 1).astype(np.float32)
    return value, np.ones(len(value), dtype=bool)


def talent(case: Case, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    t = case.demand.talent
    levels = [(fte, c[f"grads_{lvl}"]) for lvl, fte in (("mbo", t.fte_mbo), ("hbo", t.fte_hbo), ("wo", t.fte_wo))
              if fte]
    if not levels:
        return np.full(len(c["region"]), 0.5, dtype=np.float32), np.ones(len(c["region"]), dtype=bool)
    total = sum(fte for fte, _ in levels)
    pool = sum((fte / total) * np.minimum(grads / (fte * GRADUATES_PER_HIRE), 1) for fte, grads in levels)
    tight = clip01((c["tightness"] - 0.5) / 1.5)
    value = pool * (1 - TIGHTNESS_PENALTY * nan_to_zero(tight))
    return nan_to_zero(value).astype(np.float32), ~np.isnan(pool)


def housing(case: Case, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    h = case.demand.housing
    parts = [1 - c["housing"]]
    if h.transport_needs:
        wanted = [ACCESS.index(n) for n in h.transport_needs]
        have = sum(((c["access"] >> i) & 1).astype(np.float32) for i in wanted)
        parts.append(have / len(wanted))
    return _mean_known(parts)


def energy(case: Case, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    e = case.demand.energy
    offered = mw_by(c, day(e.needed_by, 0))
    congestion = nan_to_zero(c["congestion"]).astype(np.int64)
    value = _headroom(offered, e.grid_connection_mw) * CONGESTION_FACTOR[congestion]
    return nan_to_zero(value).astype(np.float32), ~np.isnan(offered)


def cluster(case: Case, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    wanted = sum(1 << DOMAINS.index(d.value if hasattr(d, "value") else d) for d in case.domains)
    shared = np.bitwise_count(c["clusters"] & np.uint16(wanted)).astype(np.float32)
    return shared / max(len(case.domains), 1), np.ones(len(shared), dtype=bool)


def knowledge(case: Case, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    near = clip01(1 - c["knowledge_km"] / KNOWLEDGE_RADIUS_KM)
    value = 0.8 * near + 0.2 * np.minimum(c["fieldlabs"] / 2, 1)
    return nan_to_zero(value).astype(np.float32), ~np.isnan(near)


def own_region(case: Case, c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    home = REGIONS.index(case.origin_region.value if hasattr(case.origin_region, "value") else case.origin_region)
    return (c["region"] == home).astype(np.float32), np.ones(len(c["region"]), dtype=bool)


SCORERS = {"space": space, "capital": capital, "talent": talent, "housing": housing, "energy": energy,
           "cluster": cluster, "knowledge": knowledge, "own_region": own_region}


@dataclass
class Scores:
    """Score and per-criterion contributions of a set of sites; missing data left out, not zeroed."""

    total: np.ndarray
    contributions: dict[str, np.ndarray]
    known: dict[str, np.ndarray]
    completeness: np.ndarray


def score(case: Case, cols: dict[str, np.ndarray], weights: Weights) -> Scores:
    """Weighted mean over the criteria that apply and have data; contributions sum to the total."""
    names = applicable(case)
    values, known = {}, {}
    for name in names:
        values[name], known[name] = SCORERS[name](case, cols)
    n = len(cols["region"])
    known_weight = np.zeros(n, dtype=np.float32)
    for name in names:
        known_weight += weights.of(name) * known[name]
    denom = np.maximum(known_weight, np.float32(1e-9))
    contributions = {name: weights.of(name) * values[name] * known[name] / denom for name in names}
    total = sum(contributions.values()) if names else np.zeros(n, dtype=np.float32)
    all_weight = sum(weights.of(name) for name in names) or 1.0
    return Scores(total, contributions, known, known_weight / all_weight)
