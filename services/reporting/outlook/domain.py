"""The regional outlook, pure: facts in event-time order -> open demand and supply per region, constraint, year.

Demand: each open case's (or, before a case, lead's) floor space, cleanroom m² and grid MW with their need
dates, in the region the company is in now (case-opened, lead-updated; a case stops counting when it is
closed or realised). Supply: the catalogue as site-changed events describe it — floor space now and planned
from its date, cleanroom m², grid MW now and after a reinforcement from its date; a site counts from its
`available_from`. For each year, the demand needed by its end against the supply there by its end; the gap is
demand minus supply (positive: short). An aggregate early signal for policy, not a match: one large site can
meet a demand that many small ones cannot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

CONSTRAINTS = ("floor_space_m2", "cleanroom_m2", "grid_mw")
OUTLOOK_TOPICS = ("case-opened", "lead-updated", "case-closed", "relocation-realised", "site-changed")


@dataclass
class Need:
    region: str
    company: str
    amounts: dict[str, tuple[float, date]] = field(default_factory=dict)  # constraint -> (quantity, needed by)


@dataclass
class Outlook:
    """The state folded from the facts: open needs by case (or lead) and sites by id."""

    needs: dict[str, Need] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)
    sites: dict[str, dict] = field(default_factory=dict)

    def apply(self, topic: str, body: dict) -> None:
        if topic == "site-changed":
            self._site(body)
        elif topic in ("case-closed", "relocation-realised"):
            self.closed.add(body["case_id"])
            self.needs.pop(body["case_id"], None)
        elif "demand" in body:
            self._need(topic, body)

    def _site(self, body: dict) -> None:
        changed = body.get("changed", {})
        if changed.get("deleted"):
            self.sites.pop(body["site_id"], None)
            return
        self.sites[body["site_id"]] = self.sites.get(body["site_id"], {}) | changed

    def _need(self, topic: str, body: dict) -> None:
        key = body.get("case_id") or f"lead:{body['lead_id']}"
        if key in self.closed:
            return
        known = self.needs.get(key)
        region = body.get("origin_region") or (known.region if known else None)
        if region is None:
            return
        company = body.get("company_ref") or (known.company if known else key)
        self.needs[key] = Need(region, company, _amounts(body["demand"]))
        if topic == "case-opened":
            self.needs.pop(f"lead:{body.get('lead_id')}", None)  # the lead's demand now travels with its case


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10]) if text else None
    except ValueError:
        return None


def _amounts(demand: dict) -> dict[str, tuple[float, date]]:
    out = {}
    floor_by, grid_by = _day(demand.get("floor_space_by")), _day(demand.get("grid_by"))
    if floor_by and demand.get("floor_space_m2"):
        out["floor_space_m2"] = (float(demand["floor_space_m2"]), floor_by)
    if floor_by and demand.get("cleanroom_m2"):
        out["cleanroom_m2"] = (float(demand["cleanroom_m2"]), floor_by)
    if grid_by and demand.get("grid_mw"):
        out["grid_mw"] = (float(demand["grid_mw"]), grid_by)
    return out


def _from(site: dict, key: str) -> date | None:
    return _day(site.get(key))


def supply_by(site: dict, constraint: str, end: date) -> float:
    """What one site offers of a constraint by `end`."""
    start = _from(site, "available_from")
    if start and start > end:
        return 0.0
    if constraint == "floor_space_m2":
        planned = _from(site, "planned_available_from")
        extra = float(site.get("planned_floor_space_m2") or 0) if planned and planned <= end else 0.0
        return float(site.get("floor_space_m2") or 0) + extra
    if constraint == "cleanroom_m2":
        return float(site.get("cleanroom_m2") or 0)
    now = float(site.get("grid_mw_available") or 0)
    reinforced = _from(site, "grid_reinforcement_date")
    if reinforced and reinforced <= end:
        return max(now, float(site.get("grid_mw_after_reinforcement") or 0))
    return now


@dataclass(frozen=True)
class Row:
    """One region, constraint and year: demand (with the companies behind it) against supply."""

    region: str
    constraint: str
    year: int
    demand: float
    contributors: int
    largest: tuple[float, ...]
    supply: float

    @property
    def gap(self) -> float:
        return self.demand - self.supply


def rows(state: Outlook, years: Iterable[int]) -> list[Row]:
    """The outlook table: for every region with demand or supply, every constraint and year."""
    regions = sorted({n.region for n in state.needs.values()} | {s.get("region") for s in state.sites.values()
                                                                   if s.get("region")})
    out = []
    for year in years:
        end = date(year, 12, 31)
        for region in regions:
            sites = [s for s in state.sites.values() if s.get("region") == region]
            for constraint in CONSTRAINTS:
                per_company: dict[str, float] = {}
                for need in state.needs.values():
                    amount = need.amounts.get(constraint)
                    if need.region == region and amount and amount[1] <= end:
                        per_company[need.company] = per_company.get(need.company, 0.0) + amount[0]
                supply = sum(supply_by(s, constraint, end) for s in sites)
                if per_company or supply:
                    top = tuple(sorted(per_company.values(), reverse=True)[:2])
                    out.append(Row(region, constraint, year, sum(per_company.values()), len(per_company), top,
                                   supply))
    return out


def outlook_of(facts: Iterable[tuple[str, dict]], years: Iterable[int]) -> list[Row]:
    """Facts (topic, body) in event-time order -> the outlook rows."""
    state = Outlook()
    for topic, body in facts:
        state.apply(topic, body)
    return rows(state, list(years))
