"""What the supply pages show: the site catalogue filtered, on a map and as a table, and a site's edit form
(pure: no I/O here; the routes are in supply_pages.py).

Who may edit is decided by matching (the coordinator, or the municipality or province the site lies in);
`may_edit` only decides whether the form is offered, so a mistake here can hide a form but never allow a change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from services.workbench import problems
from shared.contracts.geography import province_code, province_of_municipality
from shared.geo.canvas import MapWords
from shared.geo.counts import count_map
from shared.geo.map import MapView, Marker, site_map

# Fields a municipality or province keeps current in the form (the full record goes through the API or import).
EDITABLE = ("floor_space_m2", "largest_lot_m2", "cleanroom_m2", "grid_mw_available")
# Up to this many sites the map marks each one; beyond it counts them per municipality.
MARKED = 60
# The table shows the kept sites a page at a time: 10,000 rows are neither readable nor quick to send.
PAGE_SIZE = 100


@dataclass(frozen=True)
class SiteFilters:
    """What the catalogue page asks matching for (matching filters, in the database)."""

    q: str = ""
    region: str = ""
    province: str = ""

    @property
    def focus(self) -> str | None:
        """Where the map zooms to: the province asked for, else the region."""
        return self.province or self.region or None

    def params(self, page: int) -> dict[str, Any]:
        """The query of matching's GET /sites/catalogue for this page of the table."""
        asked = {"q": self.q, "region": self.region, "province": self.province}
        return {k: v for k, v in asked.items() if v} | {"limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}


def _province(site: Mapping[str, Any]) -> str | None:
    return province_of_municipality(site["municipality_code"]) or province_code(site["province"])


def may_edit(role: str, organisation: str, site: Mapping[str, Any]) -> bool:
    """Whether to offer the edit form (matching decides again when the form is sent)."""
    if role == "coordinator":
        return True
    if role == "municipality":
        return organisation.upper() == site["municipality_code"].upper()
    return role == "province" and organisation.upper() == (_province(site) or "")


@dataclass(frozen=True)
class Catalogue:
    sites: list[Mapping[str, Any]]  # the page of the table
    total: int  # in the catalogue
    map: MapView
    kept: int = 0  # by the filters (on the map)
    page: int = 1
    pages: int = 1

    @property
    def offset(self) -> int:
        """How many kept sites come before this page (the table numbers rows on from here)."""
        return (self.page - 1) * PAGE_SIZE


def pages_of(kept: int) -> int:
    return max(1, -(-kept // PAGE_SIZE))


def catalogue(listing: Mapping[str, Any], filters: SiteFilters, *, page: int, english: bool, title: str,
              description: str) -> Catalogue:
    """One page of matching's filtered catalogue, with a map of every kept site: each one marked (numbered as in the
    table) when there are few (all on the first page), else counted per municipality."""
    sites, kept = list(listing["sites"]), int(listing["kept"])
    base = MapWords.english() if english else MapWords()
    words = replace(base, site=base.catalogue_site, site_legend=base.catalogue_legend)  # not proposals here
    if kept <= MARKED:
        markers = [Marker(label=s["name"], number=n, latitude=s.get("latitude"), longitude=s.get("longitude"),
                          municipality_code=s["municipality_code"]) for n, s in enumerate(sites, 1)]
        drawn = site_map(markers, title=title, description=description, words=words, focus=filters.focus)
    else:
        drawn = count_map(dict(listing["per_municipality"]), title=title, description=description, words=words,
                          focus=filters.focus)
    return Catalogue(sites=sites, total=int(listing["total"]), map=drawn, kept=kept, page=page,
                     pages=pages_of(kept))


@dataclass
class SiteForm:
    """The edit form: values as typed, errors beside each field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_site(cls, site: Mapping[str, Any]) -> SiteForm:
        return cls({name: "" if site.get(name) is None else _shown(site[name]) for name in EDITABLE})

    @classmethod
    def from_form(cls, submitted: Mapping[str, Any]) -> SiteForm:
        return cls({name: str(submitted.get(name, "")).strip() for name in EDITABLE})

    def patch(self, site: Mapping[str, Any]) -> dict[str, Any]:
        """matching's PATCH body: the fields that changed, numbers as numbers (an emptied field: unknown)."""
        body: dict[str, Any] = {}
        for name, typed in self.values.items():
            value = _number(typed)
            if value != site.get(name):
                body[name] = value
        return body

    def take_errors(self, answer: Any, gettext: Callable[[str], str] = lambda m: m, lang: str = "en") -> None:
        """matching's 422 (list of field/reason) beside the inputs; anything else as a form-wide error. Worded in
        the reader's language from the error's type or refusal facts where given; else matching's reason."""
        for error in answer if isinstance(answer, list) else [{"field": "", "reason": str(answer)}]:
            name = str(error.get("field", "")).split(".")[-1]
            words = (problems.refusal(error["refusal"], gettext) if error.get("refusal")
                     else problems.plain(error, gettext, lang))
            self.errors[name if name in EDITABLE else "form"] = words or str(error.get("reason", ""))


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _number(typed: str) -> float | str | None:
    """A typed number as a number ('1.500,5' and '1500.5' alike); text that is no number stays text for
    matching to refuse with its reason; empty is unknown."""
    if not typed:
        return None
    plain = typed.replace(" ", "")
    # Dutch first: a comma is the decimal sign, and dots in groups of three digits ("16.500") separate thousands.
    if "," in plain or re.fullmatch(r"\d{1,3}(\.\d{3})+", plain):
        plain = plain.replace(".", "").replace(",", ".")
    try:
        return float(plain)
    except ValueError:
        return typed
