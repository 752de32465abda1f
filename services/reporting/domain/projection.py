"""The fold: facts in event-time order -> the portfolio of leads and cases as it stood at that moment."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar

from services.reporting.domain.facts import Fact
from services.reporting.domain.periods import cutoff

T = TypeVar("T")
UNOPENED = "case:"  # company reference of a case whose case-opened has not been seen


@dataclass
class Lead:
    company_ref: str
    stage: str
    domains: list[str]
    origin_region: str
    demand_types: list[str]
    eligible: bool


@dataclass
class Relocation:
    origin_region: str
    destination_region: str
    investment_eur: float
    investment_status: str
    new_scale_up: bool
    jobs: int

    @property
    def other_region(self) -> bool:
        return self.destination_region != self.origin_region


@dataclass
class Case:
    company_ref: str
    stage: str
    domains: list[str]
    origin_region: str
    demand_types: list[str]
    opened_at: datetime
    signalled_at: datetime | None
    first_proposal_at: datetime | None = None
    no_proposition: bool | None = None  # per the latest match; None before any match
    ever_no_proposition: bool = False
    blocking: dict[str, list[str]] = field(default_factory=dict)
    relocation: Relocation | None = None  # the latest record: later ones correct earlier ones
    first_realised_at: datetime | None = None
    outcome: str | None = None


@dataclass
class Portfolio:
    """Leads and cases as the events up to some moment describe them."""

    leads: dict[str, Lead] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)
    # ids of the leads and cases no snapshot shares: those may be changed in place (copy on write)
    owned: set[int] = field(default_factory=set, repr=False, compare=False)

    def apply(self, fact: Fact) -> None:
        """Take one fact into account (facts must come in event-time order)."""
        handler = _HANDLERS.get(fact.topic)
        if handler:
            handler(self, fact)

    def snapshot(self) -> Portfolio:
        """A copy that later facts leave as it is: it shares every lead and case until one of the two changes it
        (then the changing one copies it first), so a snapshot costs a few dicts, not the whole portfolio."""
        self.owned = set()
        return Portfolio(dict(self.leads), dict(self.cases), dict(self.decisions))

    def put(self, table: dict, key: str, item: T) -> None:
        """Store a lead or case this portfolio made."""
        table[key] = item
        self.owned.add(id(item))

    def own(self, table: dict[str, T], key: str) -> T:
        """The lead or case to change in place: a private copy while a snapshot still shares it."""
        item = table[key]
        if id(item) not in self.owned:
            item = copy(item)
            self.put(table, key, item)
        return item


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lead_registered(p: Portfolio, f: Fact) -> None:
    b = f.body
    p.put(p.leads, b["lead_id"], Lead(b["company_ref"], b["stage"], b["domains"], b["origin_region"],
                                      b["demand_types"], b["eligible"]))


def _lead_updated(p: Portfolio, f: Fact) -> None:
    b = f.body
    if b["lead_id"] in p.leads:
        lead = p.own(p.leads, b["lead_id"])
        lead.stage, lead.domains, lead.demand_types, lead.eligible = (b["stage"], b["domains"], b["demand_types"],
                                                                      b["eligible"])
    if (b.get("case_id") or "") in p.cases:
        case = p.own(p.cases, b["case_id"])
        case.stage, case.domains, case.demand_types = b["stage"], b["domains"], b["demand_types"]


def _case_opened(p: Portfolio, f: Fact) -> None:
    b = f.body
    known = p.cases.get(b["case_id"])
    if known and not known.company_ref.startswith(UNOPENED):
        return
    case = Case(b["company_ref"], b["stage"], b["domains"], b["origin_region"], b["demand_types"],
                opened_at=f.occurred_at, signalled_at=_parse_time(b.get("signalled_at")))
    if known:  # what was learnt before its opening arrived (see _case) stays
        case.first_proposal_at, case.no_proposition, case.ever_no_proposition, case.blocking = (
            known.first_proposal_at, known.no_proposition, known.ever_no_proposition, known.blocking)
        case.relocation, case.first_realised_at, case.outcome = (known.relocation, known.first_realised_at,
                                                                 known.outcome)
    p.put(p.cases, b["case_id"], case)


def _case(p: Portfolio, f: Fact) -> Case:
    """The case a fact is about. A case whose opening has not been seen (yet) is still counted, as a company of
    its own, so that a missing or late case-opened never makes a relocation vanish from the figures."""
    case_id = f.body["case_id"]
    if case_id not in p.cases:
        p.put(p.cases, case_id, Case(f"{UNOPENED}{case_id}", "unknown", [], f.body["origin_region"], [],
                                     opened_at=f.occurred_at, signalled_at=None))
    return p.own(p.cases, case_id)


def _match_proposed(p: Portfolio, f: Fact) -> None:
    case = _case(p, f)
    case.no_proposition = f.body["no_proposition"]
    case.ever_no_proposition |= case.no_proposition
    case.blocking = f.body["blocking"]
    if f.body["proposal_regions"] and case.first_proposal_at is None:
        case.first_proposal_at = f.occurred_at


def _relocation_realised(p: Portfolio, f: Fact) -> None:
    b = f.body
    case = _case(p, f)
    case.relocation = Relocation(b["origin_region"], b["destination_region"], b["investment_retained_eur"],
                                 b["investment_status"], b["new_scale_up"], b["jobs"])
    case.first_realised_at = case.first_realised_at or f.occurred_at


def _case_closed(p: Portfolio, f: Fact) -> None:
    _case(p, f).outcome = f.body["outcome"]


def _proposal_decided(p: Portfolio, f: Fact) -> None:
    decision = f.body["decision"]
    p.decisions[decision] = p.decisions.get(decision, 0) + 1


_HANDLERS = {"lead-registered": _lead_registered, "lead-updated": _lead_updated, "case-opened": _case_opened,
             "match-proposed": _match_proposed, "relocation-realised": _relocation_realised,
             "case-closed": _case_closed, "proposal-decided": _proposal_decided}


class Timeline:
    """Feeds facts in event-time order through one Portfolio, capturing `measure(portfolio, date)` at each date."""

    def __init__(self, dates: Iterable[date], measure: Callable[[Portfolio, date], T],
                 portfolio: Portfolio | None = None) -> None:
        self.portfolio = portfolio if portfolio is not None else Portfolio()  # or a checkpoint's, to go on from
        self.measure = measure
        self.pending = sorted(set(dates), reverse=True)
        self.results: dict[date, T] = {}
        self._limit = cutoff(self.pending[-1]) if self.pending else None

    @property
    def done(self) -> bool:
        return not self.pending

    def feed(self, fact: Fact) -> None:
        while self.pending and fact.occurred_at >= self._limit:
            self._capture()
        if self.pending:
            self.portfolio.apply(fact)

    def finish(self) -> dict[date, T]:
        while self.pending:
            self._capture()
        return self.results

    def _capture(self) -> None:
        moment = self.pending.pop()
        self.results[moment] = self.measure(self.portfolio, moment)
        self._limit = cutoff(self.pending[-1]) if self.pending else None
