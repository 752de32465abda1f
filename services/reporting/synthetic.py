"""Event builders for reporting's tests and benchmark, and a generator of synthetic histories.

Company references are made-up keyed-hash-like strings; no real company is ever involved.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from shared.contracts import (
    CaseClosed,
    CaseOpened,
    Envelope,
    LeadRegistered,
    LeadUpdated,
    MatchProposed,
    RelocationRealised,
)
from shared.contracts.events import Region, TechnologyDomain

PROVINCE = {"noord": ("GM0014", "Groningen"), "oost": ("GM0153", "Overijssel"), "zuid": ("GM0772", "Noord-Brabant"),
            "west": ("GM0503", "Zuid-Holland"), "midden": ("GM0034", "Flevoland")}
DEMAND_BUILDERS = {
    "floor_space": lambda by: {"floor_space_m2": 2000, "needed_by": by},
    "capital": lambda by: {"facility": "shared", "needed_by": by},
    "talent": lambda by: {"fte_hbo": 20, "needed_by": by},
    "housing": lambda by: {"staff_to_house": 50, "needed_by": by},
    "energy": lambda by: {"grid_connection_mw": 5, "needed_by": by},
}


def location(region: str) -> dict:
    code, province = PROVINCE[region]
    return {"municipality_code": code, "province": province, "region": region}


def demand(types: list[str]) -> dict:
    return {t: DEMAND_BUILDERS[t]("2028-01-01") for t in types}


def _envelope(model: type[Envelope], at: datetime, subject: str, data: dict) -> Envelope:
    return model.model_validate({"source": "/synthetic/reporting", "time": at, "subject": subject, "data": data})


def lead_registered(at: datetime, *, company: str, region: str = "oost", stage: str = "scale-up",
                    domains: tuple[str, ...] = ("semiconductor-technologies",), demand_types=("floor_space",),
                    eligible: bool = True, case_id: uuid.UUID | None = None, lead_id: uuid.UUID | None = None,
                    organisation: str = "oost-nl", joined: bool = False,
                    name_digests: tuple[str, ...] = ()) -> LeadRegistered:
    lead_id = lead_id or uuid.uuid4()
    return _envelope(LeadRegistered, at, str(lead_id), {
        "lead_id": lead_id, "organisation": organisation, "company_ref": company, "stage": stage,
        "technology_domains": list(domains), "origin": location(region), "demand_types": list(demand_types),
        "investment_eur": 10_000_000, "investment_status": "estimated", "eligible": eligible,
        "triage_reason": "deeptech" if eligible else "out of scope", "case_id": case_id,
        "joined_existing_case": joined, "name_digests": list(name_digests)})


def lead_updated(at: datetime, *, lead_id: uuid.UUID, case_id: uuid.UUID | None = None, stage: str = "scale-up",
                 domains: tuple[str, ...] = ("semiconductor-technologies",), demand_types=("floor_space",),
                 eligible: bool = True) -> LeadUpdated:
    return _envelope(LeadUpdated, at, str(lead_id), {
        "lead_id": lead_id, "case_id": case_id, "stage": stage, "technology_domains": list(domains),
        "demand": demand(list(demand_types)), "investment_eur": 10_000_000, "investment_status": "estimated",
        "eligible": eligible, "triage_reason": "updated", "changed": ["stage"]})


def case_opened(at: datetime, *, case_id: uuid.UUID, lead_id: uuid.UUID, company: str, signalled_at: datetime,
                region: str = "oost", stage: str = "scale-up",
                domains: tuple[str, ...] = ("semiconductor-technologies",),
                demand_types=("floor_space",)) -> CaseOpened:
    return _envelope(CaseOpened, at, str(case_id), {
        "case_id": case_id, "lead_id": lead_id, "code_name": f"Case {str(case_id)[:6]}", "organisation": "oost-nl",
        "company_ref": company, "stage": stage, "technology_domains": list(domains), "origin": location(region),
        "demand": demand(list(demand_types)), "investment_eur": 10_000_000, "investment_status": "estimated",
        "signalled_at": signalled_at.isoformat()})


def match_proposed(at: datetime, *, case_id: uuid.UUID, origin: str = "oost", regions: tuple[str, ...] = ("oost",),
                   blocking: dict[str, list[str]] | None = None) -> MatchProposed:
    proposals = [{"rank": i + 1, "site_id": f"site-{r}-{i}", "site_name": f"Campus {r}", "region": r,
                  "province": PROVINCE[r][1], "municipality_code": PROVINCE[r][0], "own_region": r == origin,
                  "score": 0.9 - i / 10, "contributions": {"floor_space": 0.5}} for i, r in enumerate(regions)]
    return _envelope(MatchProposed, at, str(case_id), {
        "case_id": case_id, "code_name": "Case", "technology_domains": ["semiconductor-technologies"],
        "origin_region": origin, "proposals": proposals, "no_proposition": not proposals,
        "blocking": blocking or {}})


def relocation_realised(at: datetime, *, case_id: uuid.UUID, origin: str, destination: str, investment: float,
                        status: str = "estimated", new_scale_up: bool = False, jobs: int = 25) -> RelocationRealised:
    return _envelope(RelocationRealised, at, str(case_id), {
        "case_id": case_id, "origin": location(origin), "destination": location(destination),
        "investment_retained_eur": investment, "investment_status": status, "jobs": jobs,
        "new_scale_up": new_scale_up, "evidence_ref": "synthetic"})


def case_closed(at: datetime, *, case_id: uuid.UUID, outcome: str, origin: str = "oost") -> CaseClosed:
    return _envelope(CaseClosed, at, str(case_id), {"case_id": case_id, "outcome": outcome, "origin_region": origin})


REGIONS = [r.value for r in Region]
DOMAINS = [d.value for d in TechnologyDomain]
CONSTRAINTS = ["grid_capacity", "cleanroom", "floor_space", "talent", "environmental_category"]


def history(n_events: int, *, seed: int = 7, start: date = date(2025, 1, 6),
            end: date = date(2028, 12, 1)) -> Iterator[Envelope]:
    """About `n_events` plausible events: leads, cases, matches, relocations and closures over 2025-2028
    (their stories begin between `start` and `end`; later steps may lie up to a year after)."""
    rng = random.Random(seed)
    span = (end - start).days * 86400
    produced = 0
    while produced < n_events:
        at = datetime.combine(start, datetime.min.time()).astimezone() + timedelta(seconds=rng.randrange(span))
        company, region = f"ref-{rng.getrandbits(64):016x}", rng.choice(REGIONS)
        domains, types = tuple(rng.sample(DOMAINS, 2)), tuple(rng.sample(list(DEMAND_BUILDERS), 2))
        lead_id, case_id = uuid.uuid4(), uuid.uuid4()
        eligible = rng.random() < 0.8
        events: list[Envelope] = [lead_registered(at, company=company, region=region, domains=domains,
                                                  demand_types=types, eligible=eligible,
                                                  case_id=case_id if eligible else None, lead_id=lead_id)]
        if eligible:
            at += timedelta(days=rng.randint(1, 30))
            events.append(case_opened(at, case_id=case_id, lead_id=lead_id, company=company, region=region,
                                      domains=domains, demand_types=types, signalled_at=at - timedelta(days=5)))
            at += timedelta(days=rng.randint(1, 20))
            found = rng.random() < 0.8
            events.append(match_proposed(at, case_id=case_id, origin=region,
                                         regions=tuple(rng.sample(REGIONS, 2)) if found else (),
                                         blocking={rng.choice(REGIONS): [rng.choice(CONSTRAINTS)]}))
            if found and rng.random() < 0.5:
                at += timedelta(days=rng.randint(30, 300))
                events.append(relocation_realised(at, case_id=case_id, origin=region, destination=rng.choice(REGIONS),
                                                  investment=rng.randint(1, 200) * 1e6,
                                                  new_scale_up=rng.random() < 0.5))
                events.append(case_closed(at, case_id=case_id, outcome="relocated", origin=region))
        produced += len(events)
        yield from events
