"""The figures API: every figure of the impact table, its breakdowns and the ecosystem view, as raw cells.

What each case, each company and each fact contributes to the cells is defined here (`case_cells`,
`company_cells`, `fact_cells`); a figure as of a date is the sum of those contributions, and `assemble` turns
the sums into `Figures`. Cells are raw (never suppressed): disclosure control (../disclosure/) works on top of
them, from `value`, `contributors` and, for amounts, `largest`. The coordinator sees them as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from services.reporting.domain.periods import TARGETS, cutoff, local_day, period_of, pro_rata_target

if TYPE_CHECKING:
    from services.reporting.domain.facts import Fact
    from services.reporting.domain.projection import CaseState, LeadState

CellKey = tuple[str, str]  # (metric, key); key "" for a single number
Sums = dict[CellKey, tuple[int, float]]  # (contributors, amount) summed over every contribution

# The ROM of each region: the destination ROM a relocation credits (the origin ROM is the one that signalled).
REGION_ROM = {"noord": "nom", "oost": "oost-nl", "zuid": "bom", "west": "innovationquarter",
              "midden": "horizon-flevoland"}
# Municipalities of the technology hotspots (brandpunten) named in the programme, for display.
HOTSPOT_NAMES = {"GM0014": "Groningen", "GM0153": "Twente (Enschede)", "GM0772": "Brainport Eindhoven",
                 "GM0503": "Delft", "GM0546": "Leiden", "GM0599": "Rotterdam", "GM0034": "Almere"}
AMOUNT_METRICS = frozenset({"investment", "investment_estimated", "investment_verified",
                            "investment_by_origin_rom", "investment_by_destination_rom"})
LEAD_TIME_SPANS = ("signal_to_case", "case_to_proposal", "proposal_to_realisation", "signal_to_realisation")
ATTRIBUTES = ("by_origin_region", "by_technology_domain", "by_demand_type", "by_stage")
CREDIT_GROUPS = ("leads_by_origin_rom", "cases_by_origin_rom", "realised_by_origin_rom",
                 "realised_by_destination_rom", "realised_other_region_by_origin_rom",
                 "realised_other_region_by_destination_rom", "investment_by_origin_rom",
                 "investment_by_destination_rom")


@dataclass(frozen=True)
class Cell:
    """A number and what disclosure control needs to know about the companies behind it."""

    value: float = 0  # a count (companies, cases) or an amount (EUR)
    contributors: int = 0  # distinct companies behind the value
    largest: tuple[float, ...] = ()  # amounts only: the two largest single-company contributions, largest first


@dataclass(frozen=True)
class Stat:
    """Lead times over some cases: a histogram in whole days (median from it) and the exact sum (mean)."""

    histogram: dict[int, int] = field(default_factory=dict)  # whole days -> cases
    total_days: float = 0.0

    @property
    def cases(self) -> int:
        return sum(self.histogram.values())

    @property
    def contributors(self) -> int:
        return self.cases  # one case per company

    @property
    def median(self) -> float | None:
        n = self.cases
        if not n:
            return None
        middle = [(n - 1) // 2, n // 2]
        found, seen = [], 0
        for days, count in sorted(self.histogram.items()):
            found += [days for i in middle if seen <= i < seen + count]
            seen += count
        return round(sum(found) / 2, 1)

    @property
    def mean(self) -> float | None:
        return round(self.total_days / self.cases, 1) if self.cases else None


@dataclass(frozen=True)
class Ecosystem:
    """One coherent ecosystem, quantified: flows between regions, cases across regions, hotspots that received."""

    signalled: dict[str, Cell]  # cases by the region that signalled them (A)
    proposed_flows: dict[str, Cell]  # "A -> B": cases signalled in A with a site proposed in B (any match)
    realised_flows: dict[str, Cell]  # "A -> B": cases signalled in A realised in B
    cases: Cell  # every case
    multi_region: Cell  # cases in which more than one region took part (signal, proposal or destination)
    hotspots: dict[str, Cell]  # relocations by destination municipality (CBS code; HOTSPOT_NAMES names them)

    @property
    def multi_region_share(self) -> float | None:
        return self.multi_region.value / self.cases.value if self.cases.value else None


@dataclass(frozen=True)
class Timing:
    """How the figures were placed in time: late events (arrived after their half-year ended), clamped ones."""

    late_events: dict[str, int]  # half-year of the event -> events that arrived after its end
    clamped_events: int  # events whose time lay beyond the clock-skew bound after arrival (placed at arrival)


@dataclass(frozen=True)
class Figures:
    as_of: date
    impact: dict[str, Cell]
    breakdowns: dict[str, dict[str, Cell]]
    bottlenecks: dict[str, dict[str, Cell]]  # region -> hard constraint -> cases blocked in their latest match
    no_proposition: dict[str, Cell]  # cases_now, cases_ever
    no_proposition_breakdowns: dict[str, dict[str, Cell]]  # by_origin_region, ... of the cases_now
    lead_times: dict[str, Stat]
    outcomes: dict[str, Cell]
    decisions: dict[str, int]
    credit: dict[str, dict[str, Cell]]  # CREDIT_GROUPS: per ROM (organisation id), origin and destination
    ecosystem: Ecosystem
    timing: Timing

    def target(self, indicator: str) -> float | None:
        return pro_rata_target(indicator, self.as_of) if indicator in TARGETS else None


# --- contributions -------------------------------------------------------------------------------------------

def _lead_time_days(case: CaseState) -> dict[str, float]:
    ends = {"signal_to_case": (case.signalled_at, case.opened_at if case.opened else None),
            "case_to_proposal": (case.opened_at, case.first_proposal_at),
            "proposal_to_realisation": (case.first_proposal_at, case.first_realised_at),
            "signal_to_realisation": (case.signalled_at, case.first_realised_at)}
    return {span: (end - start).total_seconds() / 86400 for span, (start, end) in ends.items()
            if start is not None and end is not None}


@functools.cache
def _attribute_metrics(prefix: str) -> tuple[str, ...]:
    return tuple(prefix + attribute for attribute in ATTRIBUTES)


def _attribute_cells(prefix: str, items: Iterable) -> dict[CellKey, tuple[int, float]]:
    """One per distinct key of each attribute among the items (a company counts once per key)."""
    one, (region, domain, demand_type, stage) = (1, 0.0), _attribute_metrics(prefix)
    cells = {}
    for i in items:
        cells[(region, i.origin_region)] = cells[(stage, i.stage)] = one
        cells.update(dict.fromkeys(((domain, d) for d in i.domains), one))
        cells.update(dict.fromkeys(((demand_type, d) for d in i.demand_types), one))
    return cells


def _relocation_cells(case: CaseState) -> dict[CellKey, tuple[int, float]]:
    r = case.relocation
    amount = (1, float(r.investment_eur))
    destination_rom = REGION_ROM.get(r.destination_region, r.destination_region)
    cells = {("investment", ""): amount, (f"investment_{r.investment_status}", ""): amount,
             ("realised_by_origin_region", r.origin_region): (1, 0.0),
             ("realised_by_destination_region", r.destination_region): (1, 0.0),
             ("realised_flows", f"{r.origin_region} -> {r.destination_region}"): (1, 0.0),
             ("realised_by_destination_rom", destination_rom): (1, 0.0),
             ("investment_by_destination_rom", destination_rom): amount,
             ("hotspots", r.destination_municipality): (1, 0.0),
             ("realised_other_region" if r.other_region else "realised_own_region", ""): (1, 0.0)}
    for organisation in case.organisations:
        cells[("realised_by_origin_rom", organisation)] = (1, 0.0)
        cells[("investment_by_origin_rom", organisation)] = amount
    if r.other_region:
        cells[("realised_other_region_by_destination_rom", destination_rom)] = (1, 0.0)
        cells.update(dict.fromkeys((("realised_other_region_by_origin_rom", o) for o in case.organisations),
                                   (1, 0.0)))
        if r.new_scale_up:
            cells[("new_scale_ups", "")] = (1, 0.0)
    return cells


def case_cells(case: CaseState) -> dict[CellKey, tuple[int, float]]:
    """What one case contributes to every figure, as it stands."""
    one, attributes = (1, 0.0), _attribute_cells("cases_", [case])
    cells = {("cases", ""): one, **attributes}
    cells.update(dict.fromkeys((("cases_by_origin_rom", o) for o in case.organisations), one))
    cells.update(dict.fromkeys((("proposed_flows", f"{case.origin_region} -> {b}") for b in case.proposed_regions),
                               one))
    regions = {case.origin_region} | case.signal_regions | case.proposed_regions
    if not case.outcome:
        cells[("cases_open", "")] = one
    else:
        cells[("outcomes", case.outcome)] = one
    if case.relocation:
        cells.update(_relocation_cells(case))
        regions.add(case.relocation.destination_region)
    if len(regions - {""}) > 1:
        cells[("multi_region", "")] = one
    if case.no_proposition:
        cells[("no_proposition_now", "")] = one
        cells.update({("no_proposition_" + k[0][len("cases_"):], k[1]): one
                      for k in attributes})
    if case.ever_no_proposition:
        cells[("no_proposition_ever", "")] = one
    for region, constraints in case.blocking.items():
        cells.update(dict.fromkeys((("bottleneck", f"{region}|{c}") for c in constraints), one))
    for span, days in _lead_time_days(case).items():
        cells[(f"lead_time:{span}", str(round(days)))] = (1, days)
    return cells


def company_cells(leads: Iterable[LeadState]) -> dict[CellKey, tuple[int, float]]:
    """What one company contributes through its leads: counted once if any of them was ever in scope."""
    counted = [lead for lead in leads if lead.ever_in_scope]
    if not counted:
        return {}
    cells = {("leads", ""): (1, 0.0), **_attribute_cells("leads_", counted)}
    cells.update(dict.fromkeys((("leads_by_origin_rom", lead.organisation) for lead in counted), (1, 0.0)))
    return cells


def fact_cells(f: Fact, day: date | None = None) -> dict[CellKey, tuple[int, float]]:
    """What one fact contributes on its own, whatever entity it belongs to (`day`: its local day, if known)."""
    one = (1, 0.0)
    cells = {("events", f.topic): one}
    if f.topic == "proposal-decided":
        cells[("decisions", f.body["decision"])] = one
    if f.clamped:
        cells[("clamped_events", "")] = one
    period = period_of(day or local_day(f.occurred_at))
    if f.arrived_at is not None and f.arrived_at >= _period_cutoff(period.end):
        cells[("late_events", period.name)] = one
    return cells


@functools.cache
def _period_cutoff(end: date) -> datetime:
    """The end of a half-year's last day (a handful of values, asked for once per fact by a rebuild)."""
    return cutoff(end)


