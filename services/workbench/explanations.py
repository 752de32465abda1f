"""matching's explanations in the reader's language, worded from their facts (a proposal's `explanation_facts`,
near misses' `shortfalls`, regions' `blocking_facts`), never from matching's English sentences (kept in its API
for other clients). Numbers, months and days as the reader writes them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Protocol

from babel.dates import format_date
from babel.numbers import format_decimal

from services.workbench.labels import LABELS, N_, Nn_
from services.workbench.problems import number

WHAT_IF = {
    "floor_space": N_("qualifies with {gap} m² more by {needed_by}"),
    "floor_space-planned": N_("qualifies with {gap} m² more by {needed_by}, or when its planned land arrives "
                              "({site_from})"),
    "grid_capacity": N_("qualifies with +{gap} MW by {needed_by}"),
    "grid_capacity-planned": N_("qualifies with +{gap} MW by {needed_by}, or if the grid reinforcement planned for "
                                "{site_from} comes by then"),
    "availability": N_("qualifies if available by {needed_by} instead of {site_from}"),
    "vibration_free": N_("qualifies with vibration-free floors (the site has none)"),
    "cleanroom": N_("qualifies with an ISO {required} cleanroom (has ISO {present})"),
    "cleanroom-none": N_("qualifies with an ISO {required} cleanroom (has no cleanroom)"),
    "cleanroom-size": N_("qualifies with an ISO {required} cleanroom of {needed} m² ({gap} m² more)"),
    "environmental_category": N_("qualifies if environmental category {required} were allowed (allows up to "
                                 "{present})"),
}


def month(value: str | date | None, lang: str) -> str:
    """A month as the reader writes it (Dutch: 'jun 2027')."""
    if value is None:
        return "–"
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "MMM y", locale=lang)


def counterfactuals(miss: Mapping[str, Any], gettext: Callable[[str], str], lang: str) -> list[str]:
    """What would make this near miss qualify, one line per failed constraint. A match stored before matching
    gave facts: the failed constraints' names only (matching's English sentences are not shown)."""
    facts = miss.get("shortfalls") or ()
    if not facts:
        return [gettext(LABELS[f"blocker-{name}"]) if f"blocker-{name}" in LABELS else name
                for name in miss.get("failed") or ()]
    return [what_if(fact, gettext, lang) for fact in facts]


def what_if(fact: Mapping[str, Any], gettext: Callable[[str], str], lang: str) -> str:
    kind = str(fact.get("constraint"))
    needed, offered = fact.get("needed"), fact.get("offered")
    if kind == "cleanroom":
        kind = ("cleanroom-size" if needed is not None and offered is not None
                else "cleanroom" if fact.get("present") else "cleanroom-none")
    elif kind in ("floor_space", "grid_capacity") and fact.get("site_from"):
        kind += "-planned"
    if kind not in WHAT_IF:
        return gettext(LABELS.get(f"blocker-{kind}", kind))
    gap = needed - offered if needed is not None and offered is not None else None
    gap_text = "" if gap is None else (number(round(gap), lang) if kind.startswith(("floor", "cleanroom"))
                                       else number(round(gap, 3), lang))
    return gettext(WHAT_IF[kind]).format(
        gap=gap_text, needed=number(needed, lang) if needed is not None else "",
        needed_by=month(fact.get("needed_by"), lang), site_from=month(fact.get("site_from"), lang),
        required=fact.get("required") or "", present=fact.get("present") or "")


# What blocked a region, per constraint (matching's `blocking_facts`): one or more failing sites (ngettext).
IN_REGION = {
    "floor_space": Nn_("{failing} of {sites} sites lacks {needed} m² by {needed_by} (largest there {best} m²)",
                      "{failing} of {sites} sites lack {needed} m² by {needed_by} (largest there {best} m²)"),
    "grid_capacity": Nn_("{failing} of {sites} sites cannot deliver {needed} MW by {needed_by} (most there {best} MW)",
                        "{failing} of {sites} sites cannot deliver {needed} MW by {needed_by} (most there {best} MW)"),
    "grid_capacity-unknown": Nn_("{failing} of {sites} sites cannot deliver {needed} MW by {needed_by}",
                                "{failing} of {sites} sites cannot deliver {needed} MW by {needed_by}"),
    "cleanroom": Nn_("{failing} of {sites} sites lacks an ISO {required} cleanroom",
                    "{failing} of {sites} sites lack an ISO {required} cleanroom"),
    "cleanroom-size": Nn_("{failing} of {sites} sites lacks an ISO {required} cleanroom of {needed} m²",
                         "{failing} of {sites} sites lack an ISO {required} cleanroom of {needed} m²"),
    "environmental_category": Nn_("{failing} of {sites} sites does not allow environmental category {required}",
                                 "{failing} of {sites} sites do not allow environmental category {required}"),
    "vibration_free": Nn_("{failing} of {sites} sites has no vibration-free floors",
                         "{failing} of {sites} sites have no vibration-free floors"),
    "availability": Nn_("{failing} of {sites} sites is not available by {needed_by}",
                       "{failing} of {sites} sites are not available by {needed_by}"),
    "no_sites": Nn_("no sites in the catalogue", "no sites in the catalogue"),
}


def day(value: str | date | None, lang: str) -> str:
    """A date as the reader writes it (Dutch: '1 jun 2027')."""
    if value is None:
        return "–"
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value, "d MMM y", locale=lang)


def in_region(fact: Mapping[str, Any], catalogue: Catalogue, lang: str) -> str:
    """One constraint that blocked a region, in the reader's language (one failing site or more)."""
    gettext = catalogue.gettext
    kind = str(fact.get("constraint"))
    needed, best = fact.get("needed"), fact.get("best_offered")
    if kind == "cleanroom" and needed:
        kind = "cleanroom-size"
    elif kind in ("floor_space", "grid_capacity") and best is None:
        kind = "grid_capacity-unknown" if kind == "grid_capacity" else kind
    if kind not in IN_REGION:
        return gettext(LABELS.get(f"blocker-{kind}", kind))
    return catalogue.ngettext(*IN_REGION[kind], int(fact.get("sites_failing", 0))).format(
        failing=number(fact.get("sites_failing", 0), lang), sites=number(fact.get("sites", 0), lang),
        needed=number(needed, lang) if needed is not None else "", best=number(best, lang) if best is not None else "–",
        needed_by=day(fact.get("needed_by"), lang), required=fact.get("required") or "")


