"""A small OpenID Connect identity provider on loopback for the tests: discovery, JWKS, an authorize endpoint that
approves at once, a token endpoint that checks PKCE and the client secret, and RP-Initiated Logout's end_session.
Used by the workbench's integration tests (over httpx) and its browser test (chromium follows its redirects)."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import threading
import time
from base64 import urlsafe_b64encode
from collections.abc import Iterator
from urllib.parse import urlencode

import uvicorn
from authlib.jose import JsonWebKey, jwt
from fastapi import FastAPI, Form, Request
from fastapi.responses import RedirectResponse

CLIENT_ID, CLIENT_SECRET = "workbench-test", "a client secret for the test only"


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


@contextlib.contextmanager
def serving(idp: Provider) -> Iterator[Provider]:
    """The provider on a free loopback port (in a thread of this process) until the block ends."""
    server = uvicorn.Server(uvicorn.Config(idp.app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the loopback identity provider did not start"
    idp.issuer = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        yield idp
    finally:
        server.should_exit = True
        thread.join(5)