# --- assembly ------------------------------------------------------------------------------------------------

class _Reader:
    def __init__(self, sums: Sums, largest: dict[CellKey, tuple[float, ...]]) -> None:
        self.groups: dict[str, dict[str, tuple[int, float]]] = {}
        for (metric, key), value in sums.items():
            if value[0] or value[1]:  # a key every contribution has left again is gone
                self.groups.setdefault(metric, {})[key] = value
        self.largest = largest

    def cell(self, metric: str, key: str = "") -> Cell:
        n, amount = self.groups.get(metric, {}).get(key, (0, 0.0))
        if metric in AMOUNT_METRICS:  # to the cent: sums of many additions and subtractions carry float dust
            return Cell(round(amount, 2), n, self.largest.get((metric, key), ()))
        return Cell(n, n)

    def group(self, metric: str) -> dict[str, Cell]:
        return {key: self.cell(metric, key) for key in sorted(self.groups.get(metric, {}))}

    def stat(self, span: str) -> Stat:
        found = self.groups.get(f"lead_time:{span}", {})
        return Stat({int(k): n for k, (n, _) in found.items() if n}, round(sum(a for _, a in found.values()), 6))

    def counts(self, metric: str) -> dict[str, int]:
        return {key: n for key, (n, _) in sorted(self.groups.get(metric, {}).items())}


