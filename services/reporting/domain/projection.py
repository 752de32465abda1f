"""Per-entity folds: one case's (or one company's leads') facts in event-time order -> what it adds to each figure.

Every figure is a sum of what each case, each company and each fact contributes to its cells. A case's
contribution changes only on the days its own facts happened, so an entity is folded day by day and the
*change* of its contribution on each day is a delta row (day, metric, key, n, amount). A figure as of a date
is then the sum of the delta rows up to that date, and a late fact changes only its own entity's deltas:
fold the entity's facts without it and with it, and store the difference (see services/reporting/projections.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from itertools import islice

from services.reporting.domain.changes import Cells, Changes, Delta, Step
from services.reporting.domain.facts import Fact
from services.reporting.domain.figures import (
    CellKey,
    Figures,
    Sums,
    assemble,
    case_cells,
    company_cells,
    fact_cells,
)
from services.reporting.domain.periods import local_day

UNOPENED = "case:"  # company reference of a case whose case-opened has not been seen


@dataclass
class Relocation:
    origin_region: str
    destination_region: str
    destination_municipality: str
    investment_eur: float
    investment_status: str
    new_scale_up: bool
    jobs: int

    @property
    def other_region(self) -> bool:
        return self.destination_region != self.origin_region


@dataclass
class CaseState:
    """One case as its facts up to some moment describe it."""

    company_ref: str
    stage: str = "unknown"
    domains: list[str] = field(default_factory=list)
    origin_region: str = ""
    demand_types: list[str] = field(default_factory=list)
    opened_at: datetime | None = None
    signalled_at: datetime | None = None
    seen: bool = False  # a case fact (not only a lead naming it) has been folded
    opened: bool = False
    organisations: set[str] = field(default_factory=set)  # the ROMs/partners whose leads are in it
    signal_regions: set[str] = field(default_factory=set)  # the regions its leads were signalled from
    first_proposal_at: datetime | None = None
    no_proposition: bool | None = None  # per the latest match; None before any match
    ever_no_proposition: bool = False
    blocking: dict[str, list[str]] = field(default_factory=dict)
    proposed_regions: set[str] = field(default_factory=set)  # regions of every site ever proposed
    relocation: Relocation | None = None  # the latest record: later ones correct earlier ones
    first_realised_at: datetime | None = None
    outcome: str | None = None


@dataclass
class LeadState:
    organisation: str
    stage: str
    domains: list[str]
    origin_region: str
    demand_types: list[str]
    eligible: bool
    ever_in_scope: bool


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seen(case: CaseState, f: Fact) -> None:
    """A case whose opening has not been seen (yet) still counts, as a company of its own, so that a missing
    or late case-opened never makes a relocation vanish from the figures."""
    if not case.seen:
        case.seen, case.opened_at = True, f.occurred_at
        case.origin_region = case.origin_region or f.body["origin_region"]


def _case_opened(case: CaseState, f: Fact) -> None:
    if case.opened:
        return
    b = f.body
    case.seen = case.opened = True
    case.company_ref, case.stage, case.domains, case.origin_region, case.demand_types = (
        b["company_ref"], b["stage"], b["domains"], b["origin_region"], b["demand_types"])
    case.opened_at, case.signalled_at = f.occurred_at, _parse_time(b.get("signalled_at"))
    case.organisations.add(b["organisation"])
    case.signal_regions.add(b["origin_region"])


def _lead_in_case(case: CaseState, f: Fact) -> None:
    b = f.body
    if b.get("organisation"):
        case.organisations.add(b["organisation"])
    if b.get("origin_region"):
        case.signal_regions.add(b["origin_region"])
    if f.topic == "lead-updated" and case.seen:
        case.stage, case.domains, case.demand_types = b["stage"], b["domains"], b["demand_types"]


def _match_proposed(case: CaseState, f: Fact) -> None:
    _seen(case, f)
    case.no_proposition = f.body["no_proposition"]
    case.ever_no_proposition |= case.no_proposition
    case.blocking = f.body["blocking"]
    case.proposed_regions.update(f.body["proposal_regions"])
    if f.body["proposal_regions"] and case.first_proposal_at is None:
        case.first_proposal_at = f.occurred_at


def _relocation_realised(case: CaseState, f: Fact) -> None:
    _seen(case, f)
    b = f.body
    case.relocation = Relocation(b["origin_region"], b["destination_region"], b.get("destination_municipality", ""),
                                 b["investment_retained_eur"], b["investment_status"], b["new_scale_up"], b["jobs"])
    case.first_realised_at = case.first_realised_at or f.occurred_at


def _case_closed(case: CaseState, f: Fact) -> None:
    _seen(case, f)
    case.outcome = f.body["outcome"]


_CASE_HANDLERS = {"case-opened": _case_opened, "lead-registered": _lead_in_case, "lead-updated": _lead_in_case,
                  "match-proposed": _match_proposed, "relocation-realised": _relocation_realised,
                  "case-closed": _case_closed}


def _lead_registered(leads: dict[str, LeadState], f: Fact) -> None:
    b = f.body
    leads[b["lead_id"]] = LeadState(b["organisation"], b["stage"], b["domains"], b["origin_region"],
                                    b["demand_types"], b["eligible"], b["in_scope"])


def _lead_updated(leads: dict[str, LeadState], f: Fact) -> None:
    b, lead = f.body, leads.get(f.body["lead_id"])
    if lead is None:  # an update of a lead whose registration has not been seen: nothing to update yet
        return
    lead.stage, lead.domains, lead.demand_types, lead.eligible = b["stage"], b["domains"], b["demand_types"], \
        b["eligible"]
    lead.origin_region = b.get("origin_region") or lead.origin_region
    lead.ever_in_scope |= b["in_scope"]


def _order(facts: Iterable[Fact]) -> list[Fact]:
    # Stable: facts with the same time keep the order they were stored in (the caller passes them so).
    return sorted(facts, key=lambda f: f.occurred_at)


def _by_day(facts: Iterable[Fact]) -> Iterator[tuple[date, list[Fact]]]:
    day, batch = None, []
    for f in _order(facts):
        d = local_day(f.occurred_at)
        if d != day and batch:
            yield day, batch
            batch = []
        day = d
        batch.append(f)
    if batch:
        yield day, batch


def case_days(case_id: str, facts: Iterable[Fact]) -> Iterator[tuple[date, Cells]]:
    """What one case contributes to the figures at the end of each day on which its facts (in any order) happened."""
    case = CaseState(company_ref=f"{UNOPENED}{case_id}")
    for day, batch in _by_day(facts):
        for f in batch:
            _CASE_HANDLERS[f.topic](case, f)
        yield day, case_cells(case) if case.seen else {}


def company_days(facts: Iterable[Fact]) -> Iterator[tuple[date, Cells]]:
    """What one company contributes through its leads at the end of each day on which their facts happened."""
    leads: dict[str, LeadState] = {}
    for day, batch in _by_day(facts):
        for f in batch:
            (_lead_registered if f.topic == "lead-registered" else _lead_updated)(leads, f)
        yield day, company_cells(leads.values())


def single_days(facts: Iterable[Fact]) -> Iterator[tuple[date, Cells]]:
    """What single facts add on their own day, whatever their entity (event counts, decisions, lateness)."""
    for f in facts:
        day = local_day(f.occurred_at)
        yield day, fact_cells(f, day)


def group_by_entity(facts: Iterable[Fact]) -> tuple[dict[str, list[Fact]], dict[str, list[Fact]]]:
    """Facts of each case and of each company (a lead fact naming its case belongs to both)."""
    cases: dict[str, list[Fact]] = {}
    companies: dict[str, list[Fact]] = {}
    for f in facts:
        if (case_id := f.case_id) is not None:
            cases.setdefault(case_id, []).append(f)
        if (company := f.company_ref) is not None:
            companies.setdefault(company, []).append(f)
    return cases, companies


def with_lead_companies(facts: list[Fact]) -> list[Fact]:
    """lead-updated facts from producers that did not name the company get it from the lead's registration."""
    known = {f.body["lead_id"]: f.company_ref for f in facts if f.topic == "lead-registered"}
    return [replace(f, body={**f.body, "company_ref": known[f.body["lead_id"]]})
            if f.topic == "lead-updated" and not f.company_ref and f.body["lead_id"] in known else f for f in facts]


