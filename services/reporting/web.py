"""The browser side: the dashboard and the reports as HTML, for the ministry and the coordinator.

A browser cannot send a bearer header from a bookmark, so the token may also come once in the query
(`/dashboard?token=...`): it is then moved into an HTTP-only cookie and the address is cleaned by a redirect.
"""

from __future__ import annotations

import hmac
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.reporting.api import READERS, moment
from services.reporting.projections import Projections
from services.reporting.render import html
from shared.auth import Caller, parse_tokens, require

COOKIE = "groeiruimte_token"


def _lookup(tokens: dict[str, Caller], presented: str | None) -> Caller | None:
    for token, caller in tokens.items():
        if presented and hmac.compare_digest(token.encode(), presented.encode()):
            return caller
    return None


def router(projections: Projections, api_tokens: str) -> APIRouter:
    web = APIRouter(tags=["dashboard"])
    tokens = parse_tokens(api_tokens)

    def browser_caller(request: Request) -> Caller:
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        presented = bearer if scheme.lower() == "bearer" else request.cookies.get(COOKIE)
        caller = _lookup(tokens, presented)
        if caller is None:
            raise HTTPException(401, "log in: open this page once with ?token=<your API token>")
        return require(caller, *READERS)

    def moved_into_cookie(request: Request, token: str) -> Response:
        if _lookup(tokens, token) is None:
            raise HTTPException(401, "unknown token")
        rest = {k: v for k, v in request.query_params.items() if k != "token"}
        target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                            max_age=8 * 3600)
        return response

    @web.get("/dashboard", response_class=HTMLResponse, summary="Progress, trends, regions and bottlenecks "
             "at a glance (aggregates only)")
    async def dashboard(request: Request, as_of: date | None = Query(None), token: str | None = Query(None)):
        if token:
            return moved_into_cookie(request, token)
        browser_caller(request)
        when = as_of or date.today()
        figures, trend = await projections.with_trend(when)
        return HTMLResponse(html.dashboard(figures, trend, csv_link=f"/metrics/figures.csv?as_of={when}"))

    @web.get("/reports/{period}.html", response_class=HTMLResponse,
             summary="The June or December report of a half-year, e.g. /reports/2026-H2.html")
    async def report(request: Request, period: str, token: str | None = Query(None)):
        if token:
            return moved_into_cookie(request, token)
        browser_caller(request)
        when, chosen = moment(None, period)
        figures, trend = await projections.with_trend(when)
        return HTMLResponse(html.report(figures, trend, chosen))

    return web
