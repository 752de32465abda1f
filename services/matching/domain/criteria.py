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
    stack = np.stack(parts)  # parts of one case (sites) or of many (cases × sites): the part is the first axis
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


# ---------------------------------------------------------------- many cases at once
# The same criteria for several cases against every site, as (cases × sites) arrays: a case's own numbers (its
# need, its dates, its wanted domains) become a column that meets each site's value (a row). Each column has the
# dtype numpy gives a Python number against that row (NEP 50: the row's), and every sum adds its terms in the order
# the one-case functions do (a term a case lacks adds +0.0, or is masked), so each case's row is bit for bit what
# `score` computes for it (tests/unit/test_matching_batch.py).

def _col(values, dtype) -> np.ndarray:
    return np.array(values, dtype=dtype)[:, None]


def _space_many(cases: list[Case], c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    fs = [case.demand.floor_space for case in cases]
    need_day = _col([day(f.needed_by, 0) for f in fs], np.int32)
    needed = _col([f.floor_space_m2 for f in fs], np.float32)
    offered = c["floor_now"] + c["planned_m2"] * (c["planned_from"] <= need_day)
    vibration = np.where(_col([f.vibration_free for f in fs], bool), c["vibration"], np.float32(np.nan))
    return _mean_known([clip01(0.5 + 0.5 * (offered - needed) / needed), np.minimum(c["lot"] / needed, 1),
                        vibration])


def _capital_many(cases: list[Case], c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    table = np.array([[0.2, 1.0, 0.6] if case.demand.capital.facility == "shared" else [0.3, 0.6, 1.0]
                      for case in cases], dtype=np.float32)
    value = np.minimum(table[:, c["facility"]] + 0.1 * c["fieldlabs"], 1).astype(np.float32)
    return value, np.ones(value.shape, dtype=bool)


def _talent_many(cases: list[Case], c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ftes = [{"mbo": t.fte_mbo, "hbo": t.fte_hbo, "wo": t.fte_wo} for t in (case.demand.talent for case in cases)]
    totals = [sum(fte for fte in f.values() if fte) for f in ftes]
    pool = np.zeros((len(cases), len(c["region"])), dtype=np.float32)
    for lvl in ("mbo", "hbo", "wo"):
        wanted = [bool(f[lvl]) for f in ftes]
        share = _col([f[lvl] / total if w else 0.0 for f, total, w in zip(ftes, totals, wanted, strict=True)],
                     np.float32)
        per_hire = _col([f[lvl] * GRADUATES_PER_HIRE if w else 1 for f, w in zip(ftes, wanted, strict=True)],
                        np.float32)
        term = share * np.minimum(c[f"grads_{lvl}"] / per_hire, 1)
        pool = pool + np.where(_col(wanted, bool), term, np.float32(0))
    tight = clip01((c["tightness"] - 0.5) / 1.5)
    value = nan_to_zero(pool * (1 - TIGHTNESS_PENALTY * nan_to_zero(tight))).astype(np.float32)
    some = _col([any(f.values()) for f in ftes], bool)  # `talent`'s levels: those with an fte
    return np.where(some, value, np.float32(0.5)), np.where(some, ~np.isnan(pool), True)


def _housing_many(cases: list[Case], c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    needs = [case.demand.housing.transport_needs for case in cases]
    have = np.zeros((len(cases), len(c["region"])), dtype=np.float32)
    for i, name in enumerate(ACCESS):  # 0 or 1 per need (a need named twice counts twice): exact in any order
        have = have + _col([n.count(name) for n in needs], np.float32) * ((c["access"] >> i) & 1).astype(np.float32)
    access = np.where(_col([bool(n) for n in needs], bool), have / _col([len(n) or 1 for n in needs], np.float32),
                      np.float32(np.nan))
    return _mean_known([np.broadcast_to(1 - c["housing"], have.shape), access])


def _energy_many(cases: list[Case], c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    e = [case.demand.energy for case in cases]
    need_day = _col([day(x.needed_by, 0) for x in e], np.int32)
    offered = np.where(c["reinforce_from"] <= need_day, np.fmax(c["mw_after"], c["mw_now"]), c["mw_now"])
    needed = _col([x.grid_connection_mw for x in e], np.float32)
    congestion = nan_to_zero(c["congestion"]).astype(np.int64)
    value = clip01(0.5 + 0.5 * (offered - needed) / needed) * CONGESTION_FACTOR[congestion]
    return nan_to_zero(value).astype(np.float32), ~np.isnan(offered)


def _cluster_many(cases: list[Case], c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    wanted = _col([sum(1 << DOMAINS.index(getattr(d, "value", d)) for d in case.domains) for case in cases],
                  np.uint16)
    shared = np.bitwise_count(c["clusters"] & wanted).astype(np.float32)
    return shared / _col([max(len(case.domains), 1) for case in cases], np.float32), np.ones(shared.shape, bool)


def _knowledge_many(cases: list[Case], c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    value, known = knowledge(cases[0], c)  # the site's alone: the same for every case
    shape = (len(cases), len(value))
    return np.broadcast_to(value, shape), np.broadcast_to(known, shape)


def _own_region_many(cases: list[Case], c: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    home = _col([REGIONS.index(getattr(case.origin_region, "value", case.origin_region)) for case in cases],
                c["region"].dtype)
    value = (c["region"] == home).astype(np.float32)
    return value, np.ones(value.shape, dtype=bool)


MANY = {"space": _space_many, "capital": _capital_many, "talent": _talent_many, "housing": _housing_many,
        "energy": _energy_many, "cluster": _cluster_many, "knowledge": _knowledge_many,
        "own_region": _own_region_many}


def score_many(cases: list[Case], cols: dict[str, np.ndarray], weights: Weights,
               sites: list[np.ndarray]) -> list[Scores]:
    """`score(cases[k], cols at sites[k], weights)` for every k: each criterion computed once for all the cases it
    applies to, against every site (a small catalogue: the pipeline's batches), then each case's sites taken."""
    n, k = len(cols["region"]), len(cases)
    names = [applicable(case) for case in cases]
    known_weight = np.zeros((k, n), dtype=np.float32)
    values, known, rows = {}, {}, {}
    for name in CRITERIA:
        rows[name] = np.array([j for j, mine in enumerate(names) if name in mine], dtype=np.int64)
        if len(rows[name]):
            values[name], known[name] = MANY[name]([cases[j] for j in rows[name]], cols)
            known_weight[rows[name]] += weights.of(name) * known[name]
    denom = np.maximum(known_weight, np.float32(1e-9))
    total = np.zeros((k, n), dtype=np.float32)
    contributions = {}
    for name in values:
        contributions[name] = weights.of(name) * values[name] * known[name] / denom[rows[name]]
        total[rows[name]] += contributions[name]
    completeness = known_weight / _col([sum(weights.of(name) for name in mine) or 1.0 for mine in names],
                                       np.float32)
    at = {name: np.full(k, -1, dtype=np.int64) for name in values}  # case -> its row in the criterion's arrays
    for name in values:
        at[name][rows[name]] = np.arange(len(rows[name]))
    return [Scores(total[j, q], {name: contributions[name][at[name][j], q] for name in mine},
                   {name: known[name][at[name][j], q] for name in mine}, completeness[j, q])
            for j, (mine, q) in enumerate(zip(names, sites, strict=True))]