def share_of_history(facts: list[Fact], *, share: int = 0, shares: int = 1) -> Changes:
    """The changes of a whole history's entities and single facts, or with `shares` > 1 of every `shares`-th
    entity and single fact from `share` on: the shares 0 .. shares-1 together are the whole history, each
    entity in exactly one of them (a rebuild folds them in parallel and adds them up)."""
    facts = with_lead_companies(facts)
    cases, companies = group_by_entity(facts)
    return changes_of(facts[share::shares], dict(islice(cases.items(), share, None, shares)),
                      list(islice(companies.values(), share, None, shares)))


def changes_of(single: Iterable[Fact], cases: dict[str, list[Fact]], companies: Iterable[list[Fact]]) -> Changes:
    """The changes these single facts, these cases' and these companies' facts (each entity with all of its
    facts) make to the figures."""
    changes = Changes()
    changes.add_single(single_days(single))
    for case_id, mine in cases.items():
        changes.add(case_days(case_id, mine), steps_of=f"case:{case_id}")
    for mine in companies:
        changes.add(company_days(mine))
    return changes


def sums_up_to(deltas: Iterable[Delta], day: date) -> Sums:
    """The contributions summed over every delta row up to and including `day`."""
    sums: dict[CellKey, list] = {}
    for d, metric, key, n, amount in deltas:
        if d <= day:
            found = sums.setdefault((metric, key), [0, 0.0])
            found[0] += n
            found[1] += amount
    return {k: (n, a) for k, (n, a) in sums.items()}


def largest_at(steps: Iterable[Step], day: date) -> dict[CellKey, tuple[float, ...]]:
    """The two largest single-entity amounts of each amount cell that hold on `day`."""
    found: dict[CellKey, list[float]] = {}
    for _, metric, key, since, until, amount in steps:
        if since <= day and (until is None or day < until):
            found.setdefault((metric, key), []).append(amount)
    return {k: tuple(sorted(v, reverse=True)[:2]) for k, v in found.items()}


def figures_from_facts(facts: Iterable[Fact], dates: Iterable[date]) -> dict[date, Figures]:
    """Figures as of each date computed from a whole history in memory (the reference the stored sums equal)."""
    changes = share_of_history(list(facts))
    deltas, steps = changes.summed(), changes.steps()
    return {d: assemble(d, sums_up_to(deltas, d), largest_at(steps, d)) for d in sorted(set(dates))}
