"""Words for the coordinator: why a site fits, what data is missing, what would make a near miss qualify."""

from __future__ import annotations

import functools
import math
from datetime import date, timedelta

import numpy as np

from services.matching.domain.catalogue import NEVER, Catalogue, day
from services.matching.domain.constraints import (
    AVAILABILITY,
    CLEANROOM,
    ENVIRONMENT,
    FLOOR,
    GRID,
    LABELS,
    NO_SITES,
    VIBRATION,
    Checks,
)
from services.matching.domain.criteria import GRADUATES_PER_HIRE, Case
from services.matching.domain.sites import ACCESS, CONGESTION, DOMAINS, ENV_CATEGORIES
from shared.contracts.events import Explanation, Shortfall

EPOCH = date(1970, 1, 1)
# Above these a site's soft offer is named as a need it does not meet (the score already weighs it).
HOUSING_PRESSURE_HIGH = 0.5  # 0 relaxed .. 1 severe: above the middle, housing staff is hard
TIGHT_LABOUR_MARKET = 1.0  # more vacancies than job seekers


@functools.lru_cache(maxsize=4096)
def _date_of(days: int) -> date:
    return EPOCH + timedelta(days=days)


def _facts(model: type[Explanation | Shortfall], **facts) -> Explanation | Shortfall:
    """`model(**facts)`, remembered: validating the many facts of the proposals and near misses was a good part
    of matching's CPU, and they repeat (a site's knowledge, talent and housing facts are the same for every case,
    a demand's for every site that meets it). The models are frozen, so one instance serves them all."""
    if (graduates := facts.get(_DICT)) is not None:
        facts[_DICT] = tuple(graduates.items())
    return _facts_of(model, tuple(facts.items()))  # the key as it comes: a comprehension over it cost more


_DICT = "graduates"  # the facts' one dict field: passed (and remembered) as a tuple of its items


@functools.lru_cache(maxsize=8192)
def _facts_of(model: type[Explanation | Shortfall], facts: tuple) -> Explanation | Shortfall:
    fields = dict(facts)
    if _DICT in fields:
        fields[_DICT] = dict(fields[_DICT])
    return model(**fields)


def as_date(days: int) -> date:
    """The date of a day number (remembered: near misses name the same few dates again and again)."""
    return _date_of(int(days))


def month(d: date) -> str:
    return d.strftime("%Y-%m")


def _known(x) -> bool:
    return not math.isnan(x)


def _f32(x) -> float:
    """x rounded to float32, as a float. The columns are float32 and numpy compares (and adds) a Python number
    with them in float32; the batch path reads the same values as Python floats (match_many), so where a
    catalogue number meets a demand's, both are taken to float32 here and the words come out the same."""
    return float(np.float32(x))


def explanations(case: Case, cat: Catalogue, i: int) -> list[str]:
    """One line per applicable criterion, in the coordinator's terms."""
    c, d, out = cat.cols, case.demand, []
    if d.floor_space:
        fs = d.floor_space
        out.append(f"floor space: {_floor_at(c, i, fs.needed_by):,.0f} m² by {fs.needed_by} for "
                   f"{fs.floor_space_m2:,.0f} m² needed" + (f"; largest lot {c['lot'][i]:,.0f} m²"
                                                           if _known(c["lot"][i]) else "")
                   + ("; vibration-free floors" if fs.vibration_free and c["vibration"][i] == 1 else ""))
        if fs.cleanroom_iso_class:
            facility = {0: "", 1: ", shared facility", 2: ", own facility"}[int(c["facility"][i])]
            out.append(f"cleanroom: ISO {int(c['iso'][i])}{facility} for ISO {fs.cleanroom_iso_class} needed")
    if d.energy:
        out.append(f"grid: {_mw_at(c, i, d.energy.needed_by):g} MW by {d.energy.needed_by} for "
                   f"{d.energy.grid_connection_mw:g} MW needed" + _congestion(c, i))
    if d.capital:
        offers = ("no cleanroom facility", "a shared facility", "an own facility")[int(c["facility"][i])]
        out.append(f"capital: {d.capital.facility} facility wanted; site offers {offers}, "
                   f"{int(c['fieldlabs'][i])} fieldlab(s)")
    if d.talent:
        grads = ", ".join(f"{int(c[f'grads_{lvl}'][i]):,} {lvl}" for lvl in ("mbo", "hbo", "wo")
                          if _known(c[f"grads_{lvl}"][i]))
        out.append(f"talent: yearly graduates {grads or 'unknown'}" + (
            f"; labour-market tightness {c['tightness'][i]:.2f}" if _known(c["tightness"][i]) else ""))
    if d.housing:
        access = [a for k, a in enumerate(ACCESS) if int(c["access"][i]) >> k & 1]
        out.append("housing: pressure " + (f"{c['housing'][i]:.2f}" if _known(c["housing"][i]) else "unknown")
                   + f"; access {', '.join(access) or 'none recorded'}")
    shared = _shared_domains(case, c, i)
    out.append(f"cluster: {', '.join(shared) or 'no companies in its domains yet'}")
    if _known(c["knowledge_km"][i]):
        out.append(f"knowledge institution at {c['knowledge_km'][i]:.0f} km, {int(c['fieldlabs'][i])} fieldlab(s)")
    return out + [f"not met: {text}" for text in unmet(case, cat, i)]


