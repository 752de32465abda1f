"""What intake's HTTP API accepts and answers (request and response models), and 422 bodies."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, ValidationError

from shared.contracts.events import LeadSignalledData
from shared.contracts.text import StorableStr
from shared.http import error_facts

RomStatus = Literal["portfolio", "case-opened"]


class LeadSubmission(LeadSignalledData):
    """A lead as a ROM submits it over HTTP; the organisation is the caller's own and may be left out."""

    organisation: str | None = Field(default=None, description="Leave out: it is the caller's organisation.")


class TriageFacts(BaseModel):
    """`triage_reason` as facts, for clients that word it in their reader's language."""

    code: Literal["no-domain", "low-value-production", "negative-externalities", "beyond-horizon", "nts-domain",
                  "strategic-autonomy"] = Field(
        description="no-domain, low-value-production, negative-externalities (out of scope); beyond-horizon "
                    "(space needed after the horizon); nts-domain, strategic-autonomy (eligible).")
    sector: str | None = Field(default=None, description="The company's sector, where the reason names it.")
    earliest_need: date | None = Field(default=None, description="When growth is blocked; none: now.")
    horizon_years: int | None = Field(default=None, description="The programme's horizon in years.")
    horizon: date | None = Field(default=None, description="The horizon's date at triage (beyond-horizon).")


class LeadSummary(BaseModel):
    lead_id: UUID
    organisation: str
    reference: str
    company_name: str
    status: RomStatus = Field(
        description="portfolio: no case (see triage_reason); case-opened: the lead is in its company's case. "
                    "Never tells whether another organisation signalled the company too.")
    eligible: bool
    triage_reason: str
    triage: TriageFacts | None = Field(default=None, description="The reason as facts (none: a lead triaged "
                                                                 "before intake kept them).")
    case_id: UUID | None
    code_name: str | None = Field(description="The case's name in all outside communication.")
    case_status: Literal["none", "open", "proposed", "no-proposition", "closed"] = Field(
        description="none: no case; open: waiting for matching; proposed: sites proposed; no-proposition: no site "
                    "anywhere meets the demand; closed: see case_outcome.")
    sites_proposed: int | None = None
    case_outcome: str | None = Field(default=None, description="relocated, stayed, left-country or withdrew.")
    signalled_at: datetime
    changed_at: datetime | None
    version: int


class LeadDetail(LeadSummary):
    lead: LeadSignalledData


class WriteResult(BaseModel):
    outcome: Literal["registered", "updated", "unchanged", "stale"]
    lead: LeadDetail


class CsvUpload(BaseModel):
    """A ROM's CSV export (the columns of the import command, docs/intake.md), as text."""

    csv: StorableStr = Field(max_length=4_000_000, description="The file's text: a header row, then one lead per "
                                                              "row (, ; or tab separated).")
    dry_run: bool = Field(default=True, description="Check every row and store nothing (the preview); false "
                                                    "submits the valid rows.")


class CsvCellError(BaseModel):
    column: str = Field(description="The CSV column (or the lead's field path when no single column is meant).")
    field: str = Field(description="The lead's field path, as POST /leads names it (company.kvk_number).")
    reason: str
    type: str | None = Field(default=None, description="pydantic's error type, when the schema refused it.")
    ctx: dict[str, str | int | float | bool] | None = Field(default=None, description="The limit it broke.")


class CsvRowResult(BaseModel):
    row: int = Field(description="The file's line number (the header is line 1).")
    reference: str | None = None
    company_name: str | None = None
    outcome: Literal["registered", "updated", "unchanged", "stale"] | None = Field(
        default=None, description="What submitting the row does (dry run) or did; none when the row is invalid.")
    lead_id: UUID | None = None
    errors: list[CsvCellError] = Field(default_factory=list)


class CsvReport(BaseModel):
    dry_run: bool
    rows: list[CsvRowResult]
    ignored_columns: list[str] = Field(default_factory=list)


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    channel: str
    action: str
    changes: dict[str, Any]


class ReviewedLead(BaseModel):
    """One side of a look-alike pair, for the coordinator (under the NDA): whose lead, which company, which case."""

    lead_id: UUID
    organisation: str
    reference: str
    company_name: str
    kvk_number: str
    signalled_at: datetime
    case_id: UUID | None = None
    code_name: str | None = None


