"""Sign-in and sign-out with the local accounts file (argon2); every attempt is audited."""

from __future__ import annotations

from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.workbench import accounts, oidc
from services.workbench.bootstrap import Deps
from services.workbench.pages import current_person
from services.workbench.security import Person


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def router(deps: Deps, oauth: OAuth | None = None) -> APIRouter:
    """The sign-in page and sign-out; with `oauth` (the organisation's provider) sign-out ends its session too."""
    web = APIRouter(include_in_schema=False)

    @web.get("/sign-in")
    async def sign_in_page(request: Request, next: str | None = None) -> Response:
        return deps.pages.render(request, "sign_in.html.j2", person=None, next=_safe_next(next), username="",
                                 failed=False, oidc=bool(deps.settings.oidc_issuer))

    @web.post("/sign-in")
    async def sign_in(request: Request, username: str = Form(""), password: str = Form(""),
                      next: str = Form("/")) -> Response:
        name = username.strip().lower()[:64]
        account = accounts.verify(deps.accounts(), name, password)
        if account is None:
            await deps.audit(name or "(empty)", "sign-in", outcome="refused")
            return deps.pages.render(request, "sign_in.html.j2", person=None, status=401, next=_safe_next(next),
                                     username=name, failed=True,
                                     oidc=bool(deps.settings.oidc_issuer))
        secret = await deps.sessions.start(account)
        await deps.audit(Person(account.username, account.name, account.role, account.organisation), "sign-in")
        response = RedirectResponse(_safe_next(next), status_code=303)
        deps.sessions.set_cookie(response, secret)
        return response

    @web.post("/sign-out")
    async def sign_out(request: Request, person: Person = Depends(current_person(deps))) -> Response:
        id_token = await deps.sessions.end(request)  # first, whatever the provider does next
        await deps.audit(person, "sign-out")
        target = None
        if oauth is not None and id_token:
            target = await oidc.provider_sign_out(oauth, deps, request, person, id_token)
        response = RedirectResponse(target or "/sign-in", status_code=303)
        deps.sessions.clear_cookie(response)
        return response

    return web
