"""The coordinator's pages: the case board, a case, and the forms to decide proposals and record outcomes
(the taskforce's own case work, owners, notes and follow-ups, is in casework_pages).

Everything comes from the other services' HTTP APIs, called as the coordinator (a person token per request).
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.workbench import casework_pages, problems, views
from services.workbench.bootstrap import Deps
from services.workbench.casework import CONTACTS, today
from services.workbench.forms import REGIONS, STAGES
from services.workbench.i18n import translations
from services.workbench.pages import person_with_role
from services.workbench.render import language
from services.workbench.security import Person
from services.workbench.upstream import UpstreamError

OUTCOMES = ("relocated", "stayed", "left-country", "withdrew")
CASE_STATUSES = ("open", "proposed", "no-proposition")


def router(deps: Deps) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    coordinator = person_with_role(deps, "coordinator")
    read = deps.upstream.read

    @web.get("/board")
    async def board(request: Request, q: str = "", region: str = "", stage: str = "", status: str = "",
                    owner: str = "", page: int = Query(1, ge=1, le=10_000),
                    person: Person = Depends(coordinator)) -> Response:
        filters = views.BoardFilters(q=q.strip()[:100], region=region, stage=stage, status=status,
                                     owner=owner[:64])
        # Intake filters and pages the board on its own fields in one query; the workbench narrows it by owner
        # (its own table, as case ids) and then asks matching and itself only about the page's cases.
        async with deps.db() as session:
            by_owner = await casework_pages.owner_filter(session, filters.owner, views.NO_OWNER)
        found = await board_search(person, views.board_query(filters, page) | by_owner)
        if not found["cases"] and page > 1:  # a page past the last: the last
            page = views.last_page(found["kept"])
            found = await board_search(person, views.board_query(filters, page) | by_owner)
        cases = found["cases"]
        ids = [c["case_id"] for c in cases]
        # Matching's counts and the taskforce's own work on the page, at the same time: neither needs the other.
        (owners, follow_ups), matches = await asyncio.gather(page_work(ids), proposal_counts(person, ids))
        rows = views.BoardPage(rows=views.board(cases, matches, views.BoardFilters(), owners=owners,
                                                   follow_ups=follow_ups),
                               kept=found["kept"], page=page, pages=views.last_page(found["kept"]))
        template = "_board_rows.html.j2" if request.headers.get("hx-request") else "board.html.j2"
        return deps.pages.render(request, template, person=person, rows=rows, filters=filters, regions=REGIONS,
                                 stages=STAGES, statuses=CASE_STATUSES, total=found["open_cases"],
                                 coordinators=casework_pages.coordinators(deps), no_owner=views.NO_OWNER,
                                 today=today(), names=casework_pages.names(deps))

    async def page_work(ids: list[str]):
        async with deps.db() as session:
            return await casework_pages.board_work(session, [UUID(i) for i in ids])

    async def proposal_counts(person: Person, ids: list[str]) -> list:
        return await read(person, "matching", "/cases", params={"case_id": ids}) if ids else []

    async def board_search(person: Person, query: dict) -> dict:
        status, found = await deps.upstream.write(person, "POST", "intake", "/cases/search", query)
        if status >= 400:  # the workbench built a query intake refuses: a bug here, not the person's input
            raise UpstreamError("intake", status, found)
        return found

    async def case_page(person: Person, case_id: UUID) -> views.CasePage:
        dossier, proposals, deliveries = await asyncio.gather(
            read(person, "intake", f"/cases/{case_id}"),
            read(person, "matching", f"/cases/{case_id}/proposals", missing_ok=True),
            read(person, "notifications", "/deliveries", params={"case_id": str(case_id)}))
        async with deps.db() as session:  # the taskforce's own work on the case, after intake let this person in
            notes, owner, reminders = await casework_pages.case_work(session, case_id)
        return views.case_page(dossier, proposals, deliveries, notes, owner=owner, reminders=reminders)

    async def show_case(request: Request, person: Person, case_id: UUID, *, status: int = 200,
                        errors: dict | None = None, form: dict | None = None, notice: str = "") -> Response:
        page = await case_page(person, case_id)
        lang = language(request)
        _ = translations(lang).gettext
        drawn = views.case_map(page, english=lang == "en", title=_("Proposed sites and the current location"),
                               description=_("Numbered circles are the proposed sites by rank; the diamond is "
                                             "where the company is now. The table below the map says the same."))
        return deps.pages.render(request, "case.html.j2", person=person, status=status, case=page, map=drawn,
                                 outcomes=OUTCOMES, errors=errors or {}, form=form or {}, notice=notice,
                                 coordinators=casework_pages.coordinators(deps), contacts=CONTACTS, today=today(),
                                 names=casework_pages.names(deps))

    @web.get("/cases/{case_id}")
    async def case(request: Request, case_id: UUID, notice: str = "",
                   person: Person = Depends(coordinator)) -> Response:
        response = await show_case(request, person, case_id, notice=notice)
        # Reading a company's identity under the NDA is an action of its own.
        await deps.audit(person, "case-viewed", target=str(case_id))
        return response

    @web.post("/cases/{case_id}/proposals/{site_id}/decision")
    async def decide(request: Request, case_id: UUID, site_id: str, decision: str = Form(""),
                     reason: str = Form(""), person: Person = Depends(coordinator)) -> Response:
        body = {"decision": decision, "reason": reason.strip()}
        code, answer = await deps.upstream.write(person, "POST", "matching",
                                                 f"/cases/{case_id}/proposals/{site_id}/decision", body)
        await deps.audit(person, "proposal-decided", target=f"{case_id}/{site_id}",
                         outcome="done" if code < 400 else "refused", decision=decision)
        if code == 422:
            errors = {f"decision-{site_id}-{e['field']}": worded(request, e) for e in answer}
            return await show_case(request, person, case_id, status=422, errors=errors,
                                   form={f"reason-{site_id}": reason})
        return RedirectResponse(f"/cases/{case_id}?notice=decided#proposal-{site_id}", status_code=303)

    @web.post("/cases/{case_id}/outcome")
    async def outcome(request: Request, case_id: UUID, person: Person = Depends(coordinator)) -> Response:
        form = {k: str(v).strip() for k, v in (await request.form()).items() if k != "csrf_token"}
        body = outcome_body(form)
        code, answer = await deps.upstream.write(person, "POST", "matching", f"/cases/{case_id}/outcome", body)
        await deps.audit(person, "outcome-recorded", target=str(case_id),
                         outcome="done" if code < 400 else "refused", case_outcome=form.get("outcome", ""))
        if code == 422:
            errors = {f"outcome-{e['field']}": worded(request, e) for e in answer}
            return await show_case(request, person, case_id, status=422, errors=errors, form=form)
        return RedirectResponse(f"/cases/{case_id}?notice=outcome#outcome", status_code=303)

    casework_pages.add_routes(web, deps, coordinator=coordinator, show_case=show_case, case_page=case_page)
    return web


def worded(request: Request, problem: dict) -> str:
    """A service's 422 entry in the reader's language from its type and limits; its own reason when it has none."""
    lang = language(request)
    return problems.plain(problem, translations(lang).gettext, lang) or problem["reason"]


def outcome_body(form: dict[str, str]) -> dict:
    """The outcome form as matching's JSON: only what was filled in, numbers as numbers."""
    body: dict = {"outcome": form.get("outcome", ""), "reason": form.get("reason", "")}
    for name in ("destination_site_id", "evidence_ref", "investment_status", "destination_country"):
        if form.get(name):
            body[name] = form[name]
    for name, kind in (("investment_retained_eur", float), ("jobs", int)):
        if form.get(name):
            try:
                body[name] = kind(form[name].replace(",", ".") if kind is float else form[name])
            except ValueError:
                body[name] = form[name]
    if form.get("new_scale_up") in ("yes", "no"):
        body["new_scale_up"] = form["new_scale_up"] == "yes"
    return body
