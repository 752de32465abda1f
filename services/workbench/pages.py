"""What every page route needs: the person signed in, and their role."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import HTTPException, Request

from services.workbench.bootstrap import Deps
from services.workbench.security import Person


class SignInRequired(Exception):
    """No live session: the person is sent to the sign-in page."""


def current_person(deps: Deps) -> Callable:
    async def person(request: Request) -> Person:
        found = await deps.sessions.person(request)
        if found is None:
            raise SignInRequired()
        request.state.person = found
        return found

    return person


def person_with_role(deps: Deps, *roles: str) -> Callable:
    """The person signed in, if their role may use these pages (the services check again for themselves)."""
    signed_in = current_person(deps)

    async def person(request: Request) -> Person:
        found = await signed_in(request)
        if found.role not in roles:
            await deps.audit(found, "page-refused", target=request.url.path, outcome="refused")
            raise HTTPException(403, "role")
        return found

    return person
