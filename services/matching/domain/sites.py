"""A site in the supply catalogue: one validated record per campus, business park or work location."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from shared.contracts.envelope import Frozen
from shared.contracts.events import CbsMunicipalityCode, EnvironmentalCategory, Region, TechnologyDomain

Access = Literal["rail", "motorway", "port", "airport", "public-transport"]
Congestion = Literal["none", "pre-congestion", "congested"]
ACCESS: tuple[str, ...] = ("rail", "motorway", "port", "airport", "public-transport")
CONGESTION: tuple[str, ...] = ("none", "pre-congestion", "congested")
DOMAINS: tuple[str, ...] = tuple(d.value for d in TechnologyDomain)
REGIONS: tuple[str, ...] = tuple(r.value for r in Region)
ENV_CATEGORIES: tuple[str, ...] = tuple(c.value for c in EnvironmentalCategory)
SITE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,99}$"
SITE_ID_RULE = ("2 to 100 characters, only lower-case letters a-z, digits 0-9 and '-', starting with a letter or "
                "digit, e.g. oost-kennispark (upper case is lower-cased)")
# Fields that may be unknown: matching flags them instead of scoring them as zero.
OPTIONAL_DATA = ("latitude", "longitude", "largest_lot_m2", "cleanroom_m2", "vibration_free",
                 "environmental_category_max", "grid_mw_available", "grid_congestion", "graduates_mbo",
                 "graduates_hbo", "graduates_wo", "labour_market_tightness", "housing_pressure",
                 "knowledge_distance_km")


# Upper bounds a real site stays far below (the Netherlands is 41,543 km², its grid ~30 GW, its yearly graduates
# ~300,000): a value beyond them is a typing error, answered 422 with the field, and the catalogue's packed columns
# (4-byte floats, 2-byte counts) can hold every value the model accepts.
MAX_M2 = 1e9  # 1,000 km²
MAX_MW = 1e5
MAX_GRADUATES = 10_000_000


class Site(Frozen):
    """Supply at one location. None means 'not known', never 'zero'."""

    # Stored as JSONB: PostgreSQL holds neither infinite numbers nor NUL characters, so both are invalid input.
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: str = Field(pattern=SITE_ID_PATTERN, description=f"Stable slug: {SITE_ID_RULE}.")
    name: str = Field(min_length=1, max_length=200)
    hotspot: str = Field(default="", max_length=100, description="Technology hotspot (brandpunt) it belongs to.")
    region: Region
    province: str = Field(min_length=2, max_length=60)
    municipality_code: str = CbsMunicipalityCode
    latitude: float | None = Field(default=None, ge=50.7, le=53.6)
    longitude: float | None = Field(default=None, ge=3.3, le=7.3)
    available_from: date | None = Field(default=None, description="When the site as a whole can be used.")
    floor_space_m2: float = Field(ge=0, le=MAX_M2, description="Floor space / land available now.")
    planned_floor_space_m2: float = Field(default=0, ge=0, le=MAX_M2,
                                          description="Planned land, counting from its date.")
    planned_available_from: date | None = None
    largest_lot_m2: float | None = Field(default=None, ge=0, le=MAX_M2, description="Largest contiguous lot.")
    cleanroom_iso_class: int | None = Field(default=None, ge=1, le=9, description="None: no cleanroom.")
    cleanroom_m2: float | None = Field(default=None, ge=0, le=MAX_M2)
    cleanroom_facility: Literal["own", "shared"] | None = None
    vibration_free: bool | None = None
    environmental_category_max: EnvironmentalCategory | None = None
    grid_mw_available: float | None = Field(default=None, ge=0, le=MAX_MW,
                                            description="Offtake capacity available now.")
    grid_congestion: Congestion | None = None
    grid_reinforcement_date: date | None = None
    grid_mw_after_reinforcement: float | None = Field(default=None, ge=0, le=MAX_MW)
    graduates_mbo: int | None = Field(default=None, ge=0, le=MAX_GRADUATES,
                                      description="Yearly graduates in relevant fields.")
    graduates_hbo: int | None = Field(default=None, ge=0, le=MAX_GRADUATES)
    graduates_wo: int | None = Field(default=None, ge=0, le=MAX_GRADUATES)
    labour_market_tightness: float | None = Field(default=None, ge=0, le=1000,
                                                  description="Vacancies per job seeker.")
    housing_pressure: float | None = Field(default=None, ge=0, le=1, description="0 relaxed .. 1 severe.")
    accessibility: frozenset[Access] = frozenset()
    clusters: frozenset[TechnologyDomain] = frozenset()
    knowledge_institutions: tuple[str, ...] = ()
    fieldlabs: tuple[str, ...] = Field(default=(), max_length=1000)
    knowledge_distance_km: float | None = Field(default=None, ge=0, le=1000,
                                                description="To the nearest institution.")
    illustrative: bool = False
    retired: bool = Field(default=False, description="No longer supply: kept with its history, never proposed.")

    @field_validator("name", "hotspot", "province", "knowledge_institutions", "fieldlabs", mode="before")
    @classmethod
    def _no_nul(cls, value):
        texts = value if isinstance(value, list | tuple | set | frozenset) else (value,)
        if any(isinstance(t, str) and "\x00" in t for t in texts):
            raise ValueError("must not contain NUL characters (\\x00)")
        return value

    @field_validator("id", mode="before")
    @classmethod
    def _site_id(cls, value):
        """Lower-case on input (ids are compared as given), and say the rule in words, not as a regex."""
        return site_key(value) if isinstance(value, str) else value

    @field_validator("accessibility", "clusters", "knowledge_institutions", "fieldlabs", mode="before")
    @classmethod
    def _split(cls, value):
        """CSV cells and site-changed values carry lists as 'a;b;c'."""
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(";") if part.strip())
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Site:
        if self.planned_floor_space_m2 and self.planned_available_from is None:
            raise ValueError("planned_floor_space_m2 needs planned_available_from")
        if (self.grid_reinforcement_date is None) != (self.grid_mw_after_reinforcement is None):
            raise ValueError("grid_reinforcement_date and grid_mw_after_reinforcement go together")
        if self.cleanroom_m2 and self.cleanroom_iso_class is None:
            raise ValueError("cleanroom_m2 needs cleanroom_iso_class")
        return self

    def as_row(self) -> dict:
        """JSON-safe dict (lists for sets), as stored and as exchanged."""
        return self.model_dump(mode="json")


def site_key(raw: str) -> str:
    """A site id as the catalogue keeps it: trimmed and lower-cased; ValueError states the rule otherwise."""
    key = raw.strip().lower()
    if not re.fullmatch(SITE_ID_PATTERN, key):
        raise ValueError(f"site id {raw!r} is not valid: {SITE_ID_RULE}")
    return key


def flat_value(value) -> str | float | int | bool | None:
    """A field value as site-changed carries it (lists joined by ';')."""
    if isinstance(value, list | tuple | set | frozenset):
        return ";".join(sorted(str(v) for v in value)) if isinstance(value, set | frozenset) else ";".join(value)
    return value


def changed_fields(before: Site | None, after: Site) -> dict[str, str | float | int | bool | None]:
    """Field -> new value for every field that differs (all fields for a new site)."""
    old = before.as_row() if before else {}
    new = after.as_row()
    return {k: flat_value(v) for k, v in new.items()
            if before is None or flat_value(old.get(k)) != flat_value(v)}


def field_changes(before: Site | None, after: Site | None) -> dict[str, dict[str, str | float | int | bool | None]]:
    """Field -> {"before", "after"} for every field that differs (a new site: all fields; a deleted one: all)."""
    old = {k: flat_value(v) for k, v in before.as_row().items()} if before else {}
    new = {k: flat_value(v) for k, v in after.as_row().items()} if after else {}
    return {k: {"before": old.get(k), "after": new.get(k)} for k in sorted(old.keys() | new.keys())
            if old.get(k) != new.get(k)}


def action_of(before: Site | None, after: Site | None) -> str:
    """What a change did to a site, as its history names it."""
    if before is None:
        return "created"
    if after is None:
        return "deleted"
    if after.retired != before.retired:
        return "retired" if after.retired else "reinstated"
    return "changed"
