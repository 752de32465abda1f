"""Words for the keys in the figures (indicators, regions, domains...), marked for the gettext catalogues.

N_ only marks a message for extraction; `label()` translates it when a page is rendered.
"""

from __future__ import annotations

from collections.abc import Callable

from services.reporting.disclosure.releases import OTHER
from services.reporting.domain.figures import HOTSPOT_NAMES


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "extract, translate later"
    return message


INDICATORS = {
    "leads_in_portfolio": N_("Leads in portfolio (ever)"),
    "cases_in_execution": N_("Case-based approaches put into execution"),
    "realised_other_region": N_("Leads realised in another region"),
    "new_scale_ups": N_("of which new scale-ups"),
    "investment_retained_eur": N_("Investment retained for NL, all leads together"),
    "investment_retained_estimated_eur": N_("of which estimated"),
    "investment_retained_verified_eur": N_("of which verified"),
    "realised_own_region": N_("Relocations within the own region (context)"),
    "cases_open": N_("Cases still open (context)"),
}
KEYS = {
    "noord": N_("Noord"), "oost": N_("Oost"), "zuid": N_("Zuid"), "west": N_("West"), "midden": N_("Midden"),
    "optical-systems-integrated-photonics": N_("Optical systems and integrated photonics"),
    "quantum-technologies": N_("Quantum technologies"), "process-technology": N_("Process technology"),
    "biomolecular-cell-technologies": N_("Biomolecular and cell technologies"),
    "imaging-technologies": N_("Imaging technologies"),
    "mechatronics-optomechatronics": N_("Mechatronics and optomechatronics"),
    "artificial-intelligence-data-science": N_("Artificial intelligence and data science"),
    "energy-materials": N_("Energy materials"), "semiconductor-technologies": N_("Semiconductor technologies"),
    "cybersecurity-technologies": N_("Cybersecurity technologies"),
    "strategic-pharmaceuticals": N_("Strategic pharmaceuticals"), "strategic-defence": N_("Strategic defence"),
    "floor_space": N_("floor space"), "capital": N_("capital-intensive facilities"), "talent": N_("talent"),
    "housing": N_("housing and accessibility"), "energy": N_("energy (grid connection)"),
    "startup": N_("startup"), "scale-up": N_("scale-up"), "grown-up": N_("grown-up"),
    "relocated": N_("relocated"), "stayed": N_("stayed"), "left-country": N_("left the country"),
    "withdrew": N_("withdrew"),
    "grid_capacity": N_("grid capacity"), "cleanroom": N_("cleanroom"), "availability": N_("availability"),
    "environmental_category": N_("environmental category"), "no_sites": N_("no sites"),
    "accepted": N_("accepted"), "declined": N_("declined"),
    "signal_to_case": N_("signal to case"), "case_to_proposal": N_("case to first proposal"),
    "proposal_to_realisation": N_("first proposal to realisation"),
    "signal_to_realisation": N_("signal to realisation"),
    "cases_now": N_("now (latest match)"), "cases_ever": N_("ever since the start"),
    "floor_space_m2": N_("floor space (m²)"), "cleanroom_m2": N_("cleanroom (m²)"), "grid_mw": N_("grid capacity (MW)"),
    "nom": "NOM", "oost-nl": "Oost NL", "bom": "BOM", "innovationquarter": "InnovationQuarter",
    "horizon-flevoland": "Horizon Flevoland",
}
OTHERS = {"region": N_("other regions"), "domain": N_("other domains"), "demand_type": N_("other demand types"),
          "stage": N_("other stages"), "flow": N_("other flows"), "outcome": N_("other outcomes"),
          "constraint": N_("other bottlenecks"), "rom": N_("other ROMs"), "hotspot": N_("other hotspots"),
          "category": N_("other")}


def label(key: str, gettext: Callable[[str], str], dimension: str = "category") -> str:
    """The words for a key in the reader's language; composite keys ('oost -> zuid', 'oost: grid') part by part."""
    if key == OTHER:
        return gettext(OTHERS.get(dimension, OTHERS["category"]))
    for separator in (" -> ", ": "):
        if separator in key:
            shown = " → " if separator == " -> " else ": "
            return shown.join(label(part, gettext) for part in key.split(separator, 1))
    if key in INDICATORS:
        return gettext(INDICATORS[key])
    if key in HOTSPOT_NAMES:
        return HOTSPOT_NAMES[key]
    return gettext(KEYS[key]) if key in KEYS else key.replace("_", " ")
