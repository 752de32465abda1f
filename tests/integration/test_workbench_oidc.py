"""Sign-in through OpenID Connect: a small identity provider on loopback (discovery, JWKS, authorize, token,
end_session), the workbench's authlib client talking to it over real HTTP, the refusals a forged answer must meet,
and sign-out ending the provider's session too (RP-Initiated Logout)."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from base64 import urlsafe_b64encode
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
import uvicorn
from authlib.jose import JsonWebKey, jwt
from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse

from services.workbench import accounts, repository
from services.workbench.app import create_app
from services.workbench.config import WorkbenchSettings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
CLIENT_ID, CLIENT_SECRET = "workbench-test", "a client secret for the test only"
LOCAL_PASSWORD = "a local password for the test only"


class Provider:
    """An auto-approving identity provider; `claims` and `mode` say what its next ID token holds."""

    def __init__(self) -> None:
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "test"})
        self.other_key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "test"})
        self.issuer = ""
        self.codes: dict[str, dict] = {}
        self.claims: dict = {}
        self.mode = "honest"
        self.advertises_end_session = True
        self.issued: list[str] = []  # the ID tokens handed out, newest last
        self.sign_outs: list[dict] = []  # the end_session requests received, as their query parameters
        self.app = self._app()

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/.well-known/openid-configuration")
        async def discovery() -> dict:
            found = {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                     "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                     "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
                     "code_challenge_methods_supported": ["S256"]}
            if self.advertises_end_session:
                found["end_session_endpoint"] = f"{self.issuer}/end-session"
            return found

        @app.get("/end-session")
        async def end_session(request: Request) -> RedirectResponse:
            query = dict(request.query_params)
            self.sign_outs.append(query)
            back = f"{query['post_logout_redirect_uri']}?{urlencode({'state': query['state']})}"
            return RedirectResponse(back)

        @app.get("/jwks")
        async def jwks() -> dict:
            return {"keys": [self.key.as_dict(is_private=False)]}

        @app.get("/authorize")
        async def authorize(request: Request) -> RedirectResponse:
            query = request.query_params
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"nonce": query["nonce"], "challenge": query["code_challenge"],
                                "redirect_uri": query["redirect_uri"]}
            return RedirectResponse(f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}")

        @app.post("/token")
        async def token(request: Request, code: str = Form(), code_verifier: str = Form()) -> dict:
            grant = self.codes.pop(code)
            digest = urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
            assert digest == grant["challenge"], "PKCE verifier does not match"
            assert request.headers["authorization"] == "Basic " + urlsafe_b64encode(
                f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            now = int(time.time())
            claims = {"iss": self.issuer, "sub": "person-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                      "nonce": grant["nonce"], "name": "Femke", **self.claims}
            if self.mode == "audience":
                claims["aud"] = "another-client"
            if self.mode == "nonce":
                claims["nonce"] = "not-the-nonce"
            key = self.other_key if self.mode == "forged" else self.key
            id_token = jwt.encode({"alg": "RS256", "kid": "test"}, claims, key).decode()
            self.issued.append(id_token)
            return {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "expires_in": 300,
                    "id_token": id_token}

        return app


@pytest.fixture(scope="module")
def provider():
    idp = Provider()
    server = uvicorn.Server(uvicorn.Config(idp.app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    idp.issuer = f"http://127.0.0.1:{port}"
    yield idp
    server.should_exit = True
    thread.join(5)


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