# Why a proposed site fits, per criterion (matching's `explanation_facts`), and the soft needs it does not meet.
FITS = {
    "floor_space": N_("Floor space: {offered} m² by {needed_by}, {needed} m² needed"),
    "cleanroom": N_("Cleanroom: ISO {present}, ISO {required} needed"),
    "grid_capacity": N_("Grid: {offered} MW by {needed_by}, {needed} MW needed"),
    "capital": N_("Capital: {wanted} wanted; the site offers {offers}"),
    "talent": N_("Talent: yearly graduates nearby {graduates}"),
    "talent-unknown": N_("Talent: yearly graduates nearby unknown"),
    "housing": N_("Housing: housing pressure {pressure}; accessibility {access}"),
    "cluster": N_("Cluster: companies in {domains}"),
    "cluster-none": N_("Cluster: no companies in its domains yet"),
    "knowledge": N_("Knowledge institution at {km} km"),
}
UNMET = {
    "largest_lot": N_("Not met: the largest contiguous lot is {offered} m², smaller than the {needed} m² needed in "
                      "one piece"),
    "facility": N_("Not met: {wanted} is wanted; the site offers {has}"),
    "graduates": N_("Not met: {hires} {level} hires need about {needed} yearly {level} graduates nearby; the site "
                    "has {offered}"),
    "labour_market": N_("Not met: the labour market is tight ({tightness} vacancies per job seeker)"),
    "access": N_("Not met: no {access} access, which the company needs"),
    "housing": N_("Not met: housing {staff} staff is hard here (housing pressure {pressure})"),
}
PARTS = {
    "largest_lot": N_("largest lot {lot} m²"), "vibration_free": N_("vibration-free floors"),
    "tightness": N_("labour-market tightness {tightness}"), "unknown": N_("unknown"),
    "no-access": N_("none recorded"),
    "facility-shared": N_("shared facility"), "facility-own": N_("own facility"),
    "congestion-none": N_("no grid congestion"), "congestion-pre-congestion": N_("pre-congestion on the grid"),
    "congestion-congested": N_("the grid is congested"),
}
FACILITY_WANTED = {"shared": N_("a shared facility"), "own": N_("an own facility")}
FACILITY_OFFERED = {"none": N_("no cleanroom facility"), "shared": N_("a shared facility"),
                    "own": N_("an own facility")}
FACILITY_HAS = {"none": N_("no cleanroom facility"), "shared": N_("only a shared facility"),
                "own": N_("only own facilities")}
ACCESS = {"rail": N_("rail"), "motorway": N_("motorway"), "port": N_("port"), "airport": N_("airport"),
          "public-transport": N_("public transport")}


class Catalogue(Protocol):
    def gettext(self, message: str) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


def why_it_fits(proposal: Mapping[str, Any], catalogue: Catalogue, lang: str) -> list[str]:
    """A proposal's explanation lines in the reader's language, from matching's facts. A proposal stored before
    matching gave facts has none here: its English sentences are not shown (the contributions table stays)."""
    return [line for fact in proposal.get("explanation_facts") or () if (line := explain(fact, catalogue, lang))]


