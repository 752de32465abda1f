"""Signed reply links: a recipient answers from the mail without an account, and nobody can forge one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from uuid import UUID


class BadToken(ValueError):
    """The reply link is malformed, forged or expired."""


@dataclass(frozen=True)
class ReplyGrant:
    case_id: UUID
    recipient: str
    expires_at: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, b"reply-v1|" + payload, hashlib.sha256).digest()[:20]


def sign(secret: bytes, case_id: UUID, recipient: str, *, valid_seconds: int, now: float | None = None) -> str:
    """A token that lets `recipient` answer about `case_id` until it expires."""
    expires = int((now if now is not None else time.time()) + valid_seconds)
    payload = f"{case_id}|{recipient}|{expires}".encode()
    return f"{_b64(payload)}.{_b64(_mac(secret, payload))}"


def verify(secret: bytes, token: str, *, now: float | None = None) -> ReplyGrant:
    """The grant a token carries; raises BadToken when it is malformed, forged or expired."""
    try:
        payload_b64, mac_b64 = token.split(".")
        payload, mac = _unb64(payload_b64), _unb64(mac_b64)
    except ValueError as err:
        raise BadToken("malformed reply token") from err
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        raise BadToken("reply token signature does not match")
    try:
        case, recipient, expires = payload.decode().split("|")
        grant = ReplyGrant(UUID(case), recipient, int(expires))
    except ValueError as err:
        raise BadToken("malformed reply token") from err
    if grant.expires_at < (now if now is not None else time.time()):
        raise BadToken("reply link expired: ask the coordinator for a new one")
    return grant
