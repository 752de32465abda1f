"""Intake's process: Kafka subscribers (wired in bootstrap) and HTTP routes only."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse

from services.intake import csv_upload
from services.intake import submissions as use
from services.intake.bootstrap import bootstrap
from services.intake.config import IntakeSettings
from services.intake.views import (
    AuditEntry,
    BoardCases,
    BoardQuery,
    CaseDossier,
    CaseOrigins,
    CsvReport,
    CsvUpload,
    Erasure,
    IdentityKey,
    LeadDetail,
    LeadSubmission,
    LeadSummary,
    NameReview,
    ReviewDecision,
    RomStatus,
    TaskforceCase,
    WriteResult,
)
from shared.auth import Caller, require
from shared.http import Id, Limit, Offset, problems
from shared.runtime import http_app

KEY_READER = "notifications"  # the one service that may open a consented company's sealed identity
NOT_FOUND = problems(404, d404="No such lead among the caller's own (other organisations' leads included).")
errors_of_file = problems(422)
DESCRIPTION = """Receives ROM leads over HTTP (this API) and Kafka (topic `lead-signalled`), one validation for both.

Authenticate with `Authorization: Bearer <token>`; a token belongs to one organisation. A ROM (or partner)
sees and changes only its own leads: any other lead answers 404, as if it did not exist. A 422 lists every
problem as `{"field": "company.kvk_number", "reason": "..."}`."""


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    deps = bootstrap(settings or IntakeSettings())
    app = http_app(deps.runtime, title="Groeiruimte intake", description=DESCRIPTION)
    app.state.deps = deps
    _errors(app)
    caller_of = app.state.caller

    def rom(caller: Caller = Depends(caller_of)) -> Caller:
        return require(caller, "rom")

    @app.post("/leads", tags=["leads"], response_model=WriteResult, status_code=201,
              responses={200: {"model": WriteResult, "description": "Known lead: updated, or unchanged"}},
              summary="Submit a lead (a known reference updates it; the same lead again changes nothing)")
    async def submit_lead(body: LeadSubmission, response: Response, caller: Caller = Depends(rom)) -> WriteResult:
        outcome, lead = await use.submit(deps, use.as_lead(caller.organisation, body))
        if outcome != "registered":
            response.status_code = status.HTTP_200_OK
        return WriteResult(outcome=outcome, lead=lead)

    @app.post("/leads/csv", tags=["leads"], response_model=CsvReport, responses=errors_of_file,
              summary="Check (dry_run, the default) or submit a CSV export of leads, row by row, as the caller's "
                      "organisation")
    async def upload_csv(body: CsvUpload, caller: Caller = Depends(rom)) -> CsvReport:
        return await csv_upload.check_or_import(deps, body.csv, caller.organisation, dry_run=body.dry_run)

    @app.patch("/leads/{lead_id}", tags=["leads"], response_model=WriteResult, responses=NOT_FOUND,
               summary="Change a lead with a JSON merge patch (RFC 7396): give only what changed")
    async def patch_lead(lead_id: UUID, changes: dict[str, Any] = Body(examples=[{"stage": "scale-up"}]),
                         caller: Caller = Depends(rom)) -> WriteResult:
        outcome, lead = await use.patch(deps, caller.organisation, lead_id, changes)
        return WriteResult(outcome=outcome, lead=lead)

    @app.get("/leads", tags=["leads"], response_model=list[LeadSummary],
             summary="The caller's own leads with their case status, newest first")
    async def list_leads(limit: Limit = 100, offset: Offset = 0,
                         status: RomStatus | None = Query(None, description="Only leads with this status."),
                         caller: Caller = Depends(rom)) -> list[LeadSummary]:
        return await use.own_leads(deps, caller.organisation, limit=limit, offset=offset, status=status)

    @app.get("/leads/{lead_id}", tags=["leads"], response_model=LeadDetail, responses=NOT_FOUND,
             summary="One of the caller's leads, as stored, with its case status")
    async def get_lead(lead_id: UUID, caller: Caller = Depends(rom)) -> LeadDetail:
        return await use.own_lead(deps, caller.organisation, lead_id)

    @app.get("/leads/{lead_id}/audit", tags=["leads"], response_model=list[AuditEntry], responses=NOT_FOUND,
             summary="Who changed what and when, for one of the caller's leads")
    async def lead_audit(lead_id: UUID, caller: Caller = Depends(rom)) -> list[AuditEntry]:
        return await use.own_audit(deps, caller.organisation, lead_id)

    @app.get("/reviews", tags=["taskforce"], response_model=list[NameReview],
             summary="Leads with look-alike company names but different KvK numbers (never merged): coordinator")
    async def name_reviews(caller: Caller = Depends(caller_of)) -> list[NameReview]:
        require(caller, "coordinator")
        return await use.open_reviews(deps)

    @app.get("/cases/{case_id}/origins", tags=["taskforce"], response_model=CaseOrigins,
             responses=problems(404, d404="No such case"),
             summary="Every organisation that signalled the company of a case (coordinator)")
    async def case_origins(case_id: UUID, caller: Caller = Depends(caller_of)) -> CaseOrigins:
        require(caller, "coordinator")
        return await use.case_origins(deps, case_id)

    @app.get("/cases", tags=["taskforce"], response_model=list[TaskforceCase],
             summary="Cases with stage, region and status, newest first (coordinator: the taskforce's board)")
    async def taskforce_cases(status: Literal["open", "closed"] | None = Query(None, description="All when left out."),
                              limit: Limit = 500, offset: Offset = 0,
                              caller: Caller = Depends(caller_of)) -> list[TaskforceCase]:
        require(caller, "coordinator")
        return await use.taskforce_cases(deps, status=status, limit=limit, offset=offset)

    @app.post("/cases/search", tags=["taskforce"], response_model=BoardCases, responses=problems(422),
              summary="One page of the board: cases filtered by status, region, stage, code name and ids, with counts "
                      "(coordinator)")
    async def board_cases(query: BoardQuery, caller: Caller = Depends(caller_of)) -> BoardCases:
        require(caller, "coordinator")
        return await use.board_cases(deps, query)

    @app.get("/cases/{case_id}", tags=["taskforce"], response_model=CaseDossier,
             responses=problems(404, d404="No such case"),
             summary="A case with the company's identity, its demand and every origin (coordinator, under the NDA)")
    async def case_dossier(case_id: UUID, caller: Caller = Depends(caller_of)) -> CaseDossier:
        require(caller, "coordinator")
        return await use.case_dossier(deps, case_id)

    @app.post("/reviews/{review_id}/decision", tags=["taskforce"], response_model=NameReview,
              responses=problems(404, d404="No open review with this id"),
              summary="Record whether two look-alike names are different companies or the same (never merges)")
    async def decide_review(review_id: Id, decision: ReviewDecision,
                            caller: Caller = Depends(caller_of)) -> NameReview:
        require(caller, "coordinator")
        # Through the workbench the person who decided is kept, not only the organisation.
        return await use.decide_review(deps, caller.person or caller.organisation, review_id, decision)

    @app.post("/leads/{lead_id}/erasure", tags=["leads"], response_model=Erasure, responses=NOT_FOUND,
              summary="Erase the company's identity on request (GDPR art. 17): the ROM of the lead, or the coordinator")
    async def erase_identity(lead_id: UUID, caller: Caller = Depends(caller_of)) -> Erasure:
        require(caller, "rom", "coordinator")
        return await use.erase_identity(deps, caller, lead_id)

    @app.get("/identity-keys/{key_id}", tags=["system"], response_model=IdentityKey,
             responses=problems(404, 410, d404="No such key", d410="The key was destroyed: the identity was erased"),
             summary="The key that opens a sealed identity in consent-granted (notifications only)")
    async def identity_key(key_id: UUID, caller: Caller = Depends(caller_of)) -> IdentityKey:
        require(caller, "service")
        if caller.organisation != KEY_READER:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "only notifications opens sealed identities")
        return await use.identity_key(deps, key_id)

    return app


def _errors(app: FastAPI) -> None:
    """A rejected lead names the field and the reason; another organisation's lead is simply not found."""

    @app.exception_handler(use.InvalidLead)
    async def invalid_lead(_: Request, err: use.InvalidLead) -> JSONResponse:
        return JSONResponse({"detail": err.errors}, status_code=422)

    @app.exception_handler(csv_upload.BadFile)
    async def bad_file(_: Request, err: csv_upload.BadFile) -> JSONResponse:
        return JSONResponse({"detail": err.errors}, status_code=422)

    @app.exception_handler(use.CaseNotFound)
    async def no_case(_: Request, err: use.CaseNotFound) -> JSONResponse:
        return JSONResponse({"detail": "case not found"}, status_code=404)

    @app.exception_handler(use.ReviewNotFound)
    async def no_review(_: Request, err: use.ReviewNotFound) -> JSONResponse:
        return JSONResponse({"detail": "no open review with this id"}, status_code=404)

    @app.exception_handler(use.KeyNotFound)
    async def no_key(_: Request, err: use.KeyNotFound) -> JSONResponse:
        return JSONResponse({"detail": "no such identity key"}, status_code=404)

    @app.exception_handler(use.KeyErased)
    async def key_erased(_: Request, err: use.KeyErased) -> JSONResponse:
        return JSONResponse({"detail": "the identity was erased: its key is destroyed"}, status_code=410)

    @app.exception_handler(use.LeadNotFound)
    async def not_found(_: Request, err: use.LeadNotFound) -> JSONResponse:
        return JSONResponse({"detail": "lead not found"}, status_code=404)