def explain(fact: Mapping[str, Any], catalogue: Catalogue, lang: str) -> str:
    """One line: why the site fits this criterion, or which soft need it does not meet."""
    _ = catalogue.gettext
    kind, unmet = str(fact.get("criterion")), fact.get("unmet")
    if unmet:
        return _unmet(str(unmet), fact, catalogue, lang)
    if kind == "floor_space":
        parts = [_(FITS[kind]).format(offered=_m2(fact.get("offered"), lang), needed=_m2(fact.get("needed"), lang),
                                      needed_by=day(fact.get("needed_by"), lang))]
        if fact.get("largest_lot_m2") is not None:
            parts.append(_(PARTS["largest_lot"]).format(lot=_m2(fact["largest_lot_m2"], lang)))
        if fact.get("vibration_free"):
            parts.append(_(PARTS["vibration_free"]))
        return "; ".join(parts)
    if kind == "cleanroom":
        line = _(FITS[kind]).format(present=fact.get("present") or "–", required=fact.get("required") or "–")
        facility = PARTS.get(f"facility-{fact.get('facility')}")
        return f"{line}; {_(facility)}" if facility else line
    if kind == "grid_capacity":
        line = _(FITS[kind]).format(offered=_mw(fact.get("offered"), lang), needed=_mw(fact.get("needed"), lang),
                                    needed_by=day(fact.get("needed_by"), lang))
        congestion = PARTS.get(f"congestion-{fact.get('congestion')}")
        return f"{line}; {_(congestion)}" if congestion else line
    if kind == "capital":
        line = _(FITS[kind]).format(wanted=_(FACILITY_WANTED.get(str(fact.get("required")), UNKNOWN)),
                                    offers=_(FACILITY_OFFERED.get(str(fact.get("present")), UNKNOWN)))
        return f"{line}; {_fieldlabs(fact, catalogue, lang)}"
    if kind == "talent":
        grads = fact.get("graduates") or {}
        line = (_(FITS[kind]).format(graduates=", ".join(f"{number(n, lang)} {level}" for level, n in grads.items()))
                if grads else _(FITS["talent-unknown"]))
        if fact.get("tightness") is not None:
            line += "; " + _(PARTS["tightness"]).format(tightness=_share(fact["tightness"], lang))
        return line
    if kind == "housing":
        pressure = fact.get("housing_pressure")
        return _(FITS[kind]).format(pressure=_share(pressure, lang) if pressure is not None else _(PARTS["unknown"]),
                                    access=_access(fact.get("access"), catalogue) or _(PARTS["no-access"]))
    if kind == "cluster":
        domains = [_(LABELS[d]) if d in LABELS else d for d in fact.get("domains") or ()]
        return _(FITS[kind]).format(domains=", ".join(domains)) if domains else _(FITS["cluster-none"])
    if kind == "knowledge":
        km = fact.get("distance_km")
        line = _(FITS[kind]).format(km=number(round(km), lang) if km is not None else "–")
        return f"{line}; {_fieldlabs(fact, catalogue, lang)}"
    return _(LABELS[kind]) if kind in LABELS else ""


UNKNOWN = PARTS["unknown"]


def _unmet(kind: str, fact: Mapping[str, Any], catalogue: Catalogue, lang: str) -> str:
    _ = catalogue.gettext
    if kind not in UNMET:
        return ""
    pressure = fact.get("housing_pressure")
    return _(UNMET[kind]).format(
        offered=_m2(fact.get("offered"), lang) if kind == "largest_lot" else number(fact.get("offered") or 0, lang),
        needed=_m2(fact.get("needed"), lang), hires=number(fact.get("hires") or 0, lang), level=fact.get("level", ""),
        wanted=_(FACILITY_WANTED.get(str(fact.get("required")), UNKNOWN)),
        has=_(FACILITY_HAS.get(str(fact.get("present")), UNKNOWN)),
        tightness=_share(fact.get("tightness") or 0, lang), access=_access(fact.get("access"), catalogue),
        staff=number(fact.get("staff") or 0, lang), pressure=_share(pressure, lang) if pressure is not None else "–")


def _fieldlabs(fact: Mapping[str, Any], catalogue: Catalogue, lang: str) -> str:
    count = int(fact.get("fieldlabs") or 0)
    return catalogue.ngettext("{count} fieldlab", "{count} fieldlabs", count).format(count=number(count, lang))


def _access(access: Any, catalogue: Catalogue) -> str:
    return ", ".join(catalogue.gettext(ACCESS[a]) if a in ACCESS else str(a) for a in access or ())


def _m2(value: float | None, lang: str) -> str:
    return number(round(value), lang) if value is not None else "–"


def _mw(value: float | None, lang: str) -> str:
    return number(round(value, 3), lang) if value is not None else "–"


def _share(value: float, lang: str) -> str:
    """A ratio with two decimals as the reader writes it (Dutch: 1,40)."""
    return decimal(value, 2, lang)


def decimal(value: float, places: int, lang: str) -> str:
    """A number with a fixed count of decimals as the reader writes it (a score: Dutch 0,83, English 0.83)."""
    return format_decimal(value, format="0." + "0" * places if places else "0", locale=lang)