def _known_or_none(x: float) -> float | None:
    """Unknown as None, not NaN: a site with unknown grid capacity is proposed provisionally, and NaN is no JSON
    (PostgreSQL refused the match, and the case was dead-lettered; the event already said null)."""
    return None if math.isnan(x) else x


def _shared_domains(case: Case, c, i: int) -> tuple[str, ...]:
    """The case's technology domains that have a cluster at the site, in DOMAINS order."""
    return _domains_in(int(c["clusters"][i]) & _wanted_mask(case.domains))


@functools.lru_cache(maxsize=1024)
def _wanted_mask(domains: tuple) -> int:
    """The domains as a bit mask over DOMAINS (each case's proposals ask again; its domains are a few)."""
    values = {getattr(x, "value", x) for x in domains}
    return sum(1 << k for k, dom in enumerate(DOMAINS) if dom in values)


@functools.lru_cache(maxsize=4096)
def _domains_in(mask: int) -> tuple[str, ...]:
    """The domains of a bit mask over DOMAINS, in DOMAINS order."""
    return tuple(dom for k, dom in enumerate(DOMAINS) if mask >> k & 1)


def _value(x) -> float | None:
    """A catalogue number as a fact: float32 noise rounded off (1.4, not 1.399999976), unknown as None."""
    return round(float(x), 4) if _known(x) else None


def explanation_facts(case: Case, cat: Catalogue, i: int) -> list[Explanation]:
    """The same as `explanations`, as facts, line for line (clients word them in their reader's language)."""
    c, d, out = cat.cols, case.demand, []
    if d.floor_space:
        fs = d.floor_space
        out.append(_facts(Explanation, criterion=FLOOR, needed=fs.floor_space_m2,
                          offered=_known_or_none(_floor_at(c, i, fs.needed_by)), needed_by=fs.needed_by,
                          largest_lot_m2=_value(c["lot"][i]),
                          vibration_free=True if fs.vibration_free and c["vibration"][i] == 1 else None))
        if fs.cleanroom_iso_class:
            out.append(_facts(Explanation, criterion=CLEANROOM, required=str(fs.cleanroom_iso_class),
                              present=str(int(c["iso"][i])),
                              facility=("none", "shared", "own")[int(c["facility"][i])]))
    if d.energy:
        code = c["congestion"][i]
        out.append(_facts(Explanation, criterion=GRID, needed=d.energy.grid_connection_mw,
                          offered=_known_or_none(_mw_at(c, i, d.energy.needed_by)),
                          needed_by=d.energy.needed_by,
                          congestion=CONGESTION[int(code)] if _known(code) else None))
    if d.capital:
        out.append(_facts(Explanation, criterion="capital", required=d.capital.facility,
                          present=("none", "shared", "own")[int(c["facility"][i])],
                          fieldlabs=int(c["fieldlabs"][i])))
    if d.talent:
        out.append(_facts(Explanation, criterion="talent", tightness=_value(c["tightness"][i]), graduates={
            lvl: int(c[f"grads_{lvl}"][i]) for lvl in ("mbo", "hbo", "wo") if _known(c[f"grads_{lvl}"][i])}))
    if d.housing:
        out.append(_facts(Explanation, criterion="housing", housing_pressure=_value(c["housing"][i]),
                          access=tuple(a for k, a in enumerate(ACCESS) if int(c["access"][i]) >> k & 1)))
    out.append(_facts(Explanation, criterion="cluster", domains=_shared_domains(case, c, i)))
    if _known(c["knowledge_km"][i]):
        out.append(_facts(Explanation, criterion="knowledge", distance_km=_value(c["knowledge_km"][i]),
                          fieldlabs=int(c["fieldlabs"][i])))
    return out + unmet_facts(case, cat, i)


