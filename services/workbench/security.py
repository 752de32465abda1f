"""Sessions and CSRF tokens for people's browsers.

The session cookie is a random id (HttpOnly, SameSite=Lax, Secure outside development); the server keeps its
hash with an absolute expiry and an idle limit, so sign-out ends it for good. Every form carries a CSRF token:
an itsdangerous-signed, time-limited copy of a random value the browser also holds in its own HttpOnly cookie
(signed double submit). A POST whose token is missing, forged, stale or for another browser is refused (403).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.workbench import repository
from services.workbench.accounts import Account
from services.workbench.config import WorkbenchSettings
from shared.auth import Role
from shared.db import transaction

SESSION_COOKIE = "wb_session"
CSRF_COOKIE = "wb_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"  # htmx requests send the token as a header (hx-headers on <body>)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Person:
    """Who is signed in, as the other services will be told (shared.auth person tokens)."""

    username: str
    name: str
    role: Role
    organisation: str


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Sessions:
    def __init__(self, settings: WorkbenchSettings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.db = sessions

    async def start(self, account: Account, *, id_token: str | None = None) -> str:
        """A new session for the account (with the provider's ID token after an OIDC sign-in); the cookie value."""
        secret = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        async with transaction(self.db) as session:
            await repository.add_session(session, id_hash=_hash(secret), username=account.username,
                                         role=account.role, organisation=account.organisation, name=account.name,
                                         now=now, expires_at=now + timedelta(hours=self.settings.session_hours),
                                         id_token=id_token)
        return secret

    async def person(self, request: Request) -> Person | None:
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret:
            return None
        now = datetime.now(UTC)
        async with transaction(self.db) as session:
            row = await repository.live_session(session, id_hash=_hash(secret), now=now,
                                                idle_since=now - timedelta(minutes=self.settings.idle_minutes))
        return Person(row.username, row.name, row.role, row.organisation) if row else None

    async def end(self, request: Request) -> str | None:
        """End the browser's session for good; returns the ID token it was signed in with through OIDC, if any."""
        secret = request.cookies.get(SESSION_COOKIE)
        if not secret:
            return None
        async with transaction(self.db) as session:
            return await repository.end_session(session, id_hash=_hash(secret), now=datetime.now(UTC))

    def set_cookie(self, response: Response, secret: str) -> None:
        response.set_cookie(SESSION_COOKIE, secret, httponly=True, samesite="lax",
                            secure=not self.settings.development, path="/",
                            max_age=int(self.settings.session_hours * 3600))

    @staticmethod
    def clear_cookie(response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")


class Csrf:
    def __init__(self, settings: WorkbenchSettings) -> None:
        self.settings = settings
        self.signer = URLSafeTimedSerializer(settings.session_secret.get_secret_value(), salt="workbench-csrf")
        self.max_age = int(settings.session_hours * 3600)

    def binding(self, request: Request) -> tuple[str, bool]:
        """The browser's CSRF binding value, and whether it is new (then the response must set the cookie)."""
        present = request.cookies.get(CSRF_COOKIE)
        return (present, False) if present else (secrets.token_urlsafe(24), True)

    def token(self, binding: str) -> str:
        return self.signer.dumps(binding)

    def set_cookie(self, response: Response, binding: str) -> None:
        response.set_cookie(CSRF_COOKIE, binding, httponly=True, samesite="strict",
                            secure=not self.settings.development, path="/")

    async def check(self, request: Request) -> None:
        """Refuse an unsafe request whose form field (or header) does not carry this browser's signed token."""
        if request.method in SAFE_METHODS:
            return
        binding = request.cookies.get(CSRF_COOKIE)
        presented = request.headers.get(CSRF_HEADER)
        if presented is None and "form" in request.headers.get("content-type", ""):
            presented = (await request.form()).get(CSRF_FIELD)
        if not binding or not isinstance(presented, str) or not self._valid(presented, binding):
            raise HTTPException(403, "csrf")

    def _valid(self, presented: str, binding: str) -> bool:
        try:
            signed = self.signer.loads(presented, max_age=self.max_age)
        except BadSignature:
            return False
        return isinstance(signed, str) and hmac.compare_digest(signed, binding)
