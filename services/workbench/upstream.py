"""The other services, called over HTTP on behalf of the person signed in.

Each request carries a fresh person token (shared.auth) whose audience is the service called: the service
itself decides what this person may see and do. The workbench holds no standing token of its own.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.workbench.config import WorkbenchSettings
from services.workbench.security import Person
from shared.auth import issue_person_token


class UpstreamError(Exception):
    """A service answered with an error the page cannot show as field errors."""

    def __init__(self, service: str, status: int, detail: Any, facts: Any = None) -> None:
        super().__init__(f"{service} answered {status}")
        self.service, self.status, self.detail = service, status, detail
        self.facts = facts  # beside `detail`, the same refusal as facts (matching's `refusal`), when given


class Upstream:
    def __init__(self, settings: WorkbenchSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        self.secret = settings.person_token_secret.get_secret_value()

    def _headers(self, person: Person, service: str) -> dict[str, str]:
        token = issue_person_token(self.secret, person=person.username, organisation=person.organisation,
                                   role=person.role, audience=service)
        return {"Authorization": f"Bearer {token}"}

    async def request(self, person: Person, method: str, service: str, path: str, *,
                      params: dict[str, Any] | None = None, json: Any = None) -> httpx.Response:
        return await self.client.request(method, self.settings.service_url(service) + path, params=params,
                                         json=json, headers=self._headers(person, service))

    async def read(self, person: Person, service: str, path: str, *, params: dict[str, Any] | None = None,
                   missing_ok: bool = False) -> Any:
        """The JSON a GET answers; None for a 404 when `missing_ok`; otherwise an error raises UpstreamError."""
        response = await self.request(person, "GET", service, path, params=params)
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise UpstreamError(service, response.status_code, _detail(response))
        return response.json()

    async def write(self, person: Person, method: str, service: str, path: str, body: Any) -> tuple[int, Any]:
        """Status and JSON body of a write; a 422's field errors are for the form, other errors raise."""
        response = await self.request(person, method, service, path, json=body)
        if response.status_code >= 400 and response.status_code != 422:
            raise UpstreamError(service, response.status_code, _detail(response), _refusal(response))
        return response.status_code, _detail(response)


def _refusal(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("refusal") if isinstance(body, dict) else None


def _detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text
    return body.get("detail", body) if isinstance(body, dict) and response.status_code >= 400 else body
