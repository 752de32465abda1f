"""The batch path (domain.match_many, what matching's case-opened consumer runs) gives every case exactly what
the one-case path (domain.match, what re-matching runs) gives it: the same proposals in the same order with the
same explanations and facts, the same near misses, blocking and cutoffs, and so the same match-proposed."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest

from services.matching import domain, handlers
from services.matching.domain import Catalogue, Weights, batch
from services.matching.domain.catalogue import ALWAYS, DTYPES, NEVER, day
from services.matching.domain.criteria import Case
from services.matching.domain.sites import ACCESS, DOMAINS, ENV_CATEGORIES, REGIONS
from shared.contracts import MatchProposed, SpaceDemand

TODAY = date(2026, 12, 1)
# Few distinct values, so that sites tie and demands meet offers exactly where float32 rounding decides (1.4 MW
# asked of a site with 1.4 MW: in float32 they are equal, as float64 numbers they are not).
MW = [0.5, 1.4, 2.2, 3.0, np.nan]
M2 = [150.0, 800.3, 1_500.7, 4_000.3, 12_000.0, np.nan]


def catalogue(n: int, rng: np.random.Generator) -> Catalogue:
    """n sites drawn from few values (ties, exact meetings, unknowns); every fourth site a copy of another."""
    pick = lambda values, nan_share=0.0: np.where(rng.random(n) < nan_share, np.nan, rng.choice(values, n))  # noqa: E731
    days = lambda share, default: np.where(rng.random(n) < share, day(TODAY, 0) + rng.integers(0, 1500, n),  # noqa: E731
                                           default)
    cols = {"floor_now": pick(M2[:-1]), "planned_m2": pick(M2, 0.5), "planned_from": days(0.4, NEVER),
            "available_from": days(0.2, ALWAYS), "lot": pick(M2, 0.2), "iso": pick([5, 6, 7, 8], 0.3),
            "cleanroom_m2": pick(M2, 0.3), "vibration": pick([0.0, 1.0], 0.3), "env_max": pick(range(8), 0.1),
            "facility": rng.integers(0, 3, n), "mw_now": pick(MW), "mw_after": pick(MW),
            "reinforce_from": days(0.5, NEVER), "congestion": pick([0, 1, 2], 0.2),
            "grads_mbo": pick([50, 400, 1_200], 0.1), "grads_hbo": pick([50, 400, 1_200]),
            "grads_wo": pick([50, 400, 1_200], 0.3), "tightness": pick([0.6, 1.0, 1.4], 0.2),
            "housing": pick([0.3, 0.5, 0.8], 0.2), "knowledge_km": pick([2.0, 30.0, 80.0], 0.2),
            "fieldlabs": rng.integers(0, 4, n), "region": rng.integers(0, len(REGIONS), n),
            "access": rng.integers(0, 1 << len(ACCESS), n), "clusters": rng.integers(0, 1 << len(DOMAINS), n)}
    cols = {k: np.asarray(v).astype(DTYPES[k]) for k, v in cols.items()}
    copies = np.arange(n)
    copies[3::4] = rng.integers(0, n, len(copies[3::4]))  # identical rows: their scores tie
    cols = {k: v[copies] for k, v in cols.items()}
    return Catalogue(cols, [f"s-{i}" for i in range(n)], [(f"Site {i}", "Overijssel", "GM0153") for i in range(n)])


def a_case(rng: np.random.Generator) -> Case:
    """A case with some of the five demand types (at least one), from the same few values as the sites."""
    need = lambda: (TODAY + timedelta(days=int(rng.integers(-30, 1200)))).isoformat()  # noqa: E731
    parts = {
        "floor_space": {"floor_space_m2": float(rng.choice(M2[:-1])), "needed_by": need(),
                        "cleanroom_iso_class": [None, 6, 7, 8][rng.integers(0, 4)],
                        "cleanroom_m2": [None, 150.0, 800.3][rng.integers(0, 3)],
                        "vibration_free": bool(rng.random() < 0.4),
                        "environmental_category": [None, *ENV_CATEGORIES][rng.integers(0, len(ENV_CATEGORIES) + 1)]},
        "capital": {"facility": ["shared", "own"][rng.integers(0, 2)], "needed_by": need()},
        "talent": {"fte_mbo": int(rng.choice([0, 5, 30])), "fte_hbo": int(rng.choice([0, 20])),
                   "fte_wo": int(rng.choice([0, 70])), "needed_by": need()},
        "housing": {"staff_to_house": int(rng.choice([0, 40])), "needed_by": need(),
                    "transport_needs": [str(a) for a in rng.choice(ACCESS, int(rng.integers(0, 3)), replace=False)]},
        "energy": {"grid_connection_mw": float(rng.choice(MW[:-1])), "needed_by": need()},
    }
    chosen = [k for k in parts if rng.random() < 0.6] or ["energy"]
    domains = tuple(str(d) for d in rng.choice(DOMAINS, int(rng.integers(0, 3)), replace=False))
    return Case(demand=SpaceDemand.model_validate({k: parts[k] for k in chosen}), domains=domains,
                origin_region=REGIONS[rng.integers(0, len(REGIONS))])


def nothing_fits(rng: np.random.Generator) -> Case:
    """A cleaner cleanroom and more grid than any site has: no proposal anywhere, blocking in every region."""
    return Case(demand=SpaceDemand.model_validate({
        "floor_space": {"floor_space_m2": 10_000_000, "cleanroom_iso_class": 1, "needed_by": TODAY.isoformat()},
        "energy": {"grid_connection_mw": 900, "needed_by": TODAY.isoformat()}}), domains=(), origin_region="noord")


def as_json(result: domain.MatchResult) -> str:
    """Everything a match stores and emits, as text (NaN facts compare equal as text)."""
    return json.dumps(handlers.result_doc(result) | {"cutoffs": result.cutoffs.__dict__}, sort_keys=True)


@pytest.mark.parametrize(("sites", "cells"), [(1, batch.CELLS_PER_PASS), (12, batch.CELLS_PER_PASS),
                                              (60, batch.CELLS_PER_PASS), (60, 60 * 7), (400, 1)])
@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("together", [True, False])
def test_the_batch_path_gives_each_case_what_the_one_case_path_gives_it(sites, cells, seed, together, monkeypatch):
    """Many generated cases in one batch (or in passes of 7 cases, or one at a time), ties and unmatched cases
    among them, against generated catalogues: identical, field for field and in order; the scores of a pass
    computed together (score_many) or, as for a large catalogue where few sites qualify, case by case."""
    monkeypatch.setattr(batch, "CELLS_PER_PASS", cells)
    monkeypatch.setattr(batch, "SCORE_OVERHEAD_SITES", 10**9 if together else -10**9)
    rng = np.random.default_rng(1000 * sites + seed)
    cat, weights = catalogue(sites, rng), Weights(space=0.3, talent=0.1, own_region=0.05)
    cases = [a_case(rng) for _ in range(40)] + [nothing_fits(rng)]
    for top_n, near_n in ((5, 3), (2, 8)):
        many = domain.match_many(cases, cat, weights, top_n=top_n, near_n=near_n)
        one = [domain.match(c, cat, weights, top_n=top_n, near_n=near_n) for c in cases]
        assert [as_json(r) for r in many] == [as_json(r) for r in one]
    assert one[-1].no_proposition and set(one[-1].blocking) == set(REGIONS)


@pytest.mark.parametrize("sites", [1, 12, 60])
@pytest.mark.parametrize("seed", range(3))
def test_scores_of_many_cases_at_once_are_bit_for_bit_each_cases_own(sites, seed):
    """criteria.score_many against score per case, before any rounding: the same criteria, the same float32 bits
    (NaN where unknown), for each case over its own qualifying sites."""
    from services.matching.domain import criteria
    from services.matching.domain.matching import Rows

    rng = np.random.default_rng(700 + 10 * sites + seed)
    cat, weights = catalogue(sites, rng), Weights(space=0.3, talent=0.1, own_region=0.05)
    cases = [a_case(rng) for _ in range(40)] + [nothing_fits(rng)]
    qualifying = [np.flatnonzero(fails == 0) for _, fails, _ in batch._checked(cases, cat)]
    qualifying[0] = np.arange(sites)  # also every site, whether it qualifies or not
    many = criteria.score_many(cases, cat.cols, weights, qualifying)
    for case, q, got in zip(cases, qualifying, many, strict=True):
        want = criteria.score(case, Rows(cat.cols, q), weights)
        for name, a, b in [("total", got.total, want.total), ("completeness", got.completeness, want.completeness),
                           *((f"contribution {k}", got.contributions[k], v) for k, v in want.contributions.items()),
                           *((f"known {k}", got.known[k], v) for k, v in want.known.items())]:
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name
        assert list(got.contributions) == list(want.contributions) and list(got.known) == list(want.known)


@pytest.mark.parametrize("seed", range(2))
def test_the_stored_document_is_what_pydantic_writes_of_the_proposals_and_near_misses(seed):
    """result_doc writes each fact once (shared between the cases it appears in): the same JSON as dumping every
    proposal and near miss with pydantic, across generated matches, also when the facts repeat (a second pass)."""
    rng = np.random.default_rng(500 + seed)
    cat, weights = catalogue(60, rng), Weights()
    cases = [a_case(rng) for _ in range(40)]
    for _ in range(2):
        for result in domain.match_many(cases, cat, weights, top_n=5, near_n=3):
            doc = handlers.result_doc(result)
            assert json.dumps(doc["proposals"]) == json.dumps([p.model_dump(mode="json") for p in result.proposals])
            assert json.dumps(doc["near_misses"]) == json.dumps([n.model_dump(mode="json")
                                                                 for n in result.near_misses])


def test_the_generated_cases_do_cover_ties_exact_meetings_and_near_misses():
    """The comparison above is worth what its cases contain: ties in the ranking, a demand met exactly in
    float32, near misses and unknown data all occur."""
    rng = np.random.default_rng(60)
    cat, weights = catalogue(60, rng), Weights()
    cases = [a_case(rng) for _ in range(40)]
    results = domain.match_many(cases, cat, weights, top_n=5, near_n=3)
    scores = [[p.score for p in r.proposals] for r in results]
    assert any(len(s) != len(set(s)) for s in scores), "no tie among proposals"
    assert sum(len(r.near_misses) for r in results) > 20 and any(r.proposals for r in results)
    assert any(p.missing_keys for r in results for p in r.proposals)
    offered = [f.offered for r in results for p in r.proposals for f in p.explanation_facts
               if f.criterion == "grid_capacity" and f.unmet is None]
    needed = {float(c.demand.energy.grid_connection_mw) for c in cases if c.demand.energy}
    assert any(float(np.float32(x)) in {float(np.float32(v)) for v in needed} for x in offered if x == x), \
        "no demand met exactly"


def test_match_proposed_is_the_same_from_a_batch_as_from_one_case(monkeypatch):
    """The event the consumer emits is built from the result: the same result, the same event."""
    from tests.factories import case_opened_event, demand

    rng = np.random.default_rng(4)
    cat, weights = catalogue(30, rng), Weights()
    opened = [case_opened_event(demand=demand(floor_space_m2=float(m2), grid_connection_mw=1.4)).data
              for m2 in (800.3, 4_000.3, 10_000_000)]
    results = domain.match_many([domain.case_of(c) for c in opened], cat, weights, top_n=5)
    for data, result in zip(opened, results, strict=True):
        single = domain.match(domain.case_of(data), cat, weights, top_n=5)
        batch = handlers._new_match(data, result, score_ms=0, trigger="case-opened", previous=None)
        one_event = handlers._new_match(data, single, score_ms=0, trigger="case-opened", previous=None).event
        assert batch.event.data.model_dump_json() == one_event.data.model_dump_json()
        # Its JSON reuses the stored document's proposals: the same bytes as the event's own serialisation.
        assert batch.payload == batch.event.to_json()
        assert MatchProposed.from_json(batch.payload) == batch.event
