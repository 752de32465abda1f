"""HTTP authentication: every caller presents a bearer token that maps to an organisation and a role.

Two kinds of bearer token: a system client's static token (`API_TOKENS`), and a person's short-lived signed
token that the workbench issues per request (a JWT signed with `PERSON_TOKEN_SECRET`, audience = the service
it is sent to, 60 s). Each service verifies the person's token itself and authorises the person's role and
organisation, so a bug in the workbench cannot widen anyone's access beyond what that person may do.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import jwt
from fastapi import HTTPException, status

Role = Literal["rom", "coordinator", "municipality", "province", "ministry"]
ROLES: tuple[str, ...] = get_args(Role)  # a person's roles (workbench accounts, person tokens)
# Another service of ours calling with its own static token (notifications asking intake for a sealing key):
# never a person's role, so no person token can carry it.
SERVICE_ROLE = "service"
AnyRole = Role | Literal["service"]
PERSON_TOKEN_ISSUER = "groeiruimte-workbench"
PERSON_TOKEN_SECONDS = 60
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Caller:
    organisation: str
    role: AnyRole
    person: str | None = None  # set when a person acts through the workbench (their account name)


@dataclass(frozen=True)
class PersonTokens:
    """How a service checks a person's token: the deployment's secret and its own name as the audience."""

    secret: str
    audience: str


def issue_person_token(secret: str, *, person: str, organisation: str, role: Role, audience: str,
                       now: datetime | None = None, seconds: int = PERSON_TOKEN_SECONDS) -> str:
    """A signed token saying that this person of this organisation, in this role, calls `audience` now."""
    issued = now or datetime.now(UTC)
    claims = {"iss": PERSON_TOKEN_ISSUER, "aud": audience, "sub": person, "person": person,
              "organisation": organisation, "role": role, "iat": issued,
              "exp": issued + timedelta(seconds=seconds), "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def looks_like_person_token(presented: str) -> bool:
    return presented.count(".") == 2


def verify_person_token(presented: str, keys: PersonTokens) -> Caller:
    """The person a token names, or 401 when it is forged, expired, for another service or incomplete."""
    try:
        claims = jwt.decode(presented, keys.secret, algorithms=[_ALGORITHM], audience=keys.audience,
                            issuer=PERSON_TOKEN_ISSUER,
                            options={"require": ["exp", "iat", "aud", "iss", "sub", "role", "organisation"]})
    except jwt.PyJWTError as err:
        raise _unauthorised(f"person token refused: {type(err).__name__}") from None
    if claims["role"] not in ROLES or not claims["organisation"] or not claims["sub"]:
        raise _unauthorised("person token refused: no such role or organisation")
    return Caller(str(claims["organisation"]), claims["role"], person=str(claims["sub"]))


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason, headers={"WWW-Authenticate": "Bearer"})


def parse_tokens(spec: str) -> dict[str, Caller]:
    """`token:organisation:role,...` (from settings) -> lookup table."""
    table = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        token, organisation, role = item.split(":")
        table[token] = Caller(organisation, role)  # type: ignore[arg-type]
    return table


def authenticate(presented: str | None, tokens: dict[str, Caller], persons: PersonTokens | None = None) -> Caller:
    """The caller a presented bearer token belongs to (compared in constant time), or 401."""
    if not presented:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    if persons is not None and looks_like_person_token(presented):
        return verify_person_token(presented, persons)
    for token, caller in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            return caller
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown token", headers={"WWW-Authenticate": "Bearer"})


def require(caller: Caller, *roles: AnyRole) -> Caller:
    if caller.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {caller.role!r} may not do this")
    return caller
