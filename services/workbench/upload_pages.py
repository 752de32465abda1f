"""Uploads with a preview, and retiring a site: a ROM's CSV export of leads (/leads/upload) and a file of sites
(/sites/import), each checked row by row by the service that owns the data before anything is written, then loaded
only on the person's confirmation; a site's retirement after a confirmation page (/sites/{id}/retire).

The file travels back with the confirmation (a hidden field of the preview's form), so the workbench keeps no
copy; the service checks it again as it loads it. Who may load what is the service's decision: intake submits a
ROM's rows as that ROM's own leads, matching refuses on its row a site the person may not change.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.workbench import problems, uploads
from services.workbench.bootstrap import Deps
from services.workbench.i18n import translations
from services.workbench.labels import FIELD_HELP
from services.workbench.pages import person_with_role
from services.workbench.render import language
from services.workbench.security import Person
from services.workbench.upstream import UpstreamError

SITE_OWNERS = ("coordinator", "municipality", "province")


def router(deps: Deps) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    _leads(web, deps)
    _sites(web, deps)
    _retire(web, deps)
    return web


async def _uploaded(request: Request) -> tuple[str, str]:
    """The uploaded file's text and name; BadUpload when there is none worth sending."""
    found = (await request.form()).get("file")
    if not isinstance(found, UploadFile):
        raise uploads.BadUpload("empty")
    raw = await found.read(uploads.MAX_BYTES + 1)
    return uploads.text_of(raw), found.filename or ""


def _leads(web: APIRouter, deps: Deps) -> None:
    rom = person_with_role(deps, "rom")

    def page(request: Request, person: Person, *, status: int = 200, **context) -> Response:
        return deps.pages.render(request, "leads_upload.html.j2", person=person, status=status,
                                 **{"report": None, "content": "", "error": "", "done": False, **context})

    @web.get("/leads/upload")
    async def upload_form(request: Request, person: Person = Depends(rom)) -> Response:
        return page(request, person)

    @web.post("/leads/upload")
    async def preview(request: Request, person: Person = Depends(rom)) -> Response:
        try:
            text, _ = await _uploaded(request)
        except uploads.BadUpload as bad:
            await deps.audit(person, "leads-previewed", outcome="refused", problem=str(bad))
            return page(request, person, status=422, error=str(bad))
        return await _send_leads(request, person, text, dry_run=True)

    @web.post("/leads/upload/confirm")
    async def confirm(request: Request, person: Person = Depends(rom)) -> Response:
        text = str((await request.form()).get("content", ""))
        if not text.strip():
            return page(request, person, status=422, error="empty")
        return await _send_leads(request, person, text, dry_run=False)

    async def _send_leads(request: Request, person: Person, text: str, *, dry_run: bool) -> Response:
        code, answer = await deps.upstream.write(person, "POST", "intake", "/leads/csv",
                                                 {"csv": text, "dry_run": dry_run})
        action = "leads-previewed" if dry_run else "leads-uploaded"
        lang = language(request)
        gettext = translations(lang).gettext
        if code == 422:
            await deps.audit(person, action, outcome="refused", problem="file")
            return page(request, person, status=422, error="file",
                        detail=uploads.file_errors(answer, lambda e: problems.plain(e, gettext, lang)))
        report = uploads.lead_report(answer, lambda error: gettext(FIELD_HELP[error["field"]])
                                     if error.get("field") in FIELD_HELP else problems.plain(error, gettext, lang))
        await deps.audit(person, action, rows=len(report.rows), valid=report.valid, refused=report.refused)
        return page(request, person, report=report, content=text if dry_run else "", done=not dry_run)


def _sites(web: APIRouter, deps: Deps) -> None:
    owner = person_with_role(deps, *SITE_OWNERS)

    def page(request: Request, person: Person, *, status: int = 200, **context) -> Response:
        return deps.pages.render(request, "sites_import.html.j2", person=person, status=status,
                                 **{"report": None, "content": "", "format": "csv", "error": "", "done": False,
                                    **context})

    @web.get("/sites/import")
    async def import_form(request: Request, person: Person = Depends(owner)) -> Response:
        return page(request, person)

    @web.post("/sites/import")
    async def preview(request: Request, person: Person = Depends(owner)) -> Response:
        try:
            text, filename = await _uploaded(request)
        except uploads.BadUpload as bad:
            await deps.audit(person, "sites-previewed", outcome="refused", problem=str(bad))
            return page(request, person, status=422, error=str(bad))
        return await _send_sites(request, person, text, uploads.site_format(filename, text), dry_run=True)

    @web.post("/sites/import/confirm")
    async def confirm(request: Request, person: Person = Depends(owner)) -> Response:
        form = await request.form()
        text, kind = str(form.get("content", "")), str(form.get("format", ""))
        if not text.strip() or kind not in uploads.SITE_FORMATS:
            return page(request, person, status=422, error="empty")
        return await _send_sites(request, person, text, kind, dry_run=False)

    async def _send_sites(request: Request, person: Person, text: str, kind: str, *, dry_run: bool) -> Response:
        code, answer = await deps.upstream.write(person, "POST", "matching", "/sites/import",
                                                 {"format": kind, "content": text, "dry_run": dry_run})
        action = "sites-previewed" if dry_run else "sites-imported"
        lang = language(request)
        gettext = translations(lang).gettext
        if code == 422:
            await deps.audit(person, action, outcome="refused", problem="file")
            return page(request, person, status=422, error="file",
                        detail=uploads.file_errors(answer, lambda e: problems.plain(e, gettext, lang)))
        report = uploads.site_report(answer, lambda error: problems.site_error(error, gettext, lang))
        await deps.audit(person, action, rows=len(report.rows), valid=report.valid, refused=report.refused)
        return page(request, person, report=report, content=text if dry_run else "", format=kind,
                    done=not dry_run)


def _retire(web: APIRouter, deps: Deps) -> None:
    owner = person_with_role(deps, *SITE_OWNERS)

    async def page(request: Request, person: Person, site_id: str, *, status: int = 200, reason: str = "",
                   error: str = "") -> Response:
        site = await deps.upstream.read(person, "matching", f"/sites/{site_id}")
        return deps.pages.render(request, "site_retire.html.j2", person=person, status=status, site=site,
                                 reason=reason, errors={"reason": error} if error else {})

    @web.get("/sites/{site_id}/retire")
    async def confirm_page(request: Request, site_id: str, person: Person = Depends(owner)) -> Response:
        return await page(request, person, site_id)

    @web.post("/sites/{site_id}/retire")
    async def retire(request: Request, site_id: str, person: Person = Depends(owner)) -> Response:
        reason = str((await request.form()).get("reason", "")).strip()
        if not reason:
            await deps.audit(person, "site-retired", target=site_id, outcome="refused", fields=["reason"])
            return await page(request, person, site_id, status=422, error="required")
        try:
            code, answer = await deps.upstream.write(person, "POST", "matching", f"/sites/{site_id}/retire",
                                                     {"reason": reason[:500]})
        except UpstreamError as refused:
            await deps.audit(person, "site-retired", target=site_id, outcome="refused", status=refused.status)
            raise
        if code == 422:
            await deps.audit(person, "site-retired", target=site_id, outcome="refused", fields=["reason"])
            lang = language(request)
            return await page(request, person, site_id, status=422, reason=reason, error=uploads.file_errors(
                answer, lambda e: problems.plain(e, translations(lang).gettext, lang)))
        await deps.audit(person, "site-retired", target=site_id)
        return RedirectResponse(f"/sites/{site_id}?notice=site-retired", status_code=303)
