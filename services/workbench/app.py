"""The workbench's process: HTTP routes and wiring only (pages in signin, coordinator and rom)."""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from services.workbench import coordinator, oidc, queue_pages, rom, signin, supply_pages, upload_pages
from services.workbench.bootstrap import Deps, bootstrap
from services.workbench.config import HERE, WorkbenchSettings
from services.workbench.pages import SignInRequired, current_person
from services.workbench.security import Person
from services.workbench.upstream import UpstreamError
from shared.observability import serve_http_probes

SECURITY_HEADERS = {
    # Everything is served from here: no script, style, font or image from anywhere else, no framing. Style
    # attributes are allowed for the inline SVG maps (shared.geo sizes them so); autoescaping keeps out others'.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "style-src-attr 'unsafe-inline'; script-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(settings: WorkbenchSettings | None = None) -> FastAPI:
    deps = bootstrap(settings or WorkbenchSettings())
    # httpx logs every request's URL at INFO: the services log their own requests already.
    logging.getLogger("httpx").setLevel(logging.WARNING)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        try:
            yield
        finally:
            await deps.close()

    # Pages for people, not an API: no OpenAPI document or Swagger UI.
    app = FastAPI(title="Groeiruimte workbench", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.deps = deps
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _errors(app, deps)
    _headers(app, deps.settings)
    csrf = [Depends(deps.csrf.check)]
    oauth = oidc.client(deps) if deps.settings.oidc_issuer else None
    app.include_router(signin.router(deps, oauth), dependencies=csrf)
    if oauth is not None:
        # authlib keeps the state, nonce and PKCE verifier of a sign-in in progress in a signed cookie (and the
        # sign-out's state, while the browser is at the provider).
        app.add_middleware(SessionMiddleware, secret_key=deps.settings.session_secret.get_secret_value(),
                           session_cookie="wb_oidc", same_site="lax", https_only=not deps.settings.development)
        app.include_router(oidc.router(deps, oauth))
    app.include_router(coordinator.router(deps), dependencies=csrf)
    app.include_router(queue_pages.router(deps), dependencies=csrf)
    # Before the ROM and supply pages: /leads/upload and /sites/import would otherwise be read as ids.
    app.include_router(upload_pages.router(deps), dependencies=csrf)
    app.include_router(rom.router(deps), dependencies=csrf)
    app.include_router(supply_pages.router(deps), dependencies=csrf)

    serve_http_probes(app, service="workbench", engine=deps.engine)  # /readyz and /metrics, as every service

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "workbench"}

    @app.get("/", include_in_schema=False)
    async def home(person: Person = Depends(current_person(deps))) -> Response:
        start = {"coordinator": "/board", "rom": "/leads", "municipality": "/sites", "province": "/sites"}
        return RedirectResponse(start.get(person.role, "/leads"), status_code=303)

    return app


def security_headers_for(settings: WorkbenchSettings) -> dict[str, str]:
    """The headers of every answer. With an OIDC provider, sign-out (a form) ends at the provider's end_session
    endpoint: browsers hold a form's redirects to form-action too, so the provider's origin is allowed there."""
    headers = dict(SECURITY_HEADERS)
    if settings.oidc_issuer:
        issuer = urlsplit(settings.oidc_issuer)
        headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
            "form-action 'self'", f"form-action 'self' {issuer.scheme}://{issuer.netloc}")
    return headers


def _headers(app: FastAPI, settings: WorkbenchSettings) -> None:
    headers = security_headers_for(settings)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in headers.items():
            if name != "Cache-Control" or not request.url.path.startswith("/static/"):
                response.headers.setdefault(name, value)
        return response


def _errors(app: FastAPI, deps: Deps) -> None:
    """Errors as pages in the reader's language (a 404 of another organisation's lead looks like any 404)."""

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _: SignInRequired) -> Response:
        target = "/sign-in?next=" + request.url.path if request.method == "GET" else "/sign-in"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return deps.pages.render(request, "error.html.j2", person=_person(request), status=exc.status_code,
                                 code=exc.status_code, reason=str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, _: RequestValidationError) -> Response:
        return deps.pages.render(request, "error.html.j2", person=_person(request), status=400, code=400,
                                 reason="input")

    @app.exception_handler(UpstreamError)
    async def upstream_error(request: Request, exc: UpstreamError) -> Response:
        # A service's 403/404 stands as it is (the service decided about this person); anything else is ours: 502.
        code = exc.status if exc.status in (401, 403, 404, 409) else 502
        return deps.pages.render(request, "error.html.j2", person=_person(request), status=code, code=code,
                                 reason=exc.service)


def _person(request: Request) -> Person | None:
    return getattr(request.state, "person", None)
