"""A ROM's pages: its own leads with their progress, and the form to submit or correct one.

The form has no validation of its own: intake's API validates (the same rules as Kafka and CSV) and its
422 field errors are shown beside the inputs. Another organisation's lead is a 404 from intake itself.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from services.workbench.bootstrap import Deps
from services.workbench.forms import DOMAINS, REGIONS, STAGES, LeadForm
from services.workbench.i18n import translations
from services.workbench.pages import person_with_role
from services.workbench.render import language
from services.workbench.security import Person


def router(deps: Deps) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    rom = person_with_role(deps, "rom")
    read = deps.upstream.read

    def form_page(request: Request, person: Person, form: LeadForm, *, lead_id: UUID | None = None,
                  status: int = 200) -> Response:
        return deps.pages.render(request, "lead_form.html.j2", person=person, status=status, form=form,
                                 lead_id=lead_id, stages=STAGES, regions=REGIONS, domains=DOMAINS)

    @web.get("/leads")
    async def leads(request: Request, person: Person = Depends(rom)) -> Response:
        found = await read(person, "intake", "/leads")
        return deps.pages.render(request, "leads.html.j2", person=person, leads=found)

    @web.get("/leads/new")
    async def new_lead(request: Request, person: Person = Depends(rom)) -> Response:
        return form_page(request, person, LeadForm())

    @web.post("/leads/new")
    async def submit_lead(request: Request, person: Person = Depends(rom)) -> Response:
        submitted = await request.form()
        form = LeadForm.from_form(submitted, [str(d) for d in submitted.getlist("technology_domains")])
        code, answer = await deps.upstream.write(person, "POST", "intake", "/leads", form.submission())
        if code == 422:
            form.take_errors(answer, translations(language(request)).gettext, language(request))
            await deps.audit(person, "lead-submitted", outcome="refused", fields=sorted(form.errors))
            return form_page(request, person, form, status=422)
        lead_id = answer["lead"]["lead_id"]
        await deps.audit(person, "lead-submitted", target=lead_id, result=answer["outcome"])
        return RedirectResponse(f"/leads/{lead_id}?notice={answer['outcome']}", status_code=303)

    @web.get("/leads/{lead_id}")
    async def lead(request: Request, lead_id: UUID, notice: str = "", person: Person = Depends(rom)) -> Response:
        found = await read(person, "intake", f"/leads/{lead_id}")
        return deps.pages.render(request, "lead.html.j2", person=person, lead=found, notice=notice)

    @web.get("/leads/{lead_id}/edit")
    async def edit_lead(request: Request, lead_id: UUID, person: Person = Depends(rom)) -> Response:
        found = await read(person, "intake", f"/leads/{lead_id}")
        return form_page(request, person, LeadForm.from_lead(found["lead"]), lead_id=lead_id)

    @web.post("/leads/{lead_id}/edit")
    async def correct_lead(request: Request, lead_id: UUID, person: Person = Depends(rom)) -> Response:
        current = await read(person, "intake", f"/leads/{lead_id}")
        submitted = await request.form()
        form = LeadForm.from_form(submitted, [str(d) for d in submitted.getlist("technology_domains")])
        form.values["reference"] = current["reference"]
        code, answer = await deps.upstream.write(person, "PATCH", "intake", f"/leads/{lead_id}",
                                                 form.merge_patch(current["lead"]))
        if code == 422:
            form.take_errors(answer, translations(language(request)).gettext, language(request))
            await deps.audit(person, "lead-corrected", target=str(lead_id), outcome="refused",
                             fields=sorted(form.errors))
            return form_page(request, person, form, lead_id=lead_id, status=422)
        await deps.audit(person, "lead-corrected", target=str(lead_id), result=answer["outcome"])
        return RedirectResponse(f"/leads/{lead_id}?notice={answer['outcome']}", status_code=303)

    return web
