"""Pure matching logic: hard constraints first, then a weighted, explained score. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts.events import CaseOpenedData, Proposal


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    region: str
    province: str
    municipality_code: str
    floor_space_m2: float
    grid_mw_available: float
    cleanroom_iso_class: int | None
    clusters: frozenset[str]


@dataclass(frozen=True)
class Weights:
    space: float = 0.3
    energy: float = 0.3
    cluster: float = 0.25
    own_region: float = 0.15


def blocking_constraints(case: CaseOpenedData, site: Site) -> list[str]:
    """The hard constraints this site fails for this case (empty when it qualifies)."""
    space, energy, failed = case.demand.floor_space, case.demand.energy, []
    if space and site.floor_space_m2 < space.floor_space_m2:
        failed.append(f"floor space: {site.floor_space_m2:,.0f} m² < {space.floor_space_m2:,.0f} m²")
    if energy and site.grid_mw_available < energy.grid_connection_mw:
        failed.append(f"grid: {site.grid_mw_available:g} MW < {energy.grid_connection_mw:g} MW")
    iso = space.cleanroom_iso_class if space else None
    if iso and (site.cleanroom_iso_class is None or site.cleanroom_iso_class > iso):
        failed.append(f"cleanroom: ISO {site.cleanroom_iso_class or 'none'} vs ISO {iso} needed")
    return failed


def _headroom(available: float, needed: float | None) -> float:
    """1.0 when nothing is needed; otherwise how comfortably the site covers the need, capped at 1."""
    if not needed:
        return 1.0
    return min(1.0, (available - needed) / needed + 0.5)


def contributions(case: CaseOpenedData, site: Site, w: Weights) -> dict[str, float]:
    domains = {d.value for d in case.technology_domains}
    space, energy = case.demand.floor_space, case.demand.energy
    return {
        "space": round(w.space * _headroom(site.floor_space_m2, space and space.floor_space_m2), 4),
        "energy": round(w.energy * _headroom(site.grid_mw_available, energy and energy.grid_connection_mw), 4),
        "cluster": round(w.cluster * len(domains & site.clusters) / len(domains), 4),
        "own_region": round(w.own_region * (site.region == case.origin.region.value), 4),
    }


def propose(case: CaseOpenedData, sites: list[Site], w: Weights, top_n: int) -> tuple[list[Proposal], dict]:
    """Ranked proposals among qualifying sites, and per region the constraints that blocked the others."""
    scored, blocking = [], {}
    for site in sites:
        failed = blocking_constraints(case, site)
        if failed:
            blocking.setdefault(site.region, []).extend(f"{site.id}: {f}" for f in failed)
            continue
        parts = contributions(case, site, w)
        scored.append((round(sum(parts.values()), 4), site, parts))
    scored.sort(key=lambda s: (-s[0], s[1].id))
    proposals = [Proposal(rank=i + 1, site_id=s.id, site_name=s.name, region=s.region, province=s.province,
                          municipality_code=s.municipality_code, own_region=s.region == case.origin.region.value,
                          score=score, contributions=parts)
                 for i, (score, s, parts) in enumerate(scored[:top_n])]
    return proposals, blocking
