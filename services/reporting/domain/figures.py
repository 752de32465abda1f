"""Every figure of the impact table and its breakdowns, computed from a Portfolio; each cell knows its companies."""

from __future__ import annotations

import gc
import statistics
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from services.reporting.domain.periods import TARGETS, pro_rata_target
from services.reporting.domain.projection import Case, Portfolio


@dataclass
class Cell:
    """A number and the companies behind it (disclosure control counts those, see disclosure.py)."""

    value: float = 0
    companies: set[str] = field(default_factory=set)

    def add(self, company: str, amount: float = 1) -> None:
        self.value += amount
        self.companies.add(company)


def _group(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(key, company) pairs -> the companies of each key, one per pair, in order (one pass, no Cell per pair)."""
    groups: dict[str, list[str]] = {}
    for key, company in items:
        found = groups.get(key)
        if found is None:
            groups[key] = [company]
        else:
            found.append(company)
    return groups


def tally(items: Iterable[tuple[str, str]]) -> dict[str, Cell]:
    """(key, company) pairs -> one Cell per key counting distinct companies."""
    cells = {key: Cell(companies=set(companies)) for key, companies in _group(items).items()}
    for cell in cells.values():
        cell.value = len(cell.companies)
    return dict(sorted(cells.items()))


def count(items: Iterable[tuple[str, str]]) -> dict[str, Cell]:
    """(key, company) pairs -> one Cell per key counting the pairs (cases), remembering their companies."""
    cells = {key: Cell(value=len(companies), companies=set(companies)) for key, companies in _group(items).items()}
    return dict(sorted(cells.items()))


@dataclass
class Stat:
    """Lead time statistics in days over some cases."""

    days: list[float]
    companies: set[str]

    @cached_property  # every read of cached figures asks again; a sort of every case once is enough
    def median(self) -> float | None:
        return round(statistics.median(self.days), 1) if self.days else None

    @cached_property
    def mean(self) -> float | None:
        return round(statistics.fmean(self.days), 1) if self.days else None


@dataclass
class Figures:
    as_of: date
    impact: dict[str, Cell]
    breakdowns: dict[str, dict[str, Cell]]
    bottlenecks: dict[str, dict[str, Cell]]
    no_proposition: dict[str, Cell]
    no_proposition_breakdowns: dict[str, dict[str, Cell]]
    lead_times: dict[str, Stat]
    outcomes: dict[str, Cell]
    decisions: dict[str, int]

    def target(self, indicator: str) -> float | None:
        return pro_rata_target(indicator, self.as_of) if indicator in TARGETS else None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the fold and the figures allocate hundreds of thousands of small
    objects and no cycles, so each automatic collection would only walk the whole portfolio again (it doubled
    the figures' time at 100k events)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def figures_of(portfolio: Portfolio, as_of: date) -> Figures:
    """All figures for the portfolio as it stood at the end of `as_of`."""
    with collector_paused():
        return _figures_of(portfolio, as_of)


def _figures_of(portfolio: Portfolio, as_of: date) -> Figures:
    cases = list(portfolio.cases.values())
    return Figures(as_of=as_of, impact=_impact(portfolio), breakdowns=_breakdowns(portfolio),
                   bottlenecks=_bottlenecks(cases), no_proposition=_no_proposition(cases),
                   no_proposition_breakdowns=_by_attributes("", [c for c in cases if c.no_proposition]),
                   lead_times=_lead_times(cases),
                   outcomes=count((c.outcome, c.company_ref) for c in cases if c.outcome),
                   decisions=dict(sorted(portfolio.decisions.items())))


def _impact(p: Portfolio) -> dict[str, Cell]:
    leads = [lead for lead in p.leads.values() if lead.eligible]
    portfolio = tally(("all", lead.company_ref) for lead in leads).get("all", Cell())
    relocated = [c for c in p.cases.values() if c.relocation]
    other = [c for c in relocated if c.relocation.other_region]
    investment = {status: Cell() for status in ("estimated", "verified")}
    total = Cell()
    for case in relocated:
        investment[case.relocation.investment_status].add(case.company_ref, case.relocation.investment_eur)
        total.add(case.company_ref, case.relocation.investment_eur)
    return {
        "leads_in_portfolio": portfolio,
        "cases_in_execution": count(("all", c.company_ref) for c in p.cases.values()).get("all", Cell()),
        "realised_other_region": count(("all", c.company_ref) for c in other).get("all", Cell()),
        "new_scale_ups": count(("all", c.company_ref) for c in other if c.relocation.new_scale_up).get("all", Cell()),
        "investment_retained_eur": total,
        "investment_retained_estimated_eur": investment["estimated"],
        "investment_retained_verified_eur": investment["verified"],
        "realised_own_region": count(("all", c.company_ref) for c in relocated
                                     if not c.relocation.other_region).get("all", Cell()),
        "cases_open": count(("all", c.company_ref) for c in p.cases.values() if not c.outcome).get("all", Cell()),
    }


def _by_attributes(prefix: str, items: list) -> dict[str, dict[str, Cell]]:
    """Breakdowns of leads or cases (distinct companies) by origin region, technology domain, demand type, stage."""
    return {
        f"{prefix}by_origin_region": tally((i.origin_region, i.company_ref) for i in items),
        f"{prefix}by_technology_domain": tally((d, i.company_ref) for i in items for d in i.domains),
        f"{prefix}by_demand_type": tally((d, i.company_ref) for i in items for d in i.demand_types),
        f"{prefix}by_stage": tally((i.stage, i.company_ref) for i in items),
    }


def _breakdowns(p: Portfolio) -> dict[str, dict[str, Cell]]:
    cases = list(p.cases.values())
    relocated = [c for c in cases if c.relocation]
    return {
        **_by_attributes("leads_", [lead for lead in p.leads.values() if lead.eligible]),
        **_by_attributes("cases_", cases),
        "realised_by_origin_region": count((c.relocation.origin_region, c.company_ref) for c in relocated),
        "realised_by_destination_region": count((c.relocation.destination_region, c.company_ref) for c in relocated),
        "realised_flows": count((f"{c.relocation.origin_region} -> {c.relocation.destination_region}", c.company_ref)
                                for c in relocated),
    }


def _bottlenecks(cases: list[Case]) -> dict[str, dict[str, Cell]]:
    """Per region, per hard constraint: how many cases it blocked in their latest match."""
    out: dict[str, dict[str, Cell]] = {}
    for case in cases:
        for region, constraints in case.blocking.items():
            for constraint in set(constraints):
                out.setdefault(region, {}).setdefault(constraint, Cell()).add(case.company_ref)
    return {region: dict(sorted(cells.items())) for region, cells in sorted(out.items())}


def _no_proposition(cases: list[Case]) -> dict[str, Cell]:
    return {
        "cases_now": count(("all", c.company_ref) for c in cases if c.no_proposition).get("all", Cell()),
        "cases_ever": count(("all", c.company_ref) for c in cases if c.ever_no_proposition).get("all", Cell()),
    }


def _days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 86400


def _lead_times(cases: list[Case]) -> dict[str, Stat]:
    spans = {
        "signal_to_case": lambda c: _days(c.signalled_at, c.opened_at),
        "case_to_proposal": lambda c: _days(c.opened_at, c.first_proposal_at),
        "proposal_to_realisation": lambda c: _days(c.first_proposal_at, c.first_realised_at),
        "signal_to_realisation": lambda c: _days(c.signalled_at, c.first_realised_at),
    }
    out = {}
    for name, span in spans.items():
        measured = [(c, span(c)) for c in cases]
        measured = [(c, d) for c, d in measured if d is not None]
        out[name] = Stat([d for _, d in measured], {c.company_ref for c, _ in measured})
    return out
