"""The coordinator's queues as pages: look-alike names to review, a case's mails and replies, and the cases
without a proposition anywhere. Coordinators only; each service decides again about the person (person token).
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.workbench import queues
from services.workbench.bootstrap import Deps
from services.workbench.coordinator import worded
from services.workbench.i18n import translations
from services.workbench.pages import person_with_role
from services.workbench.render import language
from services.workbench.security import Person

NOTE_LIMIT = 500  # intake's limit on a review's note


def router(deps: Deps) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    coordinator = person_with_role(deps, "coordinator")
    read = deps.upstream.read

    async def show_reviews(request: Request, person: Person, *, status: int = 200, errors: dict | None = None,
                           form: dict | None = None, notice: str = "") -> Response:
        pairs = queues.review_queue(await read(person, "intake", "/reviews"))
        return deps.pages.render(request, "reviews.html.j2", person=person, status=status, pairs=pairs,
                                 decisions=queues.REVIEW_DECISIONS, errors=errors or {}, form=form or {},
                                 notice=notice)

    @web.get("/reviews")
    async def reviews(request: Request, notice: str = "", person: Person = Depends(coordinator)) -> Response:
        return await show_reviews(request, person, notice=notice if notice in ("review-decided",) else "")

    @web.post("/reviews/{review_id}/decision")
    async def decide_review(request: Request, review_id: int, person: Person = Depends(coordinator)) -> Response:
        form = {k: str(v).strip() for k, v in (await request.form()).items() if k != "csrf_token"}
        decision, note = form.get("decision", ""), form.get("note", "")
        prefix = f"review-{review_id}"
        if decision not in queues.REVIEW_DECISIONS:
            await deps.audit(person, "review-decided", target=str(review_id), outcome="refused")
            _ = translations(language(request)).gettext
            return await show_reviews(request, person, status=422,
                                      errors={f"{prefix}-decision": _("Choose: one company, or two different "
                                                                     "companies.")},
                                      form={f"{prefix}-note": note})
        code, answer = await deps.upstream.write(person, "POST", "intake", f"/reviews/{review_id}/decision",
                                                 {"decision": decision, "note": note[:NOTE_LIMIT]})
        await deps.audit(person, "review-decided", target=str(review_id),
                         outcome="done" if code < 400 else "refused", decision=decision)
        if code == 422:
            errors = {f"{prefix}-{e['field']}": worded(request, e) for e in answer}
            return await show_reviews(request, person, status=422, errors=errors, form={f"{prefix}-note": note})
        return RedirectResponse("/reviews?notice=review-decided", status_code=303)

    @web.get("/cases/{case_id}/mail")
    async def case_mail(request: Request, case_id: UUID, person: Person = Depends(coordinator)) -> Response:
        dossier, deliveries, answers, directory = await asyncio.gather(
            read(person, "intake", f"/cases/{case_id}"),
            read(person, "notifications", "/deliveries", params={"case_id": str(case_id), "limit": 500}),
            read(person, "notifications", f"/cases/{case_id}/replies"),
            read(person, "notifications", "/recipients"))
        names = {r["code"]: r["name"] for r in directory}
        await deps.audit(person, "delivery-log-viewed", target=str(case_id))
        return deps.pages.render(request, "case_mail.html.j2", person=person, dossier=dossier,
                                 mails=queues.mail_log(deliveries, names), replies=queues.replies(answers))

    @web.get("/no-proposition")
    async def no_proposition(request: Request, person: Person = Depends(coordinator)) -> Response:
        cases = queues.stuck_cases(await read(person, "matching", "/cases/without-proposition"))
        return deps.pages.render(request, "no_proposition.html.j2", person=person, cases=cases)

    return web
