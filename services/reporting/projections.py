"""The projections: maintained per batch of facts (write side), and the figures as of any date (read side).

Write: a batch's new facts are stored and, in the same transaction, each case and company they belong to is
folded with and without them (domain/projection.py); the difference is added to the day's, month's and
half-year's delta rows of every cell it changes (one upsert for the batch), and the cases' amount steps are
replaced. A late fact so changes its own day's rows and what its entity's later facts contributed, nothing else.
Read: a figure as of a date sums the delta rows of the half-years before it, the months before it in its
half-year and the days before it in its month — at most 7 + 5 + 31 rows per cell, whatever the history's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting import repository
from services.reporting.domain.changes import Changes, Delta
from services.reporting.domain.facts import Fact
from services.reporting.domain.figures import AMOUNT_METRICS, Figures, Sums, assemble
from services.reporting.domain.periods import Period, cutoff
from services.reporting.domain.projection import case_days, company_days, group_by_entity, single_days
from services.reporting.repository import DeltaRow


def buckets(day: date) -> tuple[tuple[str, date], ...]:
    """The three rows a day's delta goes into: its day, its month and its half-year."""
    return ("d", day), ("m", day.replace(day=1)), ("h", date(day.year, 1 if day.month <= 6 else 7, 1))


def day_sums(deltas: Iterable[Delta]) -> dict[tuple[date, str, str], list]:
    """Delta rows summed per day and cell."""
    days: dict[tuple[date, str, str], list] = {}
    for day, metric, key, n, amount in deltas:
        found = days.get((day, metric, key))
        if found is None:
            days[(day, metric, key)] = [n, amount]
        else:
            found[0] += n
            found[1] += amount
    return days


def grain_rows(deltas: Iterable[Delta]) -> list[DeltaRow]:
    """Delta rows summed per grain, bucket and cell (zero sums left out)."""
    wider: dict[tuple[str, date, str, str], list] = {}
    days = day_sums(deltas)
    for (day, metric, key), (n, amount) in days.items():
        for grain, bucket in buckets(day)[1:]:
            found = wider.get((grain, bucket, metric, key))
            if found is None:
                wider[(grain, bucket, metric, key)] = [n, amount]
            else:
                found[0] += n
                found[1] += amount
    rows = [("d", day, metric, key, n, a) for (day, metric, key), (n, a) in days.items() if n or a]
    return rows + [(*k, n, a) for k, (n, a) in wider.items() if n or a]


async def _with_companies(session: AsyncSession, facts: Sequence[Fact]) -> list[Fact]:
    """lead-updated facts from producers that did not name the company get it from the lead's registration."""
    unnamed = {f.body["lead_id"] for f in facts if f.topic == "lead-updated" and not f.company_ref}
    if not unnamed:
        return list(facts)
    known = {f.body["lead_id"]: f.company_ref for f in facts if f.topic == "lead-registered"}
    known |= await repository.companies_of_leads(session, unnamed - known.keys())
    return [replace(f, body={**f.body, "company_ref": known[f.body["lead_id"]]})
            if f.topic == "lead-updated" and not f.company_ref and f.body["lead_id"] in known else f for f in facts]


async def project_batch(session: AsyncSession, facts: Sequence[Fact]) -> int:
    """Store a batch of facts and bring the projections up to date with them, in the caller's transaction.

    Returns how many facts were new (a fact stored before, by a redelivery or a rebuild, changes nothing).
    """
    await repository.lock_projection(session)
    facts = await _with_companies(session, list({f.event_id: f for f in facts}.values()))
    fresh_ids = await repository.insert_facts(session, facts)
    fresh = [f for f in facts if f.event_id in fresh_ids]
    if not fresh:
        return 0
    registered = {f.body["lead_id"]: f.company_ref for f in fresh if f.topic == "lead-registered"}
    attached = await repository.attach_updates_to_companies(session, registered)  # only the companies gain them
    cases = {f.case_id for f in fresh if f.case_id}
    companies = {f.company_ref for f in fresh if f.company_ref}
    by_case, by_company = group_by_entity(
        await repository.entity_facts(session, case_ids=cases, company_refs=companies))
    changes = Changes()
    changes.add_single(single_days(fresh))
    for case_id in cases:  # each entity as it is now, and as it was without the new facts taken away
        mine = by_case.get(case_id, [])
        changes.add(case_days(case_id, mine), steps_of=f"case:{case_id}")
        changes.add(case_days(case_id, [f for f in mine if f.event_id not in fresh_ids]), sign=-1)
    for company in companies:
        mine = by_company.get(company, [])
        changes.add(company_days(mine))
        changes.add(company_days([f for f in mine if f.event_id not in fresh_ids | attached]), sign=-1)
    await repository.add_deltas(session, grain_rows(changes.summed()))
    await repository.replace_steps(session, [f"case:{c}" for c in cases], changes.steps())
    return len(fresh)


