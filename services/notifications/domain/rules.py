"""Who is told what, for each event: pure rules that return notices, never mail anything themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.notifications.domain.directory import Recipient, of_kind, province_code
from shared.contracts.events import Location, MatchProposedData, RelocationRealisedData


@dataclass(frozen=True)
class Notice:
    """One mail to record: a recipient, a template and the event facts the template needs."""

    recipient: str
    template: str
    context: dict[str, Any]
    budgeted: bool = False  # counts against the recipient's budget; overflow goes into a digest


@dataclass
class Outcome:
    notices: list[Notice] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # codes the directory has no entry for

    def add(self, directory: dict[str, Recipient], code: str | None, template: str, context: dict, *,
            budgeted: bool = False) -> None:
        if code is None:
            return
        if code in directory:
            self.notices.append(Notice(code, template, context, budgeted))
        elif code not in self.unknown:
            self.unknown.append(code)


def _proposal(p) -> dict[str, Any]:
    return {"site_id": p.site_id, "site_name": p.site_name, "rank": p.rank, "score": p.score,
            "own_region": p.own_region, "region": p.region.value, "municipality_code": p.municipality_code}


def for_proposal(data: MatchProposedData, directory: dict[str, Recipient], *, threshold: float,
                 provinces: bool = True) -> Outcome:
    """Municipality (and province) of each relevant proposed site; no proposition at all -> the coordinator."""
    out = Outcome()
    if data.no_proposition or not data.proposals:
        for coordinator in of_kind(directory, "coordinator"):
            out.add(directory, coordinator.code, "no_proposition",
                    {"origin_region": data.origin_region.value, "blocking": data.blocking,
                     "blocking_details": data.blocking_details})
        return out
    groups: dict[str, list] = {}
    for p in data.proposals:
        if p.score < threshold:
            continue
        groups.setdefault(p.municipality_code, []).append(_proposal(p))
        if provinces and (pv := _province_of(p.province, p.municipality_code, directory)):
            groups.setdefault(pv, []).append(_proposal(p))
    for code, props in sorted(groups.items()):
        out.add(directory, code, "match_proposed", {"proposals": props}, budgeted=True)
    return out


def only_new_sites(notices: list[Notice], known: dict[str, set[str]]) -> list[Notice]:
    """Keep, per notice, only the proposals of sites the recipient was not told about before."""
    out = []
    for n in notices:
        fresh = [p for p in n.context.get("proposals", ()) if p["site_id"] not in known.get(n.recipient, set())]
        if fresh:
            out.append(Notice(n.recipient, n.template, n.context | {"proposals": fresh}, n.budgeted))
    return out


def for_relocation(data: RelocationRealisedData, directory: dict[str, Recipient]) -> Outcome:
    """Origin and destination municipalities and provinces, each told which side of the move it is on."""
    roles: dict[str, set[str]] = {}
    for role, loc in (("origin", data.origin), ("destination", data.destination)):
        for code in (loc.municipality_code, _province_of(loc.province, loc.municipality_code, directory)):
            if code:
                roles.setdefault(code, set()).add(role)
    out = Outcome()
    context = {"origin": _place(data.origin), "destination": _place(data.destination),
               "jobs": data.jobs, "new_scale_up": data.new_scale_up}
    for code, sides in sorted(roles.items()):
        out.add(directory, code, "relocation_realised", context | {"roles": sorted(sides)})
    return out


def for_housing(housing: dict[str, Any] | None, origin_province: str | None,
                directory: dict[str, Recipient]) -> Outcome:
    """Housing/accessibility pressure: the case's province and the ministry's MIRT contacts."""
    out = Outcome()
    if housing is None:
        return out
    context = {"transport_needs": list(housing.get("transport_needs", ()))}
    out.add(directory, province_code(origin_province), "housing_signal", context)
    for mirt in of_kind(directory, "mirt"):
        out.add(directory, mirt.code, "housing_signal", context)
    return out


def _province_of(name: str, municipality: str, directory: dict[str, Recipient]) -> str | None:
    """The province by its name in the event, or else the one the directory gives the municipality."""
    entry = directory.get(municipality)
    return province_code(name) or (entry.province if entry else None)


def _place(loc: Location) -> dict[str, str]:
    return {"municipality_code": loc.municipality_code, "province": loc.province, "region": loc.region.value}