def unmet_facts(case: Case, cat: Catalogue, i: int) -> list[Explanation]:
    """The same as `unmet`, as facts, line for line."""
    c, d, out = cat.cols, case.demand, []
    if d.floor_space and _unmet_space(d.floor_space, c, i):
        out.append(_facts(Explanation, criterion=FLOOR, unmet="largest_lot", needed=d.floor_space.floor_space_m2,
                          offered=float(c["lot"][i])))
    if d.capital and _unmet_capital(d.capital, c, i):
        out.append(_facts(Explanation, criterion="capital", unmet="facility", required=d.capital.facility,
                          present=("none", "shared", "own")[int(c["facility"][i])]))
    if d.talent:
        for level, fte in (("mbo", d.talent.fte_mbo), ("hbo", d.talent.fte_hbo), ("wo", d.talent.fte_wo)):
            grads = c[f"grads_{level}"][i]
            if fte and _known(grads) and grads < _f32(fte * GRADUATES_PER_HIRE):
                out.append(_facts(Explanation, criterion="talent", unmet="graduates", level=level, hires=fte,
                                  needed=fte * GRADUATES_PER_HIRE, offered=int(grads)))
        tight = c["tightness"][i]
        if d.talent.total_fte and _known(tight) and tight > TIGHT_LABOUR_MARKET:
            out.append(_facts(Explanation, criterion="talent", unmet="labour_market", tightness=_value(tight)))
    if d.housing:
        have = {a for k, a in enumerate(ACCESS) if int(c["access"][i]) >> k & 1}
        lacking = tuple(need for need in d.housing.transport_needs if need not in have)
        if lacking:
            out.append(_facts(Explanation, criterion="housing", unmet="access", access=lacking))
        pressure = c["housing"][i]
        if d.housing.staff_to_house and _known(pressure) and pressure > HOUSING_PRESSURE_HIGH:
            out.append(_facts(Explanation, criterion="housing", unmet="housing", staff=d.housing.staff_to_house,
                              housing_pressure=_value(pressure)))
    return out


def unmet(case: Case, cat: Catalogue, i: int) -> list[str]:
    """The soft needs of the case this qualifying site does not meet (known data only; unknowns are flagged
    by `missing`). Hard constraints never appear here: a site failing one is not proposed."""
    d = case.demand
    return [*(_unmet_space(d.floor_space, cat.cols, i) if d.floor_space else ()),
            *(_unmet_capital(d.capital, cat.cols, i) if d.capital else ()),
            *(_unmet_talent(d.talent, cat.cols, i) if d.talent else ()),
            *(_unmet_housing(d.housing, cat.cols, i) if d.housing else ())]


def _unmet_space(fs, c, i: int) -> list[str]:
    lot = c["lot"][i]
    if _known(lot) and lot < _f32(fs.floor_space_m2):
        return [f"the largest contiguous lot is {lot:,.0f} m², smaller than the {fs.floor_space_m2:,.0f} m² "
                "needed in one piece"]
    return []


def _unmet_capital(capital, c, i: int) -> list[str]:
    offered = ("none", "shared", "own")[int(c["facility"][i])]
    if offered == capital.facility:
        return []
    has = {"none": "no cleanroom facility", "shared": "only a shared facility", "own": "only own facilities"}
    wanted = {"shared": "a shared facility", "own": "an own facility"}[capital.facility]
    return [f"{wanted} is wanted; the site offers {has[offered]}"]


