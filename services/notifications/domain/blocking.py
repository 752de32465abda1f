"""Why no site fits, per region, in the recipient's language: the sentences the match carries, in Dutch or English.

Matching explains each blocked region in English sentences (`blocking_details`, e.g. "grid: 3 of 4 sites cannot
deliver 90 MW by 2027-06-01 (most there 5 MW)") beside the constraint codes (`blocking`, e.g. `grid_capacity`).
English recipients get those sentences as they are; Dutch recipients get them translated by the patterns below.
A sentence no pattern knows (matching worded a new one) keeps its detail: the constraint's Dutch name with the
English sentence in brackets. Without sentences (an older event) the constraint names are shown, never raw codes.
"""

from __future__ import annotations

import re
from datetime import date

REGIONS = {"noord": "Noord", "oost": "Oost", "zuid": "Zuid", "west": "West", "midden": "Midden"}
CONSTRAINTS = {
    "nl": {"availability": "niet op tijd beschikbaar", "floor_space": "onvoldoende vloeroppervlak",
           "cleanroom": "geen passende cleanroom", "grid_capacity": "onvoldoende netcapaciteit",
           "environmental_category": "milieucategorie niet toegestaan",
           "vibration_free": "geen trillingsvrije vloer", "no_sites": "geen locaties in de catalogus"},
    "en": {"availability": "not available in time", "floor_space": "not enough floor space",
           "cleanroom": "no suitable cleanroom", "grid_capacity": "not enough grid capacity",
           "environmental_category": "environmental category not allowed",
           "vibration_free": "no vibration-free floor", "no_sites": "no sites in the catalogue"},
}
# The words matching puts before the colon of a sentence, in Dutch.
SUBJECTS_NL = {"availability": "beschikbaarheid", "floor space": "vloeroppervlak", "cleanroom": "cleanroom",
               "grid": "netcapaciteit", "environmental category": "milieucategorie",
               "vibration-free floor": "trillingsvrije vloer", "vibration-free floors": "trillingsvrije vloer",
               "vibration": "trillingsvrije vloer"}
MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")

_NUM = r"[\d,]+(?:\.\d+)?|nan"
_DATE = r"\d{4}-\d{2}-\d{2}"
_COUNTED = re.compile(r"^(?P<subject>[^:]+): (?P<count>\d+) of (?P<total>\d+) sites (?P<rest>.+)$")
_SHORTFALLS_NL = (
    (re.compile(rf"^lack (?P<need>{_NUM}) m² by (?P<by>{_DATE}) \(largest there (?P<best>{_NUM}) m²\)$"),
     "hebben geen {need} m² per {by} (de grootste daar: {best} m²)"),
    (re.compile(rf"^cannot deliver (?P<need>{_NUM}) MW by (?P<by>{_DATE}) \(most there (?P<best>{_NUM}) MW\)$"),
     "kunnen geen {need} MW leveren per {by} (het meeste daar: {best} MW)"),
    (re.compile(rf"^lack an ISO (?P<iso>\d) cleanroom of (?P<m2>{_NUM}) m²$"),
     "hebben geen cleanroom ISO {iso} van {m2} m²"),
    (re.compile(r"^lack an ISO (?P<iso>\d) cleanroom$"), "hebben geen cleanroom ISO {iso}"),
    (re.compile(r"^do not allow environmental category (?P<category>\S+)$"),
     "staan milieucategorie {category} niet toe"),
    (re.compile(rf"^are not available by (?P<by>{_DATE})$"), "zijn niet beschikbaar per {by}"),
    (re.compile(r"^(?:lack|have no) vibration-free floors?$"), "hebben geen trillingsvrije vloer"),
)
_WHOLE_NL = {"no sites in the catalogue": "geen locaties in de catalogus"}


def per_region(blocking: dict[str, list[str]], details: dict[str, list[str]] | None,
               lang: str) -> list[tuple[str, list[str]]]:
    """(region name, sentences) per blocked region, in region order; sentences in `lang` (nl or en)."""
    out = []
    for region in sorted(blocking, key=_region_order):
        codes, lines = blocking[region], (details or {}).get(region) or []
        out.append((REGIONS.get(region, region), _sentences(codes, lines, lang)))
    return out


def _region_order(region: str) -> tuple[int, str]:
    order = list(REGIONS)
    return (order.index(region) if region in order else len(order), region)


def _sentences(codes: list[str], lines: list[str], lang: str) -> list[str]:
    if not lines:
        return [constraint_name(code, lang) for code in codes]
    if lang != "nl":
        return list(lines)
    codes = list(codes) + [""] * (len(lines) - len(codes))
    return [dutch(line, code) for line, code in zip(lines, codes, strict=False)]


def constraint_name(code: str, lang: str) -> str:
    """A readable name for a constraint code; an unknown code is at least shown as words."""
    return CONSTRAINTS.get(lang, CONSTRAINTS["nl"]).get(code) or code.replace("_", " ")


def dutch(line: str, code: str = "") -> str:
    """Matching's English sentence in Dutch; an unknown wording keeps its English detail in brackets."""
    if line in _WHOLE_NL:
        return _WHOLE_NL[line]
    counted = _COUNTED.match(line)
    if counted:
        subject = SUBJECTS_NL.get(counted["subject"].strip())
        rest = _shortfall_nl(counted["rest"])
        if subject and rest:
            return f"{subject}: {counted['count']} van {counted['total']} locaties {rest}"
    name = constraint_name(code, "nl") if code else "belemmering"
    return f"{name} ({line})"


def _shortfall_nl(rest: str) -> str | None:
    for pattern, words in _SHORTFALLS_NL:
        found = pattern.match(rest)
        if found:
            return words.format(**{k: _value_nl(k, v) for k, v in found.groupdict().items()})
    return None


def _value_nl(key: str, value: str) -> str:
    if key == "by":
        d = date.fromisoformat(value)
        return f"{d.day} {MONTHS_NL[d.month - 1]} {d.year}"
    if value == "nan":
        return "onbekend"
    if key in {"need", "best", "m2"}:
        # English 5,000.5 -> Dutch 5.000,5
        return value.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return value
