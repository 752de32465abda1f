"""Releases: the moments at which a breakdown, an amount or a lead time may move for the ministry.

A figure other than a national headline count moves only at a release moment (the end of a half-year, or the
date of a frozen report), and only when the move itself is safe: compared with *every* earlier release, what
a reader can subtract moves by 0 or by at least three companies (and, for amounts, no company dominates the
move). Otherwise the figure stays as it was last released. Because each as-of date shows the latest release
before it, the difference of any two as-of dates is the difference of two releases, which was checked.

The releases are decided by replaying the release moments from the start of the programme over the current
history, so every reader at one time sees the same sequence, and a longer history only adds releases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.reporting.disclosure.rules import safe_amount, safe_amount_move, safe_count

OTHER = "__other__"  # the merged cell of a breakdown ("overige regio's", "overige domeinen", ...)
Counted = Mapping[str, tuple[float, int]]  # key -> (value, contributors)


@dataclass(frozen=True)
class GroupRelease:
    """A breakdown as released: categories on their own, and the rest merged into one cell."""

    at: date
    standalone: tuple[str, ...]
    merged: tuple[str, ...]
    values: Mapping[str, float]  # per standalone key and OTHER
    counted: Counted  # every key's (value, contributors) at `at`, to compare later moves with

    def blocks(self) -> list[frozenset[str]]:
        return [frozenset([k]) for k in self.standalone] + ([frozenset(self.merged)] if self.merged else [])


def components(a: list[frozenset[str]], b: list[frozenset[str]]) -> list[frozenset[str]]:
    """The finest sets of categories that are unions of blocks in both partitions (what two releases let a
    reader subtract from each other)."""
    merged: list[set[str]] = []
    for block in a + b:
        joined = set(block)
        for existing in [m for m in merged if m & joined]:
            joined |= existing
            merged.remove(existing)
        merged.append(joined)
    return [frozenset(m) for m in merged]


def _value(counted: Counted, keys) -> float:
    return sum(counted.get(k, (0, 0))[0] for k in keys)


def _contributors(counted: Counted, keys, multi_valued: bool) -> int:
    """Companies behind a merged cell: the sum, or where a company may sit in several categories (domains),
    the largest member (the only sure lower bound)."""
    found = [counted.get(k, (0, 0))[1] for k in keys] or [0]
    return max(found) if multi_valued else sum(found)


def safe_move(before: Counted, after: Counted, keys, multi_valued: bool) -> bool:
    """The move of a set of categories between two releases stands for nobody or at least three companies."""
    moves = [after.get(k, (0, 0))[0] - before.get(k, (0, 0))[0] for k in keys]
    total = sum(moves)
    if not total:  # what a reader can subtract did not move
        return True
    if multi_valued:  # one company in three domains moves the sum by three: ask three in one category too
        return abs(total) >= 3 and max(abs(m) for m in moves) >= 3
    return abs(total) >= 3


def _candidate(at: date, keys: list[str], counted: Counted, merged: set[str]) -> GroupRelease:
    standalone = tuple(k for k in keys if k not in merged)
    values = {k: float(counted.get(k, (0, 0))[0]) for k in standalone}
    if merged:
        values[OTHER] = float(_value(counted, merged))
    return GroupRelease(at, standalone, tuple(sorted(merged)), values, dict(counted))


def release_groups(moments: Sequence[tuple[date, Counted]], *, multi_valued: bool = False) -> list[GroupRelease]:
    """Replay the release moments; at each, the finest safe grouping, or no release (the breakdown stays).

    The categories are those seen up to each moment (so a later history never changes an earlier release)."""
    seen: set[str] = set()
    releases: list[GroupRelease] = []
    for at, counted in moments:
        seen |= {k for k, (value, _) in counted.items() if value}
        found = _propose(at, sorted(seen), counted, releases, multi_valued)
        if found is not None and (not releases or found.values != releases[-1].values
                                  or found.standalone != releases[-1].standalone):
            releases.append(found)
    return releases


def _propose(at: date, keys: list[str], counted: Counted, releases: list[GroupRelease],
             multi_valued: bool) -> GroupRelease | None:
    merged = {k for k in keys if not safe_count(counted.get(k, (0, 0))[1])}
    for earlier in releases:  # a category whose own move since a release is unsafe joins the rest
        merged |= {k for k in earlier.standalone if not safe_move(earlier.counted, counted, [k], multi_valued)}
    while True:
        candidate = _candidate(at, keys, counted, merged)
        if safe_count(_contributors(counted, merged, multi_valued)) and all(
                safe_move(e.counted, counted, component, multi_valued)
                for e in releases for component in components(candidate.blocks(), e.blocks())):
            return candidate
        left = sorted((counted.get(k, (0, 0))[1], k) for k in candidate.standalone)
        if not left:
            return None
        merged.add(left[0][1])


@dataclass(frozen=True)
class AmountRelease:
    at: date
    value: float
    contributors: int
    largest: tuple[float, ...]


def _amount_ok(value: float, contributors: int, largest: Sequence[float], releases: list[AmountRelease]) -> bool:
    if not safe_amount(value, contributors, largest):
        return False
    return all(safe_amount_move(value - r.value, contributors - r.contributors, largest) for r in releases)


def release_amounts(moments: Sequence[tuple[date, float, int, tuple[float, ...]]],
                    allowed: set[date] | None = None) -> list[AmountRelease]:
    """Replay the release moments of an amount (value, contributors, largest contributions): it moves when it,
    and its move since every earlier release, are safe. `allowed` limits the moments (parts move with totals)."""
    releases: list[AmountRelease] = []
    for at, value, contributors, largest in moments:
        if (allowed is not None and at not in allowed) or (releases and releases[-1].value == value
                                                           and releases[-1].contributors == contributors):
            continue
        if _amount_ok(value, contributors, largest, releases):
            releases.append(AmountRelease(at, value, contributors, tuple(largest)))
    return releases


@dataclass(frozen=True)
class PartsRelease:
    at: date
    parts: Mapping[str, AmountRelease]


def release_parts(moments: Sequence[tuple[date, Mapping[str, tuple[float, int, tuple[float, ...]]]]],
                  allowed: set[date]) -> list[PartsRelease]:
    """Parts of an amount (estimated / verified, or per ROM) move together, only when every part may, and only
    at a release of their total: so the total minus the parts shown is a released move of the total."""
    releases: list[PartsRelease] = []
    for at, parts in moments:
        if at not in allowed:
            continue
        earlier = {name: [r.parts[name] for r in releases if name in r.parts] for name in parts}
        if all(_amount_ok(v, n, big, earlier[name]) for name, (v, n, big) in parts.items()):
            releases.append(PartsRelease(at, {name: AmountRelease(at, v, n, tuple(big))
                                              for name, (v, n, big) in parts.items()}))
    return releases


@dataclass(frozen=True)
class StatRelease:
    """A statistic over cases (a lead time) as released."""

    at: date
    cases: int
    total: float
    shown: object


def release_stats(moments: Sequence[tuple[date, int, float, object]]) -> list[StatRelease]:
    """A statistic moves when its cases, and the change of its cases since every earlier release, are 0 or at
    least three (a mean over n and over n + 1 companies would give the one added company's value)."""
    releases: list[StatRelease] = []
    for at, cases, total, shown in moments:
        if releases and releases[-1].cases == cases and releases[-1].total == total:
            continue
        if safe_count(cases) and all(cases - r.cases >= 3 for r in releases):
            releases.append(StatRelease(at, cases, total, shown))
    return releases


def latest(releases: Sequence, as_of: date):
    """The release a figure as of a date stands for (None before the first)."""
    found = None
    for release in releases:
        if release.at <= as_of:
            found = release
    return found
