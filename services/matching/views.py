"""What matching's supply routes take and answer (pydantic models, so the OpenAPI document is exact)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from services.matching.domain import Site, site_key
from services.matching.domain.sites import SITE_ID_RULE
from shared.contracts.events import CaseOutcome, NearMiss, Proposal
from shared.http import problems

Scalar = str | float | int | bool | None
# A site id in a path: lower-cased on the way in; the rule is documented (so generated requests can follow it)
# and an invalid id is a 422 stating it in words.
SiteId = Annotated[str, AfterValidator(site_key),
                   WithJsonSchema({"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9-]{1,99}$",
                                   "description": f"The site's id: {SITE_ID_RULE}."})]


class SiteView(Site):
    """A catalogue site as listed: the record plus where its data came from and when it last changed."""

    source: str = Field(description="reference, import:<file>, api:<organisation> or event:<organisation>.")
    updated_at: datetime


def _optional(name: str):
    info = Site.model_fields[name]
    inner = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    return inner | None, Field(default=None, description=info.description)


# PATCH: any subset of the fields (null makes a value unknown); unknown fields are a 422 naming them.
SitePatch = create_model("SitePatch", __config__=ConfigDict(extra="forbid"),
                         **{name: _optional(name) for name in Site.model_fields if name != "id"})
SitePatch.__doc__ = "Some fields of a site; the others keep their values."


class SiteRecord(Site):
    """A full site record for PUT; `id` may be left out (the path gives it) and must otherwise equal it."""

    id: str | None = Field(default=None, description="The path's id (case-insensitive), or left out.")


class SiteWrite(BaseModel):
    site: Site
    changed: list[str] = Field(description="The fields that changed (empty: nothing did, nothing was emitted).")
    rematched_cases: list[str] = Field(description="Open cases whose match changed because of this.")


class SiteRetirement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$",
                        examples=["the business park is fully let"])


class SiteListing(BaseModel):
    """One page of the catalogue as filtered, with what a map of all the kept sites needs."""

    total: int = Field(description="Live (not retired) sites in the catalogue.")
    kept: int = Field(description="Live sites the filters keep.")
    per_municipality: dict[str, int] = Field(description="The kept sites counted per municipality code.")
    sites: list[SiteView] = Field(description="This page of the kept sites, by name.")


class SiteUpload(BaseModel):
    """A file of sites as the import command reads it (docs/matching.md), as text."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "geojson"]
    content: str = Field(max_length=8_000_000, pattern=r"^[^\x00]*$",
                         description="The file's text: CSV (`,` or `;`) or a GeoJSON FeatureCollection.")
    dry_run: bool = Field(default=True, description="Check every row and store nothing (the preview); false "
                                                    "loads the valid rows.")


class FieldError(BaseModel):
    field: str
    reason: str
    type: str | None = Field(default=None, description="What kind of refusal (e.g. not-site-owner, "
                                                       "site-out-of-reach, or pydantic's error type of a schema "
                                                       "error), for clients that word it themselves.")
    ctx: dict[str, str] | None = Field(default=None, description="The refusal's facts: site_id, municipality_code, "
                                                                 "province, organisation, role.")


class SiteImportRow(BaseModel):
    row: int = Field(description="The CSV line (the header is line 1) or the GeoJSON feature (from 1).")
    site_id: str | None = None
    name: str | None = None
    action: Literal["create", "change", "unchanged"] | None = Field(
        default=None, description="What loading the row does (dry run) or did; none when the row is refused.")
    errors: list[FieldError] = Field(default_factory=list)


class SiteImport(BaseModel):
    dry_run: bool
    rows: list[SiteImportRow]
    rematched_cases: list[str] = Field(default_factory=list)


class SiteDeleted(BaseModel):
    site_id: str
    rematched_cases: list[str]


class FieldChange(BaseModel):
    before: Scalar
    after: Scalar


class SiteHistoryEntry(BaseModel):
    id: int
    site_id: str
    action: Literal["created", "changed", "retired", "reinstated", "deleted"]
    changed_by: str = Field(description="The organisation (token), import source or event producer.")
    role: str | None = Field(description="The caller's role over HTTP; none for imports and events.")
    source: str
    changed_at: datetime
    changes: dict[str, FieldChange] = Field(description="Field -> its value before and after (lists as 'a;b').")
    reason: str


def history_entry(row) -> SiteHistoryEntry:
    return SiteHistoryEntry(id=row.id, site_id=row.site_id, action=row.action, changed_by=row.changed_by,
                            role=row.role, source=row.source, changed_at=row.changed_at, changes=row.changes,
                            reason=row.reason)


def site_view(row) -> SiteView:
    return SiteView.model_validate(row.record | {"source": row.source, "updated_at": row.updated_at})


class CaseLine(BaseModel):
    """One matched case in the coordinator's overview."""

    case_id: UUID
    code_name: str
    status: Literal["open", "closed"]
    outcome: CaseOutcome | None
    revision: int
    no_proposition: bool
    proposed_at: datetime
    proposals: int = Field(description="How many sites are proposed.")


class RegionShortfall(BaseModel):
    """One constraint that blocked a region, as facts: what `blocking_details` says in words, for clients that
    word it in their reader's language."""

    constraint: str = Field(description="The hard constraint, or no_sites for a region without any site.")
    sites_failing: int = Field(description="How many of the region's sites fail it.")
    sites: int = Field(description="How many sites the region has.")
    needed: float | None = Field(default=None, description="m² (floor space, cleanroom) or MW (grid) needed.")
    best_offered: float | None = Field(default=None, description="The largest offer in the region by then.")
    needed_by: date | None = Field(default=None, description="When the company needs it.")
    required: str | None = Field(default=None, description="ISO cleanroom class or environmental category.")


class StuckCase(BaseModel):
    """An open case for which no site anywhere meets the hard constraints, with what blocked each region."""

    case_id: UUID
    code_name: str
    revision: int
    proposed_at: datetime
    origin_region: str | None = Field(description="The company's own region.")
    blocking: dict[str, list[str]]
    blocking_details: dict[str, list[str]]
    blocking_facts: dict[str, list[RegionShortfall]] = Field(
        default_factory=dict, description="Per region in `blocking`: the same as facts.")
    near_misses: list[NearMiss]


class DecisionRecord(BaseModel):
    site_id: str
    decision: Literal["accepted", "declined"]
    reason: str
    decided_by: str
    decided_at: datetime


class CaseProposals(BaseModel):
    """A case's current match: ranked proposals, near misses, what blocked each region, decisions so far."""

    case_id: UUID
    code_name: str
    status: Literal["open", "closed"]
    outcome: CaseOutcome | None
    revision: int
    no_proposition: bool
    proposals: list[Proposal]
    near_misses: list[NearMiss]
    blocking: dict[str, list[str]]
    blocking_details: dict[str, list[str]]
    blocking_facts: dict[str, list[RegionShortfall]] = Field(
        default_factory=dict, description="Per region in `blocking`: the same as facts.")
    decisions: list[DecisionRecord]


class DecisionResult(BaseModel):
    case_id: UUID
    site_id: str
    decision: Literal["accepted", "declined"]
    unchanged: bool = Field(description="True when the same decision was already recorded (nothing emitted).")


class OutcomeResult(BaseModel):
    case_id: UUID
    outcome: CaseOutcome
    emitted: list[str] = Field(description="The topics of the events emitted.")


def errors(*codes: int, **descriptions: str) -> dict[int | str, dict]:
    """`responses=` for a route: 401 and 403 (every route reads the token) and the given codes (shared.http)."""
    return problems(401, 403, *codes, **descriptions)
