"""What the coordinator does over HTTP: decide on proposals, record outcomes (site changes: site_owners.py)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import repository
from services.matching.handlers import SOURCE, Deps
from services.matching.views import DecisionResult, OutcomeResult
from shared.auth import Caller
from shared.contracts import (
    CaseClosed,
    CaseClosedData,
    CaseOpenedData,
    CaseOutcome,
    Location,
    ProposalDecided,
    ProposalDecidedData,
    RelocationRealised,
    RelocationRealisedData,
)
from shared.contracts.envelope import Frozen
from shared.contracts.events import InvestmentStatus


class Problem(Exception):
    """A request the service understood but cannot honour; app.py turns it into an HTTP status."""

    def __init__(self, status: int, detail: str | list[dict[str, str]], *,
                 refusal: dict[str, str] | None = None) -> None:
        """`detail`: one sentence (`field: reason`), or for a 422 the field errors themselves; `refusal`: the same
        refusal as facts (domain.ownership.Refusal), answered beside `detail`."""
        super().__init__(detail)
        self.status, self.detail, self.refusal = status, detail, refusal


class Decision(Frozen):
    decision: Literal["accepted", "declined"]
    reason: str = Field(min_length=1, max_length=500)


class Outcome(Frozen):
    """The company's decision. A relocation needs where to and the evidence; the rest a reason."""

    outcome: CaseOutcome
    reason: str = Field(default="", max_length=500)
    destination_site_id: str | None = Field(default=None, description="A catalogue site; or give `destination`.")
    destination: Location | None = None
    investment_retained_eur: float | None = Field(default=None, ge=0)
    investment_status: InvestmentStatus | None = None
    jobs: int | None = Field(default=None, ge=0)
    new_scale_up: bool | None = None
    evidence_ref: str | None = Field(default=None, min_length=1, max_length=200)
    destination_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$",
                                            description="ISO 3166-1 alpha-2, when the company left the country.")

    @model_validator(mode="after")
    def _complete(self) -> Outcome:
        if self.outcome is CaseOutcome.RELOCATED:
            lacking = [f for f in ("investment_retained_eur", "investment_status", "jobs", "new_scale_up",
                                   "evidence_ref") if getattr(self, f) is None]
            if self.destination_site_id is None and self.destination is None:
                lacking.append("destination_site_id or destination")
            if lacking:  # a type and its facts beside the sentence: clients word it in their reader's language
                raise PydanticCustomError("relocation_incomplete", "a relocation needs {lacking}",
                                          {"lacking": ", ".join(lacking)})
        elif not self.reason:
            raise PydanticCustomError("reason_required", "outcome {outcome} needs a reason",
                                      {"outcome": self.outcome.value})
        return self


async def open_case(session: AsyncSession, case_id: UUID):
    """The case's match row, locked; 404 when unknown, 409 when closed."""
    row = await repository.get_match(session, case_id, lock=True)
    if row is None:
        raise Problem(404, f"case_id: case {case_id} has no match (unknown case, or not matched yet)")
    if row["status"] != "open":
        raise Problem(409, f"case_id: case {case_id} is closed (outcome {row['outcome']})")
    return row


async def decide(session: AsyncSession, case_id: UUID, site_id: str, body: Decision, caller: Caller, *,
                 deps: Deps) -> DecisionResult:
    """Accept or decline one proposed site; emits proposal-decided."""
    row = await open_case(session, case_id)
    if site_id not in {p["site_id"] for p in row["proposals"]}:
        raise Problem(404, f"site_id: site {site_id} is not among the current proposals for case {case_id}")
    answer = DecisionResult(case_id=case_id, site_id=site_id, decision=body.decision, unchanged=True)
    if await repository.latest_decision(session, case_id, site_id) == {"decision": body.decision,
                                                                        "reason": body.reason}:
        return answer  # a repeated request (double click, retry) emits nothing twice
    await repository.record_decision(session, case_id=case_id, site_id=site_id, decision=body.decision,
                                     reason=body.reason, decided_by=caller.organisation)
    decided = ProposalDecidedData(case_id=case_id, site_id=site_id, decision=body.decision, reason=body.reason,
                                  decided_by=caller.organisation)
    await deps.runtime.outbox.add(session, ProposalDecided(source=SOURCE, subject=str(case_id), data=decided))
    return answer.model_copy(update={"unchanged": False})


async def record_outcome(session: AsyncSession, case_id: UUID, body: Outcome, *, deps: Deps) -> OutcomeResult:
    """Close the case with the company's decision; a relocation also emits relocation-realised."""
    row = await open_case(session, case_id)
    case = CaseOpenedData.model_validate(row["case_payload"])
    emitted = []
    if body.outcome is CaseOutcome.RELOCATED:
        destination = await _destination(session, body)
        await deps.runtime.outbox.add(session, RelocationRealised(
            source=SOURCE, subject=str(case_id), data=RelocationRealisedData(
                case_id=case_id, origin=case.origin, destination=destination,
                investment_retained_eur=body.investment_retained_eur, investment_status=body.investment_status,
                jobs=body.jobs, new_scale_up=body.new_scale_up, evidence_ref=body.evidence_ref,
                destination_site_id=body.destination_site_id)))
        emitted.append(RelocationRealised.topic)
    await deps.runtime.outbox.add(session, CaseClosed(source=SOURCE, subject=str(case_id), data=CaseClosedData(
        case_id=case_id, outcome=body.outcome, origin_region=case.origin.region, reason=body.reason,
        destination_country=body.destination_country)))
    await repository.close_case(session, case_id, body.outcome.value)
    return OutcomeResult(case_id=case_id, outcome=body.outcome, emitted=emitted + [CaseClosed.topic])


async def _destination(session: AsyncSession, body: Outcome) -> Location:
    if body.destination is not None:
        return body.destination
    key = body.destination_site_id.strip().lower()  # site ids are kept lower-cased
    site = (await repository.sites_by_id(session, [key])).get(key)
    if site is None:
        raise Problem(422, f"destination_site_id: no site {body.destination_site_id!r} in the catalogue")
    return Location(municipality_code=site.municipality_code, province=site.province, region=site.region)
