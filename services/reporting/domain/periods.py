"""Half-years of the programme 2025-2028, "as of" cut-offs and pro-rata targets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PROGRAMME_START = date(2025, 1, 1)
PROGRAMME_END = date(2028, 12, 31)
PROGRAMME_DAYS = (PROGRAMME_END - PROGRAMME_START).days + 1
PERIOD_PATTERN = re.compile(r"^(20\d\d)-H([12])$")

# Impact table (programme section 5.5): cumulative targets by the end of 2028.
TARGETS: dict[str, float] = {
    "leads_in_portfolio": 40,
    "cases_in_execution": 24,
    "realised_other_region": 12,
    "new_scale_ups": 6,
    "investment_retained_eur": 1_500_000_000,
}


@dataclass(frozen=True)
class Period:
    """A half-year, e.g. 2026-H1 (reported in June) or 2026-H2 (reported in December)."""

    year: int
    half: int

    @property
    def name(self) -> str:
        return f"{self.year}-H{self.half}"

    @property
    def start(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def moment(self) -> str:
        return "June" if self.half == 1 else "December"


def parse_period(text: str) -> Period:
    """'2026-H2' -> Period; ValueError naming the expected form otherwise."""
    found = PERIOD_PATTERN.match(text or "")
    if not found:
        raise ValueError(f"period {text!r} is not of the form YYYY-H1 or YYYY-H2")
    return Period(int(found[1]), int(found[2]))


def programme_periods() -> list[Period]:
    """The eight half-years 2025-H1 .. 2028-H2."""
    return [Period(year, half) for year in range(2025, 2029) for half in (1, 2)]


def cutoff(as_of: date) -> datetime:
    """Events strictly before this instant count "as of" the date: the end of that day in the Netherlands."""
    return datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=AMSTERDAM)


def local_day(moment: datetime) -> date:
    """The day in the Netherlands on which an instant falls (the day a fact counts from)."""
    return moment.astimezone(AMSTERDAM).date()


def dutch_today(now: datetime | None = None) -> date:
    """Today in the Netherlands: figures "as of today" count what happened up to now there. The machine's date
    (UTC on a server) is still yesterday between midnight and 01:00 or 02:00 Dutch time, which left the
    day's first events out of "today"."""
    return local_day(now or datetime.now(UTC))


def period_of(day: date) -> Period:
    """The half-year a day lies in."""
    return Period(day.year, 1 if day.month <= 6 else 2)


def report_date(period: Period, today: date) -> date:
    """The date a half-year's figures are as of: its last day, or today while it is under way (never later)."""
    return min(period.end, today)


def elapsed_share(as_of: date) -> float:
    """Share of the programme elapsed at the end of `as_of`, 0..1 (linear by days from 2025-01-01)."""
    days = (as_of - PROGRAMME_START).days + 1
    return min(max(days / PROGRAMME_DAYS, 0.0), 1.0)


def pro_rata_target(indicator: str, as_of: date) -> float:
    """The part of the 2028 target due by `as_of`."""
    return TARGETS[indicator] * elapsed_share(as_of)
