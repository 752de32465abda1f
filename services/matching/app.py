"""Matching's process: HTTP routes only (subscribers are wired in bootstrap)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from services.matching import catalogue_listing, coordinator, repository, site_owners, site_upload
from services.matching.bootstrap import bootstrap
from services.matching.config import MatchingSettings
from services.matching.views import (
    CaseLine,
    CaseProposals,
    DecisionResult,
    OutcomeResult,
    SiteDeleted,
    SiteHistoryEntry,
    SiteId,
    SiteImport,
    SiteListing,
    SitePatch,
    SiteRecord,
    SiteRetirement,
    SiteUpload,
    SiteView,
    SiteWrite,
    StuckCase,
    errors,
    site_view,
)
from shared.auth import Caller, require
from shared.contracts.events import Region
from shared.db import transaction
from shared.http import Limit, Offset, rejections
from shared.runtime import http_app

BOARD_PAGE_MOST = 200  # the ids of one board page travel in the URL: ~37 characters each

SUPPLY_ROLES = ("coordinator", "province", "municipality")
OWNERS = ("A municipality or province may change only the sites that lie in it (before and after the change); "
          "the coordinator any site.")


def create_app(settings: MatchingSettings | None = None) -> FastAPI:
    deps = bootstrap(settings or MatchingSettings())
    runtime = deps.runtime
    app = http_app(runtime, title="Groeiruimte matching",
                   description="The supply catalogue, ranked and explained site proposals per case, the "
                               "coordinator's decisions and the cases' outcomes.")
    app.state.deps = deps
    caller_of = app.state.caller

    @app.exception_handler(coordinator.Problem)
    async def problem(_: Request, exc: coordinator.Problem) -> JSONResponse:
        detail = rejections(exc.detail) if exc.status == 422 else exc.detail
        extra = {"refusal": exc.refusal} if exc.refusal else {}
        return JSONResponse(status_code=exc.status, content={"detail": detail, **extra})


    @app.get("/cases", tags=["coordinator"], summary="All matched cases, newest match first",
             response_model=list[CaseLine], responses=errors(422))
    async def cases(status: Literal["open", "closed"] | None = None,
                    case_id: list[UUID] | None = Query(None, max_length=BOARD_PAGE_MOST,
                                                       description="Only these cases (the board's page); every "
                                                                   "matched case when left out."),
                    caller: Caller = Depends(caller_of)) -> list[CaseLine]:
        require(caller, "coordinator")
        async with runtime.sessions() as session:
            rows = await repository.list_matches(session, status=status, case_ids=case_id)
        return [CaseLine.model_validate(row) for row in rows]

    @app.get("/cases/without-proposition", tags=["coordinator"], response_model=list[StuckCase],
             summary="Open cases no site anywhere qualifies for, with what blocked each region (coordinator)")
    async def stuck_cases(caller: Caller = Depends(caller_of)) -> list[StuckCase]:
        require(caller, "coordinator")
        async with runtime.sessions() as session:
            return [StuckCase.model_validate(row) for row in await repository.stuck_matches(session)]

    @app.get("/cases/{case_id}/proposals", tags=["coordinator"], summary="A case's ranked proposals",
             response_model=CaseProposals, responses=errors(404, 422, d404="No such case, or not matched yet."))
    async def proposals(case_id: UUID, caller: Caller = Depends(caller_of)) -> CaseProposals:
        require(caller, "coordinator")
        async with runtime.sessions() as session:
            match = await repository.get_match(session, case_id)
            if match is None:
                raise HTTPException(404, f"case_id: no proposals for case {case_id} (unknown case, or not matched "
                                         "yet)")
            decided = await repository.decisions(session, case_id)
        return CaseProposals.model_validate(dict(match) | {"no_proposition": bool(match["no_proposition"]),
                                                          "decisions": decided})

    @app.post("/cases/{case_id}/proposals/{site_id}/decision", tags=["coordinator"], response_model=DecisionResult,
              responses=errors(400, 404, 409, 422, d404="No such case, or the site is not among its proposals.",
                               d409="The case is closed."),
              summary="Accept or decline one proposed site, with a reason (emits proposal-decided)")
    async def decide(case_id: UUID, site_id: SiteId, body: coordinator.Decision,
                     caller: Caller = Depends(caller_of)) -> DecisionResult:
        require(caller, "coordinator")
        async with transaction(runtime.sessions) as session:
            return await coordinator.decide(session, case_id, site_id, body, caller, deps=deps)

    @app.post("/cases/{case_id}/outcome", tags=["coordinator"], response_model=OutcomeResult,
              responses=errors(400, 404, 409, 422, d404="No such case, or not matched yet.",
                               d409="The case is closed."),
              summary="Record the company's decision (emits relocation-realised and/or case-closed)")
    async def outcome(case_id: UUID, body: coordinator.Outcome, caller: Caller = Depends(caller_of)) -> OutcomeResult:
        require(caller, "coordinator")
        async with transaction(runtime.sessions) as session:
            return await coordinator.record_outcome(session, case_id, body, deps=deps)

    @app.get("/sites", tags=["supply"], summary="The supply catalogue (retired sites only when asked for)",
             response_model=list[SiteView], responses=errors(422))
    async def sites(region: Region | None = None, include_retired: bool = False,
                    caller: Caller = Depends(caller_of)) -> list[SiteView]:
        require(caller, *SUPPLY_ROLES, "rom")
        async with runtime.sessions() as session:
            rows = await repository.list_sites(session, region=region, include_retired=include_retired)
        return [site_view(r) for r in rows]

    @app.post("/sites/import", tags=["supply"], response_model=SiteImport, responses=errors(403, 422, d403=OWNERS),
              summary="Check (dry_run, the default) or load a CSV or GeoJSON file of sites, row by row: a row for "
                      "a site the caller may not change is refused on its row")
    async def import_sites(body: SiteUpload, caller: Caller = Depends(caller_of)) -> SiteImport:
        require(caller, *SUPPLY_ROLES)
        if body.dry_run:
            async with runtime.sessions() as session:
                return await site_upload.check_or_load(session, body, caller, deps=deps)
        async with transaction(runtime.sessions) as session:
            return await site_upload.check_or_load(session, body, caller, deps=deps)

    @app.get("/sites/catalogue", tags=["supply"], response_model=SiteListing, responses=errors(422),
             summary="The live catalogue a page at a time, filtered by name or hotspot, region and province, with "
                     "the kept sites counted per municipality (for a map)")
    async def catalogue_page(q: str = Query("", max_length=100, pattern=r"^[^\x00]*$"), region: Region | None = None,
                             province: str | None = Query(None, pattern=r"^PV\d{2}$"), limit: Limit = 100,
                             offset: Offset = 0, caller: Caller = Depends(caller_of)) -> SiteListing:
        require(caller, *SUPPLY_ROLES, "rom")
        async with runtime.sessions() as session:
            return await catalogue_listing.listing(session, q=q.strip(), region=region.value if region else None,
                                                   province=province,
                                                   limit=limit, offset=offset)

    @app.get("/sites/{site_id}", tags=["supply"], summary="One site (also when retired)", response_model=SiteView,
             responses=errors(404, 422, d404="No such site."))
    async def one_site(site_id: SiteId, caller: Caller = Depends(caller_of)) -> SiteView:
        require(caller, *SUPPLY_ROLES, "rom")
        async with runtime.sessions() as session:
            found = await repository.site_row(session, site_id)
        if found is None:
            raise HTTPException(404, f"site_id: no site {site_id!r}")
        return site_view(found)

    @app.put("/sites/{site_id}", tags=["supply"], response_model=SiteWrite,
             responses=errors(400, 403, 422, d403=OWNERS),
             summary="Create or replace a site (emits site-changed; re-matches affected open cases)")
    async def put_site(site_id: SiteId, body: SiteRecord, caller: Caller = Depends(caller_of)) -> SiteWrite:
        require(caller, *SUPPLY_ROLES)
        record = body.model_dump(mode="json", exclude={"id"} if body.id is None else set())
        async with transaction(runtime.sessions) as session:
            return await site_owners.change_site(session, site_id, record, caller, deps=deps, replace=True)

    @app.patch("/sites/{site_id}", tags=["supply"], response_model=SiteWrite,
               responses=errors(400, 403, 404, 422, d403=OWNERS, d404="No such site: create it with PUT."),
               summary="Change some fields of a site (emits site-changed; re-matches affected open cases)")
    async def patch_site(site_id: SiteId, body: SitePatch, caller: Caller = Depends(caller_of)) -> SiteWrite:
        require(caller, *SUPPLY_ROLES)
        async with transaction(runtime.sessions) as session:
            return await site_owners.change_site(session, site_id, body.model_dump(mode="json", exclude_unset=True),
                                                 caller, deps=deps, replace=False)

    @app.post("/sites/{site_id}/retire", tags=["supply"], response_model=SiteWrite,
              responses=errors(400, 403, 404, 422, d403=OWNERS, d404="No such site."),
              summary="Retire a site: never proposed again, kept with its history (emits site-changed; "
                      "re-matches affected open cases)")
    async def retire_site(site_id: SiteId, body: SiteRetirement, caller: Caller = Depends(caller_of)) -> SiteWrite:
        require(caller, *SUPPLY_ROLES)
        async with transaction(runtime.sessions) as session:
            return await site_owners.retire_site(session, site_id, body.reason, caller, deps=deps)

    @app.delete("/sites/{site_id}", tags=["supply"], response_model=SiteDeleted,
                responses=errors(403, 404, 422, d403="Only the coordinator deletes sites.", d404="No such site."),
                summary="Delete a wrong entry, with a reason (coordinator; its history keeps an audit entry; "
                        "emits site-changed with deleted; re-matches affected open cases)")
    async def delete_site(site_id: SiteId, reason: str = Query(min_length=1, max_length=500, pattern=r"^[^\x00]*$"),
                          caller: Caller = Depends(caller_of)) -> SiteDeleted:
        require(caller, "coordinator")
        async with transaction(runtime.sessions) as session:
            return await site_owners.delete_site(session, site_id, reason, caller, deps=deps)

    @app.get("/sites/{site_id}/history", tags=["supply"], response_model=list[SiteHistoryEntry],
             responses=errors(403, 404, 422, d403="Only the coordinator and the site's own municipality or "
                                                  "province read its history.", d404="No such site, ever."),
             summary="Who changed the site, when, and what (also for retired and deleted sites)")
    async def site_history(site_id: SiteId, caller: Caller = Depends(caller_of)) -> list[SiteHistoryEntry]:
        require(caller, *SUPPLY_ROLES)
        async with runtime.sessions() as session:
            return await site_owners.history(session, site_id, caller)

    return app
