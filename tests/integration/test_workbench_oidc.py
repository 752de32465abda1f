"""Sign-in through OpenID Connect: a small identity provider on loopback (discovery, JWKS, authorize, token,
end_session), the workbench's authlib client talking to it over real HTTP, the refusals a forged answer must meet,
and sign-out ending the provider's session too (RP-Initiated Logout)."""

from __future__ import annotations

import re
import socket
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from services.workbench import accounts, repository
from services.workbench.app import create_app
from services.workbench.config import WorkbenchSettings
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, serving

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
LOCAL_PASSWORD = "a local password for the test only"


@pytest.fixture(scope="module")
def provider():
    with serving(Provider()) as idp:
        yield idp


@pytest.fixture
async def app(database_url, tmp_path, provider):
    provider.mode, provider.claims = "honest", {"groeiruimte_role": "rom", "groeiruimte_organisation": "nom"}
    provider.advertises_end_session = True
    accounts.create(tmp_path / "accounts.json", username="lokaal", name="Lokaal", role="rom", organisation="nom",
                    password=LOCAL_PASSWORD)
    app = create_app(WorkbenchSettings(database_url=database_url, accounts_file=tmp_path / "accounts.json",
                                       public_url="http://workbench", oidc_issuer=provider.issuer,
                                       oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET))
    yield app
    await app.state.deps.close()


