"""The browser side: the dashboard and the reports as HTML, for the ministry and the coordinator.

Dutch by default, English with `?lang=en` or the browser's Accept-Language. A browser cannot send a bearer
header from a bookmark, so the token may also come once in the query (`/dashboard?token=...`): it is then moved
into an HTTP-only cookie and the address is cleaned by a redirect.
"""

from __future__ import annotations

import hmac
from datetime import date
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.reporting import disclosed
from services.reporting.api import READERS, PeriodName, moment
from services.reporting.i18n import choose
from services.reporting.projections import Projections
from services.reporting.render import html
from shared.auth import Caller, parse_tokens, require
from shared.http import Day, Text, problems

COOKIE = "groeiruimte_token"
LANG = Query(None, description="nl (default) or en; without it the browser's Accept-Language decides.")
# These pages read the token from a cookie (or the header), not through shared.http's bearer dependency,
# so they document their authentication answers themselves; errors are JSON like everywhere else.
PAGES = {200: {"content": {"text/html": {}}, "description": "The page"},
         303: {"description": "`?token=` was moved into a cookie: the same page without it"}} | problems(401, 403)


def _lookup(tokens: dict[str, Caller], presented: str | None) -> Caller | None:
    for token, caller in tokens.items():
        if presented and hmac.compare_digest(token.encode(), presented.encode()):
            return caller
    return None


def router(projections: Projections, api_tokens: str, extras=None) -> APIRouter:
    """`extras(as_of, period, lang)` adds the qualitative sections and the outlook to the pages (async)."""
    web = APIRouter(tags=["dashboard"], responses=PAGES)
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

    async def more(as_of: date, period, lang: str, reader: str = "ministry") -> dict:
        return await extras(as_of, period, lang, reader) if extras else {}

    @web.get("/dashboard", response_class=HTMLResponse,
             summary="Progress, trends, regions, outlook and bottlenecks at a glance (aggregates only)")
    async def dashboard(request: Request, as_of: Day | None = Query(None), token: Text | None = Query(None),
                        lang: Literal["nl", "en"] | None = LANG,
                        view: Literal["ministry"] | None = Query(None, description="Coordinator: the ministry's view"),
                        accept_language: str | None = Header(None)):
        if token:
            return moved_into_cookie(request, token)
        caller = browser_caller(request)
        (when, _), chosen = moment(as_of, None), choose(lang, accept_language)
        reader = disclosed.reader_of(caller.role, view)
        figures, trend = await disclosed.view_with_trend(projections, when, reader)
        return HTMLResponse(html.dashboard(figures, trend, lang=chosen, csv_link=f"/kpi/figures.csv?as_of={when}",
                                           extra=await more(when, None, chosen, reader)))

    @web.get("/reports/{period}.html", response_class=HTMLResponse,
             summary="The June or December report of a half-year, e.g. /reports/2026-H2.html (the ministry's view)")
    async def report(request: Request, period: PeriodName, token: Text | None = Query(None),
                     lang: Literal["nl", "en"] | None = LANG, accept_language: str | None = Header(None)):
        if token:
            return moved_into_cookie(request, token)
        browser_caller(request)
        when, chosen = moment(None, period)
        language = choose(lang, accept_language)
        figures, trend = await disclosed.view_with_trend(projections, when, "ministry")
        return HTMLResponse(html.report(figures, trend, chosen, lang=language,
                                        extra=await more(when, chosen, language)))

    return web