# --- read side -----------------------------------------------------------------------------------------------

def _cells_json(sums: Sums, largest: dict) -> dict[str, Any]:
    return {"sums": [[m, k, n, a] for (m, k), (n, a) in sorted(sums.items())],
            "largest": [[m, k, list(v)] for (m, k), v in sorted(largest.items())]}


def _cells_of(stored: dict[str, Any]) -> tuple[Sums, dict]:
    return ({(m, k): (n, a) for m, k, n, a in stored["sums"]},
            {(m, k): tuple(v) for m, k, v in stored["largest"]})


@dataclass(frozen=True)
class Reported:
    """A half-year as it was reported, and what arrived for it since."""

    period: str
    as_of: str
    reported_at: datetime
    reported_by: str
    published: dict[str, Any]  # what was shown then
    figures: Figures | None  # the raw figures then (None for snapshots frozen before they were kept)
    late_since_report: dict[str, int]  # per topic: events of the half-year that arrived after it was reported

    @property
    def late_events(self) -> int:
        return sum(self.late_since_report.values())


class Projections:
    """Reads the figures as of any date from the delta rows (no cache: a read costs a few small queries)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def _read(self, session: AsyncSession, days: Sequence[date]) -> dict[date, tuple[Sums, dict]]:
        sums = await repository.sums_as_of(session, days)
        amounts = [(day, *cell) for day in days for cell, (n, _) in sums[day].items()
                   if cell[0] in AMOUNT_METRICS and n > 0]
        largest = await repository.largest_on(session, amounts)
        return {day: (sums[day], largest.get(day, {})) for day in days}

    async def figures(self, dates: Iterable[date]) -> dict[date, Figures]:
        """Raw figures at the end of each date (unsuppressed: what the coordinator sees)."""
        days = sorted(set(dates))
        async with self.sessions() as session:
            # One snapshot of the database for every date and query: a batch committing meanwhile is all or nothing.
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            read = await self._read(session, days)
        return {day: assemble(day, *read[day]) for day in days}

    async def event_counts(self) -> dict[str, int]:
        async with self.sessions() as session:
            return await repository.event_counts(session)

    async def freeze(self, period: Period, *, as_of: date, reported_by: str, published: dict[str, Any]) -> bool:
        """Keep a half-year's figures as reported (published and raw); False when it was reported already."""
        async with self.sessions() as session, session.begin():
            sums, largest = (await self._read(session, [as_of]))[as_of]
            return await repository.save_snapshot(session, period=period.name, as_of=as_of.isoformat(),
                                                  figures=published, reported_by=reported_by,
                                                  cells=_cells_json(sums, largest))

    async def reported(self, period: Period) -> Reported | None:
        """A half-year as reported, its raw figures then, and the late events that arrived for it since."""
        async with self.sessions() as session:
            frozen = await repository.snapshot(session, period.name)
            if frozen is None:
                return None
            late = await repository.late_since(session, start=cutoff(period.start - timedelta(days=1)),
                                               end=cutoff(period.end),
                                               since=frozen["reported_at"])
        raw = assemble(date.fromisoformat(frozen["as_of"]), *_cells_of(frozen["cells"])) if frozen["cells"] else None
        return Reported(period.name, frozen["as_of"], frozen["reported_at"], frozen["reported_by"],
                        frozen["figures"], raw, late)
