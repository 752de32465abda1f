"""Checkpoints of the fold, so that figures are computed from the facts after a checkpoint instead of all facts.

A checkpoint is the portfolio folded from every fact with event time before its `limit` that was stored up to
`seq`. Folding on from it the facts after `limit` and those stored after `seq` gives exactly what a full
replay gives, as long as none of the facts stored after `seq` is dated before the latest fact it folded
(`last`): such a late fact would have to go in between, so it invalidates this checkpoint and every later
one, never an earlier one. Checkpoints are kept in memory: at the ends of the latest half-years folded
(snapshots, which later folds leave as they are) and at the last point computed (the head, live: folding on
from it changes it in place). A snapshot shares every lead and case with the portfolio it was taken from until
one of them changes it, so it costs memory for what changed after it only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.reporting.domain.periods import cutoff, programme_periods
from services.reporting.domain.projection import Portfolio

HALF_YEAR_ENDS = tuple(cutoff(p.end) for p in programme_periods())


@dataclass
class Checkpoint:
    limit: datetime  # every fact with event time before this instant...
    seq: int  # ...stored up to this sequence number is folded in
    last: datetime | None  # the latest event time folded (None: no fact)
    portfolio: Portfolio  # the head's changes as it is folded on; a frozen one's never does


def frozen(limit: datetime, seq: int, last: datetime | None, portfolio: Portfolio) -> Checkpoint:
    """A checkpoint that later folds cannot change (a snapshot of the portfolio as it is now)."""
    return Checkpoint(limit, seq, last, portfolio.snapshot())


class Checkpoints:
    """The half-year checkpoints (the latest `keep` of them) and the head."""

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self.frozen: dict[datetime, Checkpoint] = {}
        self.head: Checkpoint | None = None

    def freeze(self, limit: datetime, seq: int, last: datetime | None, portfolio: Portfolio) -> None:
        """Keep a snapshot at a half-year end; past `keep` of them, the earliest goes."""
        self.frozen[limit] = frozen(limit, seq, last, portfolio)
        while len(self.frozen) > self.keep:
            del self.frozen[min(self.frozen)]

    def candidates(self, until: datetime) -> list[Checkpoint]:
        """Checkpoints whose limit is at most `until`, latest first (the head before a frozen one at a tie)."""
        found = [c for c in self.frozen.values() if c.limit <= until]
        if self.head and self.head.limit <= until:
            found.append(self.head)
        return sorted(found, key=lambda c: (c.limit, c is self.head), reverse=True)

    def take(self, checkpoint: Checkpoint) -> Portfolio:
        """The portfolio to fold on from; the head is handed over (it will change), a frozen one snapshotted."""
        if checkpoint is self.head:
            self.head = None
            return checkpoint.portfolio
        return checkpoint.portfolio.snapshot()

    def drop(self, checkpoint: Checkpoint) -> None:
        """Forget a checkpoint a late fact made invalid."""
        if checkpoint is self.head:
            self.head = None
        else:
            self.frozen.pop(checkpoint.limit, None)

    def clear(self) -> None:
        self.frozen.clear()
        self.head = None