def _impact(r: _Reader) -> dict[str, Cell]:
    return {
        "leads_in_portfolio": r.cell("leads"),
        "cases_in_execution": r.cell("cases"),
        "realised_other_region": r.cell("realised_other_region"),
        "new_scale_ups": r.cell("new_scale_ups"),
        "investment_retained_eur": r.cell("investment"),
        "investment_retained_estimated_eur": r.cell("investment_estimated"),
        "investment_retained_verified_eur": r.cell("investment_verified"),
        "realised_own_region": r.cell("realised_own_region"),
        "cases_open": r.cell("cases_open"),
    }


def _bottlenecks(r: _Reader) -> dict[str, dict[str, Cell]]:
    out: dict[str, dict[str, Cell]] = {}
    for key, cell in r.group("bottleneck").items():
        region, constraint = key.split("|", 1)
        out.setdefault(region, {})[constraint] = cell
    return dict(sorted(out.items()))


def assemble(as_of: date, sums: Sums, largest: dict[CellKey, tuple[float, ...]] | None = None) -> Figures:
    """Figures as of a date from the summed contributions up to it (and the largest amounts per amount cell)."""
    r = _Reader(sums, largest or {})
    breakdowns = {f"{who}_{a}": r.group(f"{who}_{a}") for who in ("leads", "cases") for a in ATTRIBUTES}
    breakdowns |= {name: r.group(name) for name in ("realised_by_origin_region", "realised_by_destination_region",
                                                    "realised_flows")}
    return Figures(
        as_of=as_of, impact=_impact(r), breakdowns=breakdowns, bottlenecks=_bottlenecks(r),
        no_proposition={"cases_now": r.cell("no_proposition_now"), "cases_ever": r.cell("no_proposition_ever")},
        no_proposition_breakdowns={a: r.group(f"no_proposition_{a}") for a in ATTRIBUTES},
        lead_times={span: r.stat(span) for span in LEAD_TIME_SPANS},
        outcomes=r.group("outcomes"), decisions=r.counts("decisions"),
        credit={name: r.group(name) for name in CREDIT_GROUPS},
        ecosystem=Ecosystem(signalled=r.group("cases_by_origin_region"), proposed_flows=r.group("proposed_flows"),
                            realised_flows=r.group("realised_flows"), cases=r.cell("cases"),
                            multi_region=r.cell("multi_region"), hotspots=r.group("hotspots")),
        timing=Timing(late_events=r.counts("late_events"), clamped_events=r.cell("clamped_events").contributors),
    )


def event_counts(sums: Sums) -> dict[str, int]:
    """Events seen per topic."""
    return {key: n for (metric, key), (n, _) in sums.items() if metric == "events"}