def _unmet_talent(talent, c, i: int) -> list[str]:
    out = []
    for level, fte in (("mbo", talent.fte_mbo), ("hbo", talent.fte_hbo), ("wo", talent.fte_wo)):
        grads = c[f"grads_{level}"][i]
        if fte and _known(grads) and grads < _f32(fte * GRADUATES_PER_HIRE):
            out.append(f"{fte:,} {level} hires need about {fte * GRADUATES_PER_HIRE:,} yearly {level} graduates "
                       f"nearby; the site has {int(grads):,}")
    tight = c["tightness"][i]
    if talent.total_fte and _known(tight) and tight > TIGHT_LABOUR_MARKET:
        out.append(f"the labour market is tight ({tight:.2f} vacancies per job seeker)")
    return out


def _unmet_housing(housing, c, i: int) -> list[str]:
    out = []
    have = {a for k, a in enumerate(ACCESS) if int(c["access"][i]) >> k & 1}
    lacking = [need for need in housing.transport_needs if need not in have]
    if lacking:
        out.append(f"no {', '.join(lacking)} access, which the company needs")
    pressure = c["housing"][i]
    if housing.staff_to_house and _known(pressure) and pressure > HOUSING_PRESSURE_HIGH:
        out.append(f"housing {housing.staff_to_house:,} staff is hard here (housing pressure {pressure:.2f})")
    return out


MISSING = {"largest_lot": "largest contiguous lot unknown", "vibration_free": "vibration-free floors unknown",
           "cleanroom_size": "cleanroom size unknown",
           "environmental_category": "environmental category allowed unknown",
           "grid_capacity": "grid capacity unknown: verify with the grid operator",
           "graduates": "graduate numbers unknown", "labour_market": "labour-market tightness unknown",
           "housing_pressure": "housing pressure unknown",
           "knowledge_distance": "distance to knowledge institutions unknown"}


def missing(case: Case, cat: Catalogue, i: int) -> list[str]:
    """Data the catalogue lacks for this case: the coordinator should verify it before the meeting."""
    return [MISSING[key] for key in missing_keys(case, cat, i)]


def missing_keys(case: Case, cat: Catalogue, i: int) -> list[str]:
    """The same as keys of `MISSING` (clients word them in their reader's language)."""
    c, d = cat.cols, case.demand
    fs = d.floor_space
    checks = [(fs and not _known(c["lot"][i]), "largest_lot"),
              (fs and fs.vibration_free and not _known(c["vibration"][i]), "vibration_free"),
              (fs and fs.cleanroom_m2 and not _known(c["cleanroom_m2"][i]), "cleanroom_size"),
              (fs and fs.environmental_category and not _known(c["env_max"][i]), "environmental_category"),
              (d.energy and not _known(_mw_at(c, i, d.energy.needed_by)), "grid_capacity"),
              (d.talent and any(fte and not _known(c[f"grads_{lvl}"][i]) for lvl, fte in
                                (("mbo", d.talent.fte_mbo), ("hbo", d.talent.fte_hbo), ("wo", d.talent.fte_wo))),
               "graduates"),
              (d.talent and not _known(c["tightness"][i]), "labour_market"),
              (d.housing and not _known(c["housing"][i]), "housing_pressure"),
              (not _known(c["knowledge_km"][i]), "knowledge_distance")]
    return [key for flagged, key in checks if flagged]


def counterfactuals(case: Case, cat: Catalogue, checks: Checks, i: int) -> tuple[list[str], list[str]]:
    """The failed constraints of a near miss, and what would make it qualify."""
    failed = [name for name, bad in checks.failed.items() if bad[i]]
    return failed, [_what_if(name, case, cat.cols, checks, i) for name in failed]


def shortfalls(case: Case, cat: Catalogue, checks: Checks, i: int) -> list[Shortfall]:
    """The same as `counterfactuals`, as facts (clients word them in their reader's language)."""
    return [_shortfall_facts(name, case, cat.cols, checks, i) for name, bad in checks.failed.items() if bad[i]]


