"""Sign-in through the organisation's OpenID Connect provider (authlib), beside the local accounts file.

authlib discovers the provider from `<issuer>/.well-known/openid-configuration`, sends the browser there with
state, nonce and PKCE (S256), and on the way back checks the ID token's signature (the provider's JWKS), issuer,
audience, nonce and expiry. The workbench then maps two claims to a role and an organisation; a person whose role
is not one of the workbench's, or who has no organisation, is refused (and audited). A signed-in person gets the
same session cookie as a local sign-in, and its ID token is kept with the session.

Signing out (OpenID Connect RP-Initiated Logout 1.0): the local session always ends first; then, for a person
who signed in here and a provider whose discovery document has an `end_session_endpoint`, the browser is sent
there with `id_token_hint`, `post_logout_redirect_uri` (`/sign-out/done`) and `state`, so the provider ends its
session too and sends the browser back to the sign-in page.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode

import httpx
import httpx2
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from joserfc.errors import JoseError

from services.workbench.accounts import Account
from services.workbench.bootstrap import Deps
from services.workbench.labels import N_
from services.workbench.security import Person
from shared.auth import ROLES

PROVIDER = "organisation"
SIGNED_OUT_PATH = "/sign-out/done"
SIGN_OUT_STATE = "sign_out"  # in authlib's signed session cookie: the state sent to the provider, and who left
# Why a sign-in through the organisation was refused, in English message ids (the catalogue has the Dutch).
REFUSED = {
    "token": N_("Signing in through your organisation did not succeed: your organisation's answer could not be "
                "checked. Please try again."),
    "role": N_("You are signed in at your organisation, but your role gives no access to the workbench. "
               "Ask the taskforce for access."),
    "organisation": N_("You are signed in at your organisation, but your organisation is not known. "
                       "Ask the taskforce for access."),
}


def client(deps: Deps) -> OAuth:
    settings = deps.settings
    oauth = OAuth()
    oauth.register(PROVIDER, client_id=settings.oidc_client_id,
                   client_secret=settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret
                   else None,
                   server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
                   client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256"})
    return oauth


def account_of(deps: Deps, claims: dict) -> tuple[Account | None, str]:
    """The person the ID token names, or None with the reason for refusing."""
    settings = deps.settings
    role = str(claims.get(settings.oidc_role_claim) or "")
    organisation = str(claims.get(settings.oidc_organisation_claim) or "").strip()
    username = f"oidc:{claims.get('sub', '')}"[:64]
    if role not in ROLES or role == "service":
        return None, "role"
    if not organisation:
        return None, "organisation"
    name = str(claims.get("name") or claims.get("preferred_username") or claims.get("sub"))
    return Account(username, name, role, organisation, password_hash="", email=str(claims.get("email") or "")), ""


async def provider_sign_out(oauth: OAuth, deps: Deps, request: Request, person: Person,
                            id_token: str) -> str | None:
    """Where to send the browser so the provider ends its session too; None if it has no end_session_endpoint."""
    try:
        metadata = await oauth.organisation.load_server_metadata()
    except (httpx2.HTTPError, httpx.HTTPError, ValueError):  # authlib's HTTP client (httpx2, else httpx) failed:
        # the provider is away; the local session has ended, that must do
        await deps.audit(person, "provider-sign-out", outcome="unreachable", method="oidc")
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    state = secrets.token_urlsafe(16)
    request.session[SIGN_OUT_STATE] = {"state": state, "username": person.username}
    query = urlencode({"id_token_hint": id_token, "client_id": deps.settings.oidc_client_id, "state": state,
                       "post_logout_redirect_uri": deps.settings.public_url.rstrip("/") + SIGNED_OUT_PATH})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def router(deps: Deps, oauth: OAuth) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/login/oidc")
    async def login(request: Request) -> Response:
        callback = deps.settings.public_url.rstrip("/") + "/login/oidc/callback"
        return await oauth.organisation.authorize_redirect(request, callback)

    @web.get("/login/oidc/callback")
    async def callback(request: Request) -> Response:
        try:
            token = await oauth.organisation.authorize_access_token(request)
        except (OAuthError, JoseError, ValueError) as error:  # forged signature, other audience, wrong state or nonce
            await deps.audit("(oidc)", "sign-in", outcome="refused", method="oidc", reason=type(error).__name__)
            return refuse(deps, request, "token")
        claims = dict(token.get("userinfo") or {})
        account, reason = account_of(deps, claims)
        if account is None:
            await deps.audit(f"oidc:{claims.get('sub', '')}"[:64], "sign-in", outcome="refused", method="oidc",
                             reason=reason)
            return refuse(deps, request, reason)
        secret = await deps.sessions.start(account, id_token=token.get("id_token"))
        await deps.audit(Person(account.username, account.name, account.role, account.organisation), "sign-in",
                         method="oidc")
        response = RedirectResponse("/", status_code=303)
        deps.sessions.set_cookie(response, secret)
        return response

    @web.get(SIGNED_OUT_PATH)
    async def signed_out(request: Request, state: str = "") -> Response:
        """The provider's way back after it ended its session; audited as confirmed when the state is ours."""
        sent = request.session.pop(SIGN_OUT_STATE, None) or {}
        confirmed = bool(state) and hmac.compare_digest(state, str(sent.get("state", "")))
        await deps.audit(str(sent.get("username") or "(oidc)"), "provider-sign-out",
                         outcome="done" if confirmed else "unconfirmed", method="oidc")
        return RedirectResponse("/sign-in", status_code=303)

    return web


def refuse(deps: Deps, request: Request, reason: str) -> Response:
    return deps.pages.render(request, "sign_in.html.j2", person=None, status=403, next="/", username="",
                             failed=False, oidc=True, oidc_refused=REFUSED[reason])
