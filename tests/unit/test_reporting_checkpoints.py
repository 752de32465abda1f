"""Snapshots of the fold (copy on write) stay as they were taken, and folding on from one equals a full fold."""

from __future__ import annotations

import json
from datetime import date, timedelta

from services.reporting.domain.facts import fact_of
from services.reporting.domain.figures import figures_of
from services.reporting.domain.periods import cutoff
from services.reporting.domain.projection import Portfolio, Timeline
from services.reporting.synthetic import history

DATES = [date(2026, 6, 30), date(2027, 12, 31), date(2029, 12, 31)]


def facts(n: int, seed: int) -> list:
    """Synthetic facts in event-time order, with bodies as they come back from the database (JSON)."""
    out = [fact_of(e) for e in history(n, seed=seed)]
    out = [type(f)(f.event_id, f.topic, f.occurred_at, f.subject, json.loads(json.dumps(f.body))) for f in out]
    return sorted(out, key=lambda f: f.occurred_at)


def fold(items) -> Portfolio:
    portfolio = Portfolio()
    for f in items:
        portfolio.apply(f)
    return portfolio


def test_a_snapshot_is_left_as_it_was_while_the_portfolio_it_came_from_is_folded_on():
    history_ = facts(2000, seed=3)
    split = cutoff(date(2026, 12, 31))
    before = [f for f in history_ if f.occurred_at < split]
    portfolio = fold(before)
    snapshot = portfolio.snapshot()
    for f in history_[len(before):]:
        portfolio.apply(f)
    assert snapshot == fold(before)
    assert portfolio == fold(history_)
    assert snapshot != portfolio  # the later facts did change leads and cases the snapshot shares


def test_a_snapshot_of_a_snapshot_folded_on_twice_leaves_both_as_they_were():
    history_ = facts(1500, seed=4)
    first = fold(history_[:500]).snapshot()
    second = first.snapshot()
    for f in history_[500:]:
        second.apply(f)
    again = first.snapshot()
    for f in history_[500:1000]:
        again.apply(f)
    assert first == fold(history_[:500])
    assert second == fold(history_)
    assert again == fold(history_[:1000])


def test_figures_folded_on_from_a_snapshot_equal_figures_from_every_fact():
    history_ = facts(2000, seed=5)
    split = cutoff(date(2025, 12, 31)) + timedelta(hours=1)
    checkpoint = fold(f for f in history_ if f.occurred_at < split).snapshot()
    resumed = Timeline(DATES, figures_of, checkpoint)
    full = Timeline(DATES, figures_of)
    for f in history_:
        full.feed(f)
        if f.occurred_at >= split:
            resumed.feed(f)
    assert resumed.finish() == full.finish()