def _shortfall_facts(name: str, case: Case, c, checks: Checks, i: int) -> Shortfall:
    d = case.demand
    if name == FLOOR:
        planned = int(c["planned_from"][i])
        arrives = planned != NEVER and _planned_land_suffices(d, c, checks, i)
        return _facts(Shortfall, constraint=name, needed=d.floor_space.floor_space_m2,
                      offered=float(checks.offered[FLOOR][i]), needed_by=d.floor_space.needed_by,
                      site_from=as_date(planned) if arrives else None)
    if name == GRID:
        when = int(c["reinforce_from"][i])
        comes = when != NEVER and c["mw_after"][i] >= _f32(d.energy.grid_connection_mw)
        return _facts(Shortfall, constraint=name, needed=d.energy.grid_connection_mw,
                      offered=float(checks.offered[GRID][i]), needed_by=d.energy.needed_by,
                      site_from=as_date(when) if comes else None)
    if name == AVAILABILITY:
        return _facts(Shortfall, constraint=name, needed_by=case_need(case), site_from=as_date(c["available_from"][i]))
    if name == CLEANROOM:
        fs = d.floor_space
        has = float(c["cleanroom_m2"][i]) if _known(c["cleanroom_m2"][i]) else None
        return _facts(Shortfall, constraint=name, required=str(fs.cleanroom_iso_class),
                      present=str(int(c["iso"][i])) if _known(c["iso"][i]) else None,
                      needed=fs.cleanroom_m2 if fs.cleanroom_m2 and has is not None and has < fs.cleanroom_m2
                      else None, offered=has)
    if name == ENVIRONMENT:
        return _facts(Shortfall, constraint=name, required=d.floor_space.environmental_category.value,
                      present=ENV_CATEGORIES[int(c["env_max"][i])])
    return _facts(Shortfall, constraint=name)


def _planned_land_suffices(d, c, checks: Checks, i: int) -> bool:
    """Whether the site's planned land, once it arrives, makes up the floor space it lacks."""
    return _f32(checks.offered[FLOOR][i] + c["planned_m2"][i]) >= _f32(d.floor_space.floor_space_m2)


def _what_if(name: str, case: Case, c, checks: Checks, i: int) -> str:
    d = case.demand
    if name == FLOOR:
        gap = d.floor_space.floor_space_m2 - float(checks.offered[FLOOR][i])
        text = f"qualifies with {gap:,.0f} m² more by {month(d.floor_space.needed_by)}"
        planned = int(c["planned_from"][i])
        if planned != NEVER and _planned_land_suffices(d, c, checks, i):
            text += f", or when its planned land arrives ({month(as_date(planned))})"
        return text
    if name == GRID:
        gap = d.energy.grid_connection_mw - float(checks.offered[GRID][i])
        text = f"qualifies with +{gap:g} MW by {month(d.energy.needed_by)}"
        when = int(c["reinforce_from"][i])
        if when != NEVER and c["mw_after"][i] >= _f32(d.energy.grid_connection_mw):
            text += f", or if the grid reinforcement planned for {month(as_date(when))} comes by then"
        return text
    if name == AVAILABILITY:
        return f"qualifies if available by {month(case_need(case))} instead of {month(as_date(c['available_from'][i]))}"
    if name == VIBRATION:
        return "qualifies with vibration-free floors (the site has none)"
    if name == CLEANROOM:
        fs = d.floor_space
        has = f"ISO {int(c['iso'][i])}" if _known(c["iso"][i]) else "no cleanroom"
        text = f"qualifies with an ISO {fs.cleanroom_iso_class} cleanroom (has {has})"
        has_m2 = c["cleanroom_m2"][i]
        if fs.cleanroom_m2 and _known(has_m2) and has_m2 < _f32(fs.cleanroom_m2):
            text += f" of {fs.cleanroom_m2:,.0f} m² ({_f32(_f32(fs.cleanroom_m2) - has_m2):,.0f} m² more)"
        return text
    allowed = ENV_CATEGORIES[int(c["env_max"][i])]
    return (f"qualifies if environmental category {d.floor_space.environmental_category.value} were allowed "
            f"(allows up to {allowed})")


