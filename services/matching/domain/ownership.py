"""Who may change a site: the coordinator, and the municipality or province the site lies in.

A municipality's or province's token carries its CBS code as organisation (GM0153, PV23), as the notifications
directory does; a site records its municipality as a CBS code and its province by name, so the name is mapped to
its code here.
"""

from __future__ import annotations

import re
import unicodedata

from services.matching.domain.sites import Site

# CBS province codes (PV20..PV31) and their names.
PROVINCES: dict[str, str] = {
    "PV20": "Groningen", "PV21": "Fryslân", "PV22": "Drenthe", "PV23": "Overijssel", "PV24": "Flevoland",
    "PV25": "Gelderland", "PV26": "Utrecht", "PV27": "Noord-Holland", "PV28": "Zuid-Holland",
    "PV29": "Zeeland", "PV30": "Noord-Brabant", "PV31": "Limburg",
}
_ALIASES = {"friesland": "PV21", "brabant": "PV30"}


def _normal(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z]", "", plain.removeprefix("provincie "))


_BY_NAME = {_normal(name): code for code, name in PROVINCES.items()} | _ALIASES


def province_code(name_or_code: str) -> str | None:
    """The CBS code of a province given by name (any common spelling) or code; None when unknown."""
    if name_or_code.upper() in PROVINCES:
        return name_or_code.upper()
    return _BY_NAME.get(_normal(name_or_code))


def owners(site: Site) -> tuple[str, str | None]:
    """The organisations that own a site besides the coordinator: its municipality and its province."""
    return site.municipality_code, province_code(site.province)


def owns(role: str, organisation: str, site: Site) -> bool:
    """Whether this caller may change (or read the history of) this site."""
    municipality, province = owners(site)
    if role == "coordinator":
        return True
    if role == "municipality":
        return organisation.upper() == municipality
    if role == "province":
        return province is not None and organisation.upper() == province
    return False


def refusal(role: str, organisation: str, before: Site | None, after: Site | None) -> tuple[str, str] | None:
    """(field, reason) when the caller may not make this change; None when it may.

    The site as it was must be the caller's (nobody changes another municipality's site), and so must the site
    as it becomes (nobody creates a site elsewhere or moves one out of reach)."""
    if before is not None and not owns(role, organisation, before):
        return "site_id", (f"site {before.id!r} lies in {_place(before)}; only that municipality, that province or "
                           f"the coordinator may change it, not {organisation}")
    if after is not None and not owns(role, organisation, after):
        field = "municipality_code" if role == "municipality" else "province"
        return field, (f"{organisation} may create or move sites only within its own "
                       f"{'municipality' if role == 'municipality' else 'province'}; this site would lie in "
                       f"{_place(after)}")
    return None


def _place(site: Site) -> str:
    return f"{site.municipality_code} ({site.province})"