class NameReview(BaseModel):
    id: int
    lead_id: UUID
    similar_lead_id: UUID
    similarity: float
    status: Literal["open", "different-companies", "same-company"]
    created_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None
    lead: ReviewedLead | None = Field(default=None, description="The lead flagged (in GET /reviews).")
    similar_lead: ReviewedLead | None = Field(default=None, description="The lead whose name it looks like.")


class Origin(BaseModel):
    organisation: str
    reference: str
    lead_id: UUID
    joined_at: datetime


class CaseOrigins(BaseModel):
    """For the taskforce: every organisation that signalled the company of a case."""

    case_id: UUID
    code_name: str
    opened_at: datetime
    origins: list[Origin]


class ReviewDecision(BaseModel):
    """A person's finding; "same-company" is recorded, never merged: the ROM corrects the KvK number."""

    decision: Literal["different-companies", "same-company"]
    note: StorableStr = Field(default="", max_length=500)


def review(row, leads: dict[UUID, ReviewedLead] | None = None) -> NameReview:
    leads = leads or {}
    return NameReview(id=row.id, lead_id=row.lead_id, similar_lead_id=row.similar_lead_id, similarity=row.similarity,
                      status=row.status, created_at=row.created_at, decided_by=row.decided_by,
                      decided_at=row.decided_at, note=row.note, lead=leads.get(row.lead_id),
                      similar_lead=leads.get(row.similar_lead_id))


def reviewed_lead(row) -> ReviewedLead:
    company = row.payload["company"]
    return ReviewedLead(lead_id=row.id, organisation=row.organisation, reference=row.reference,
                        company_name=company["name"], kvk_number=company["kvk_number"], signalled_at=row.signalled_at,
                        case_id=row.case_id, code_name=row.code_name)


class FieldError(BaseModel):
    field: str = Field(description="Dotted path of the offending field, e.g. company.kvk_number.")
    reason: str
    type: str | None = Field(default=None, description="pydantic's error type, when the schema refused it.")
    ctx: dict[str, str | int | float | bool] | None = Field(default=None, description="The limit it broke.")


def summary(row) -> LeadSummary:
    return LeadSummary(lead_id=row.id, organisation=row.organisation, reference=row.reference,
                       company_name=row.payload["company"]["name"], eligible=bool(row.eligible),
                       triage_reason=row.triage_reason, triage=getattr(row, "triage", None),
                       signalled_at=row.signalled_at, changed_at=row.changed_at, version=row.version,
                       **_case_as_seen(row))


def _case_as_seen(row) -> dict:
    if not shows_case(status=row.status, eligible=row.eligible, case_id=row.case_id):
        return dict(status="portfolio", case_id=None, code_name=None, case_status="none", sites_proposed=None,
                    case_outcome=None)
    progress = case_status(row)
    return dict(status="case-opened", case_id=row.case_id, code_name=row.code_name, case_status=progress,
                sites_proposed=row.sites_proposed if progress in ("proposed", "no-proposition") else None,
                case_outcome=row.outcome if progress == "closed" else None)


def shows_case(*, status: str, eligible: bool | None, case_id: UUID | None) -> bool:
    """Whether the lead's ROM sees its case, exactly as if the lead alone had opened it.

    A lead is shown in its company's case when it opened the case, or is eligible itself (then its case would
    have opened for it alone). A lead of its own triage ineligible that joined a case another lead opened stays
    "portfolio" to its ROM: showing the case would tell that another organisation signalled the company.
    """
    return case_id is not None and (status == "case-opened" or bool(eligible))


def case_status(row) -> str:
    """The case's progress since this lead joined it: a lead that joined a case another lead opened sees it
    as a fresh case (open until matched again), never the progress that tells it the case existed before."""
    if row.case_id is None:
        return "none"
    if row.closed_at is not None and not row.closed_at_join:
        return "closed"
    if row.proposed_at is None or (row.match_revision or 0) <= (row.revision_at_join or 0):
        return "open"
    return "no-proposition" if row.no_proposition else "proposed"


def detail(row) -> LeadDetail:
    return LeadDetail(**summary(row).model_dump(), lead=LeadSignalledData.from_stored(row.payload))


_CONTAINERS = ("body", "data", "path", "query")


