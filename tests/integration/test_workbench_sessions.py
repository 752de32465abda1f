"""The workbench's sign-in, sessions, CSRF and audit trail on real PostgreSQL (no other service needed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from services.workbench import accounts, repository
from services.workbench.app import create_app
from services.workbench.config import WorkbenchSettings
from services.workbench.orm import web_session
from shared.db import transaction

pytestmark = pytest.mark.integration
PASSWORD = "a password long enough"
# This module's own person: the audit trail it reads is hers alone, whatever other tests of the run did.
USER = "marit-sessies"


@pytest.fixture
async def app(database_url, tmp_path):
    accounts.create(tmp_path / "accounts.json", username=USER, name="Marit", role="coordinator",
                    organisation="taskforce", password=PASSWORD)
    app = create_app(WorkbenchSettings(database_url=database_url, accounts_file=tmp_path / "accounts.json"))
    yield app
    await app.state.deps.close()


@pytest.fixture
async def browser(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://workbench") as client:
        yield client


async def csrf_of(browser: httpx.AsyncClient, path: str = "/sign-in") -> str:
    page = (await browser.get(path)).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


async def sign_in(browser, password: str = PASSWORD) -> httpx.Response:
    token = await csrf_of(browser)
    return await browser.post("/sign-in", data={"username": USER, "password": password, "csrf_token": token,
                                                "next": "/board"})


async def trail(app, username: str) -> list[tuple[str, str]]:
    async with app.state.deps.db() as session:
        return [(r.action, r.outcome) for r in reversed(await repository.audit_trail(session, username=username))]


async def test_signing_in_sets_a_protected_cookie_and_every_step_is_audited(app, browser):
    refused = await sign_in(browser, password="not the password at all")
    assert refused.status_code == 401 and "wb_session" not in browser.cookies
    signed = await sign_in(browser)
    assert signed.status_code == 303 and signed.headers["location"] == "/board"
    cookie = next(h for h in signed.headers.get_list("set-cookie") if h.startswith("wb_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # development mode (the tests): plain http on loopback
    assert "Content-Security-Policy" in signed.headers

    token = await csrf_of(browser, "/sign-in")
    assert (await browser.post("/sign-out", data={})).status_code == 403  # no CSRF token: refused, still signed in
    out = await browser.post("/sign-out", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert await trail(app, USER) == [("sign-in", "refused"), ("sign-in", "done"), ("sign-out", "done")]


async def test_a_session_ends_at_sign_out_when_idle_and_when_expired(app, browser):
    deps = app.state.deps
    for age in ("ended", "idle", "expired"):
        browser.cookies.clear()
        await sign_in(browser)
        secret = browser.cookies["wb_session"]
        request = httpx.Request("GET", "http://workbench/", cookies={"wb_session": secret})
        assert (await deps.sessions.person(_starlette(request))).username == USER
        await _age(deps, age)
        assert await deps.sessions.person(_starlette(request)) is None, age
        home = await browser.get("/")
        assert home.status_code == 303 and home.headers["location"].startswith("/sign-in"), age


async def test_an_unknown_next_address_never_leaves_the_site(browser):
    token = await csrf_of(browser)
    answer = await browser.post("/sign-in", data={"username": USER, "password": PASSWORD, "csrf_token": token,
                                                  "next": "//elsewhere.example/phish"})
    assert answer.headers["location"] == "/"


async def _age(deps, how: str) -> None:
    now = datetime.now(UTC)
    values = {"ended": {"ended_at": now}, "idle": {"last_seen_at": now - timedelta(hours=1)},
              "expired": {"expires_at": now - timedelta(seconds=1)}}[how]
    async with transaction(deps.db) as session:
        await session.execute(update(web_session).where(web_session.c.username == USER,
                                                        web_session.c.ended_at.is_(None)).values(**values))


def _starlette(request: httpx.Request):
    from starlette.requests import Request

    headers = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    return Request({"type": "http", "method": "GET", "headers": headers, "path": "/", "query_string": b""})
