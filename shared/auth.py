"""HTTP authentication: every caller presents a bearer token that maps to an organisation and a role."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, status

Role = Literal["rom", "coordinator", "municipality", "province", "ministry"]


@dataclass(frozen=True)
class Caller:
    organisation: str
    role: Role


def parse_tokens(spec: str) -> dict[str, Caller]:
    """`token:organisation:role,...` (from settings) -> lookup table."""
    table = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        token, organisation, role = item.split(":")
        table[token] = Caller(organisation, role)  # type: ignore[arg-type]
    return table


def authenticate(presented: str | None, tokens: dict[str, Caller]) -> Caller:
    """The caller a presented bearer token belongs to (compared in constant time), or 401."""
    if not presented:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    for token, caller in tokens.items():
        if hmac.compare_digest(token.encode(), presented.encode()):
            return caller
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown token", headers={"WWW-Authenticate": "Bearer"})


def require(caller: Caller, *roles: Role) -> Caller:
    if caller.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {caller.role!r} may not do this")
    return caller