def case_need(case: Case) -> date:
    d = case.demand
    return d.floor_space.needed_by if d.floor_space else d.earliest_need


def blocking_by_region(case: Case, cat: Catalogue, checks: Checks,
                       regions: list[int]) -> dict[int, tuple[list[str], list[str], list[dict]]]:
    """For each region without a qualifying site: the constraints that blocked it, and per constraint how many
    sites failed it and the largest offer in the region, in words and as facts (clients word those)."""
    region = cat.cols["region"]
    out: dict[int, tuple[list[str], list[str], list[dict]]] = {}
    for r in regions:
        here = region == r
        total = int(here.sum())
        names, lines, facts = [], [], []
        for name, bad in checks.failed.items():
            count = int((bad & here).sum())
            if count:
                names.append(name)
                lines.append(f"{LABELS[name]}: {count} of {total} sites {_shortfall(name, case, checks, here)}")
                facts.append({"constraint": name, "sites_failing": count, "sites": total}
                             | _region_facts(name, case, checks, here))
        out[r] = (names, lines, facts) if total else ([NO_SITES], ["no sites in the catalogue"],
                                                      [{"constraint": NO_SITES, "sites_failing": 0, "sites": 0}])
    return out


def _region_facts(name: str, case: Case, checks: Checks, here: np.ndarray) -> dict:
    """What `_shortfall` says, as JSON facts: needed, best offered there, by when, the class needed."""
    d = case.demand
    if name in (FLOOR, GRID):
        offered = checks.offered[name][here]
        best = float(np.nanmax(offered)) if np.any(~np.isnan(offered)) else None
        need = d.floor_space if name == FLOOR else d.energy
        needed = need.floor_space_m2 if name == FLOOR else need.grid_connection_mw
        return {"needed": needed, "best_offered": best, "needed_by": need.needed_by.isoformat()}
    if name == CLEANROOM:
        return {"required": str(d.floor_space.cleanroom_iso_class), "needed": d.floor_space.cleanroom_m2}
    if name == ENVIRONMENT:
        return {"required": d.floor_space.environmental_category.value}
    if name == AVAILABILITY:
        return {"needed_by": case_need(case).isoformat()}
    return {}


def _shortfall(name: str, case: Case, checks: Checks, here: np.ndarray) -> str:
    d = case.demand
    if name == FLOOR:
        best = np.nanmax(checks.offered[FLOOR][here])
        return (f"lack {d.floor_space.floor_space_m2:,.0f} m² by {d.floor_space.needed_by} "
                f"(largest there {best:,.0f} m²)")
    if name == GRID:
        offered = checks.offered[GRID][here]
        best = np.nanmax(offered) if np.any(~np.isnan(offered)) else float("nan")
        return f"cannot deliver {d.energy.grid_connection_mw:g} MW by {d.energy.needed_by} (most there {best:g} MW)"
    if name == CLEANROOM:
        return f"lack an ISO {d.floor_space.cleanroom_iso_class} cleanroom" + (
            f" of {d.floor_space.cleanroom_m2:,.0f} m²" if d.floor_space.cleanroom_m2 else "")
    if name == ENVIRONMENT:
        return f"do not allow environmental category {d.floor_space.environmental_category.value}"
    if name == VIBRATION:
        return "have no vibration-free floors"
    return f"are not available by {case_need(case)}"


def _floor_at(c, i: int, need: date) -> float:
    now = c["floor_now"][i]
    return _f32(now + c["planned_m2"][i]) if c["planned_from"][i] <= day(need, 0) else float(now)


def _mw_at(c, i: int, need: date) -> float:
    now = float(c["mw_now"][i])
    if c["reinforce_from"][i] <= day(need, 0):
        after = float(c["mw_after"][i])
        return now if math.isnan(after) else after if math.isnan(now) else max(after, now)  # np.fmax
    return now


def _congestion(c, i: int) -> str:
    code = c["congestion"][i]
    return f" (congestion: {CONGESTION[int(code)]})" if _known(code) else ""
