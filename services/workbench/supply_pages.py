"""The supply pages: the site catalogue on a map and a table with filters, and a site's edit form.

Everything comes from matching's HTTP API, called as the person signed in; matching decides who may change a
site (the coordinator, or the municipality or province it lies in) and its refusals are shown as they are.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.workbench import supply
from services.workbench.bootstrap import Deps
from services.workbench.forms import REGIONS
from services.workbench.i18n import translations
from services.workbench.pages import person_with_role
from services.workbench.render import language
from services.workbench.security import Person
from services.workbench.upstream import UpstreamError
from shared.contracts.geography import PROVINCES

READERS = ("coordinator", "municipality", "province", "rom")


def router(deps: Deps) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    reader = person_with_role(deps, *READERS)
    read = deps.upstream.read

    @web.get("/sites")
    async def sites(request: Request, q: str = "", region: str = "", province: str = "",
                    page: int = Query(1, ge=1, le=100_000), person: Person = Depends(reader)) -> Response:
        filters = supply.SiteFilters(q=q.strip()[:100], region=region if region in REGIONS else "",
                                     province=province if province in PROVINCES else "")
        lang = language(request)
        _ = translations(lang).gettext
        listing = await read(person, "matching", "/sites/catalogue", params=filters.params(page))
        last = supply.pages_of(listing["kept"])
        if page > last:  # past the last page (the catalogue shrank): the last page
            page = last
            listing = await read(person, "matching", "/sites/catalogue", params=filters.params(page))
        shown = supply.catalogue(listing, filters, page=page, english=lang == "en",
                                 title=_("Sites in the catalogue"),
                                 description=_("Map of the Netherlands with the sites the filters keep; the "
                                               "table beside the map lists the same sites."))
        return deps.pages.render(request, "sites.html.j2", person=person, catalogue=shown, filters=filters,
                                 regions=REGIONS, provinces=PROVINCES)

    async def site_page(request: Request, person: Person, site_id: str, *, form: supply.SiteForm | None = None,
                        status: int = 200, notice: str = "") -> Response:
        site = await read(person, "matching", f"/sites/{site_id}")
        return deps.pages.render(request, "site.html.j2", person=person, status=status, site=site,
                                 form=form or supply.SiteForm.from_site(site), fields=supply.EDITABLE,
                                 editable=supply.may_edit(person.role, person.organisation, site), notice=notice,
                                 provinces=PROVINCES)

    @web.get("/sites/{site_id}")
    async def site(request: Request, site_id: str, notice: str = "", person: Person = Depends(reader)) -> Response:
        return await site_page(request, person, site_id, notice=notice)

    @web.post("/sites/{site_id}")
    async def change_site(request: Request, site_id: str, person: Person = Depends(reader)) -> Response:
        current = await read(person, "matching", f"/sites/{site_id}")
        form = supply.SiteForm.from_form(await request.form())
        body = form.patch(current)
        if not body:
            return RedirectResponse(f"/sites/{site_id}?notice=site-unchanged", status_code=303)
        try:
            code, answer = await deps.upstream.write(person, "PATCH", "matching", f"/sites/{site_id}", body)
        except UpstreamError as refused:
            if refused.status != 403:
                raise
            # not this person's site: matching says whose it is, as facts the page words in the reader's language
            code, answer = 403, ([{"field": "", "reason": refused.detail, "refusal": refused.facts}]
                                 if refused.facts else refused.detail)
        await deps.audit(person, "site-changed", target=site_id, outcome="done" if code < 400 else "refused",
                         fields=sorted(body))
        if code in (403, 422):
            lang = language(request)
            form.take_errors(answer, translations(lang).gettext, lang)
            return await site_page(request, person, site_id, form=form, status=code)
        return RedirectResponse(f"/sites/{site_id}?notice=site-saved", status_code=303)

    return web
