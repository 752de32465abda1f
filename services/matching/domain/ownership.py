"""Who may change a site: the coordinator, and the municipality or province the site lies in.

A municipality's or province's token carries its CBS code as organisation (GM0153, PV23), as the notifications
directory does. A site records its municipality as a CBS code (its province follows from CBS's table) and its
province by name (used when the municipality is not in the table).
"""

from __future__ import annotations

from typing import NamedTuple

from services.matching.domain.sites import Site
from shared.contracts.geography import province_code, province_of_municipality


def owners(site: Site) -> tuple[str, str | None]:
    """The organisations that own a site besides the coordinator: its municipality and its province."""
    return site.municipality_code, province_of_municipality(site.municipality_code) or province_code(site.province)


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


class Refusal(NamedTuple):
    """Why the caller may not: the field, the sentence (for API users), and the same as facts (for clients that
    word it in their reader's language): `type` is `not-site-owner` or `site-out-of-reach`."""

    field: str
    reason: str
    facts: dict[str, str]


def refusal(role: str, organisation: str, before: Site | None, after: Site | None) -> Refusal | None:
    """Why the caller may not make this change; None when it may.

    The site as it was must be the caller's (nobody changes another municipality's site), and so must the site
    as it becomes (nobody creates a site elsewhere or moves one out of reach)."""
    if before is not None and not owns(role, organisation, before):
        return Refusal("site_id", f"site {before.id!r} lies in {_place(before)}; only that municipality, that "
                                  f"province or the coordinator may change it, not {organisation}",
                       _facts("not-site-owner", role, organisation, before))
    if after is not None and not owns(role, organisation, after):
        field = "municipality_code" if role == "municipality" else "province"
        return Refusal(field, f"{organisation} may create or move sites only within its own "
                              f"{'municipality' if role == 'municipality' else 'province'}; this site would lie in "
                              f"{_place(after)}", _facts("site-out-of-reach", role, organisation, after))
    return None


def _facts(kind: str, role: str, organisation: str, site: Site) -> dict[str, str]:
    return {"type": kind, "site_id": site.id, "municipality_code": site.municipality_code, "province": site.province,
            "organisation": organisation, "role": role}


def _place(site: Site) -> str:
    return f"{site.municipality_code} ({site.province})"