def field_errors(err: ValidationError | list[dict], *, strip: tuple[str, ...] = _CONTAINERS) -> list[dict]:
    """pydantic errors as [{field, reason}], the field a dotted path without the body/data prefix."""
    errors = err.errors() if isinstance(err, ValidationError) else err
    out = []
    for e in errors:
        loc = [str(p) for p in e["loc"]]
        while loc and loc[0] in strip:
            loc = loc[1:]
        out.append({"field": ".".join(loc) or "(body)", "reason": e["msg"], **error_facts(e)})
    return out


def rejection_error(message: str) -> list[dict]:
    """A handler's `field: reason` rejection as a 422 body entry."""
    field, sep, reason = message.partition(": ")
    if not sep:
        return [{"field": "(body)", "reason": message}]
    return [{"field": field.removeprefix("data."), "reason": reason}]


class TaskforceCase(BaseModel):
    """One case as the taskforce's board lists it (coordinator only: it is under the NDA)."""

    case_id: UUID
    code_name: str
    opened_at: datetime
    stage: str
    region: str
    municipality_code: str
    technology_domains: list[str]
    origins: int = Field(description="How many organisations signalled the company.")
    case_status: Literal["open", "proposed", "no-proposition", "closed"]
    outcome: str | None


BOARD_IDS_MOST = 20_000  # a coordinator's owned cases, or every owned case: far more than the programme holds


class BoardQuery(BaseModel):
    """The board's filters on intake's own fields, and the page asked for (POST /cases/search: the owner
    filter sends its case ids, too many for a URL)."""

    model_config = {"extra": "forbid"}

    status: Literal["open", "closed"] | None = Field("open", description="Open or closed cases; all when null.")
    case_status: Literal["open", "proposed", "no-proposition", "closed"] | None = None
    region: str | None = Field(None, max_length=40)
    stage: str | None = Field(None, max_length=40)
    q: str | None = Field(None, max_length=100, description="Part of the code name, any case.")
    case_ids: list[UUID] | None = Field(None, max_length=BOARD_IDS_MOST,
                                        description="Only these cases (e.g. a coordinator's own).")
    except_case_ids: list[UUID] = Field(default_factory=list, max_length=BOARD_IDS_MOST,
                                        description="Never these cases (e.g. every case with an owner).")
    order: Literal["newest", "oldest"] = "newest"
    offset: int = Field(0, ge=0, le=2**63 - 1)
    limit: int = Field(100, ge=1, le=1000)


class BoardCases(BaseModel):
    """One page of the board, with how many cases the filters keep and how many are open at all."""

    kept: int
    open_cases: int
    cases: list[TaskforceCase]


class CaseCompany(BaseModel):
    name: str
    kvk_number: str


class CaseDossier(BaseModel):
    """A case with the company's identity and the lead that opened it, for the coordinator (under the NDA)."""

    case_id: UUID
    code_name: str
    opened_at: datetime
    consent_granted_at: datetime | None
    case_status: Literal["open", "proposed", "no-proposition", "closed"]
    outcome: str | None
    company: CaseCompany
    lead: LeadSignalledData = Field(description="The opening lead as stored now (demand, location, stage...).")
    origins: list[Origin]


def taskforce_status(row) -> str:
    if row.closed_at is not None:
        return "closed"
    if row.no_proposition:
        return "no-proposition"
    return "proposed" if row.proposed_at is not None else "open"


def taskforce_case(row) -> TaskforceCase:
    """A board row from the case and its opening lead's stage, region, municipality and domains."""
    return TaskforceCase(case_id=row.id, code_name=row.code_name, opened_at=row.opened_at, stage=row.stage,
                         region=row.region, municipality_code=row.municipality_code,
                         technology_domains=list(row.technology_domains or ()), origins=row.origins,
                         case_status=taskforce_status(row), outcome=row.outcome)


class Erasure(BaseModel):
    """The answer to an erasure request. It names only the lead asked about: a ROM must not learn from it
    whether other organisations signalled the same company (their leads are erased too)."""

    lead_id: UUID
    erased: Literal[True] = True
    key_destroyed: bool = Field(description="Whether the case's sealing key was destroyed now (False when the "
                                            "company had no consent released, or it was erased before).")


class IdentityKey(BaseModel):
    """A case's key that opens its sealed identity in consent-granted (notifications only)."""

    key_id: UUID
    case_id: UUID
    key: str = Field(description="Base64 (URL-safe) of the 32-byte AES-256-GCM key.")