@pytest.fixture
async def browser(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://workbench") as client:
        yield client


async def through_provider(browser: httpx.AsyncClient, *, state: str | None = None) -> httpx.Response:
    """Start at the sign-in page's button, let the provider approve, come back to the callback."""
    away = await browser.get("/login/oidc")
    assert away.status_code == 302
    authorize = urlparse(away.headers["location"])
    query = parse_qs(authorize.query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    async with httpx.AsyncClient() as outside:
        back = await outside.get(away.headers["location"])
    callback = urlparse(back.headers["location"])
    params = parse_qs(callback.query)
    if state is not None:
        params["state"] = [state]
    return await browser.get(callback.path, params={k: v[0] for k, v in params.items()})


async def refusals(app) -> list[tuple[str, str]]:
    async with app.state.deps.db() as session:
        return [(r.action, r.outcome) for r in await repository.audit_trail(session, username="oidc:person-1")]


async def sign_out(browser: httpx.AsyncClient) -> httpx.Response:
    """The sign-out button: a POST with the form's CSRF token (the sign-in page's is this browser's too)."""
    page = await browser.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return await browser.post("/sign-out", data={"csrf_token": token})


async def test_a_person_with_a_role_signs_in_through_the_organisation_and_lands_on_their_page(app, browser):
    page = await browser.get("/sign-in")
    assert "Inloggen via uw organisatie" in page.text and 'href="/login/oidc"' in page.text
    signed = await through_provider(browser)
    assert signed.status_code == 303 and "wb_session" in browser.cookies
    home = await browser.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/leads"
    assert ("sign-in", "done") in await refusals(app)


@pytest.mark.parametrize("mode", ["forged", "audience", "nonce"])
async def test_an_id_token_that_does_not_hold_is_refused(app, browser, provider, mode):
    provider.mode = mode
    refused = await through_provider(browser)
    assert refused.status_code == 403 and "niet gelukt" in refused.text
    assert "wb_session" not in browser.cookies


async def test_a_wrong_state_is_refused(app, browser):
    refused = await through_provider(browser, state="a-state-of-another-browser")
    assert refused.status_code == 403 and "wb_session" not in browser.cookies


async def test_an_unknown_role_is_refused_with_a_reason_and_audited(app, browser, provider):
    provider.claims = {"groeiruimte_role": "admin", "groeiruimte_organisation": "nom"}
    refused = await through_provider(browser)
    assert refused.status_code == 403 and "uw rol geeft geen toegang" in refused.text
    assert "wb_session" not in browser.cookies
    assert ("sign-in", "refused") in await refusals(app)


def test_the_client_secret_is_required_outside_development(monkeypatch):
    monkeypatch.setenv("GROEIRUIMTE_ENV", "production")
    settings = WorkbenchSettings(oidc_issuer="https://idp.example", session_secret="s" * 40)
    with pytest.raises(Exception, match="WORKBENCH_OIDC_CLIENT_SECRET"):
        settings.refuse_unsafe()




async def test_signing_out_ends_the_local_session_first_then_the_providers(app, browser, provider):
    await through_provider(browser)
    # A browser holds the sign-out form's redirect to form-action: the provider's origin must be allowed there.
    page = await browser.get("/sign-in")
    assert f"form-action 'self' {provider.issuer};" in page.headers["content-security-policy"]
    left = await sign_out(browser)
    assert left.status_code == 303
    away = urlparse(left.headers["location"])
    assert f"{away.scheme}://{away.netloc}{away.path}" == f"{provider.issuer}/end-session"
    query = {k: v[0] for k, v in parse_qs(away.query).items()}
    assert query["id_token_hint"] == provider.issued[-1] and query["client_id"] == CLIENT_ID
    assert query["post_logout_redirect_uri"] == "http://workbench/sign-out/done" and query["state"]
    # Before the browser gets to the provider, the workbench's own session has ended and its cookie is gone.
    assert "wb_session" not in browser.cookies
    assert (await browser.get("/")).headers["location"].startswith("/sign-in")

    async with httpx.AsyncClient() as outside:
        back = await outside.get(left.headers["location"])
    assert provider.sign_outs[-1]["state"] == query["state"]
    landed = await browser.get(back.headers["location"])
    assert landed.status_code == 303 and landed.headers["location"] == "/sign-in"
    assert ("provider-sign-out", "done") in await refusals(app)
    assert ("sign-out", "done") in await refusals(app)


async def test_a_stolen_session_cookie_is_dead_after_an_oidc_sign_out(app, browser):
    await through_provider(browser)
    cookie = browser.cookies["wb_session"]
    await sign_out(browser)
    replayed = await browser.get("/", cookies={"wb_session": cookie})
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/sign-in")


async def test_a_local_account_or_a_provider_without_end_session_signs_out_here_only(app, browser, provider):
    page = await browser.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed = await browser.post("/sign-in", data={"username": "lokaal", "password": LOCAL_PASSWORD,
                                                  "csrf_token": token})
    assert signed.status_code == 303
    before = len(provider.sign_outs)
    local = await sign_out(browser)
    assert local.status_code == 303 and local.headers["location"] == "/sign-in"

    # A provider whose discovery document has no end_session_endpoint (read afresh by each test's app).
    provider.advertises_end_session = False
    await through_provider(browser)
    oidc_only = await sign_out(browser)
    assert oidc_only.status_code == 303 and oidc_only.headers["location"] == "/sign-in"
    assert "wb_session" not in browser.cookies
    assert len(provider.sign_outs) == before


async def test_a_provider_that_cannot_be_reached_at_sign_out_leaves_the_local_sign_out_done(app, browser, database_url,
                                                                                          tmp_path):
    await through_provider(browser)
    # The workbench restarted (the session lives on in the database) and the provider is away now.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        away = f"http://127.0.0.1:{s.getsockname()[1]}"
    restarted = create_app(WorkbenchSettings(database_url=database_url, accounts_file=tmp_path / "accounts.json",
                                             public_url="http://workbench", oidc_issuer=away, oidc_client_id=CLIENT_ID,
                                             oidc_client_secret=CLIENT_SECRET))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(restarted), base_url="http://workbench",
                                     cookies=browser.cookies) as again:
            left = await sign_out(again)
            assert left.status_code == 303 and left.headers["location"] == "/sign-in"
            assert (await again.get("/")).headers["location"].startswith("/sign-in")
    finally:
        await restarted.state.deps.close()
    assert ("provider-sign-out", "unreachable") in await refusals(app)
