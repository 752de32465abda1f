"""When a number may leave reporting for the ministry: the cell rules of the disclosure policy (docs/disclosure.md).

Pure functions over what the figures know about the companies behind a number: how many contribute and, for
amounts, the two largest single-company contributions. A zero is always safe: it identifies nobody. Otherwise
at least MIN_COMPANIES companies must stand behind the number, and an amount must not be dominated by one
company (the p% rule: what the others than the two largest contribute must be at least DOMINANCE_P of the
largest, or the second largest could estimate the largest too closely).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

MIN_COMPANIES = 3
DOMINANCE_P = 0.20


def safe_count(contributors: int) -> bool:
    """A number (or a move of a number) may be shown: it stands for nobody or for at least MIN_COMPANIES."""
    return contributors == 0 or abs(contributors) >= MIN_COMPANIES


def dominated(total: float, largest: Sequence[float]) -> bool:
    """The p% rule: True when the largest contribution could be estimated within DOMINANCE_P by the second."""
    if not largest:
        return False
    first = largest[0]
    second = largest[1] if len(largest) > 1 else 0.0
    return abs(total) - first - second < DOMINANCE_P * first


def safe_amount(total: float, contributors: int, largest: Sequence[float]) -> bool:
    """An amount may be shown: nobody behind it, or enough contributors and none dominating."""
    if contributors == 0 and not total:
        return True
    return contributors >= MIN_COMPANIES and not dominated(total, largest)


def safe_amount_move(moved: float, new_contributors: int, largest: Sequence[float]) -> bool:
    """A move of an amount between two releases may be shown: at least MIN_COMPANIES new contributors, and not
    dominated even if its two largest parts were the two largest contributions there are now (`largest`).

    The figures do not say which companies moved, only how many contribute and the largest contributions, so
    the rule is conservative: a correction of one company's amount waits for three new contributors."""
    if not moved:
        return True
    return new_contributors >= MIN_COMPANIES and not dominated(moved, largest)


def band(amount: float) -> tuple[float, float]:
    """The band an amount is shown in: two significant digits, e.g. 123.4 mln -> [120 mln, 130 mln)."""
    if amount <= 0:
        return (0.0, 0.0)
    width = 10 ** (math.floor(math.log10(amount)) - 1)
    low = math.floor(amount / width) * width
    return (float(low), float(low + width))
