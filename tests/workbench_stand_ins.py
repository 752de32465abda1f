"""The workbench over stand-ins for the services it calls (an `httpx.MockTransport` answering as they would), on
real PostgreSQL: what the integration tests of its pages share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from services.workbench import accounts
from services.workbench.app import create_app
from services.workbench.config import WorkbenchSettings


def accounts_file(folder: Path, people: Mapping[str, tuple[str, str]], password: str) -> Path:
    """A local accounts file with each person (username -> (role, organisation)), all with one password."""
    path = folder / "accounts.json"
    for username, (role, organisation) in people.items():
        accounts.create(path, username=username, name=username.title(), role=role, organisation=organisation,
                        password=password)
    return path


@asynccontextmanager
async def stand_in_workbench(database_url: str, accounts: Path, services: Callable[[WorkbenchSettings], object]
                             ) -> AsyncIterator:
    """The workbench app whose upstream calls `services(settings).answer` serves (kept as app.state.services)."""
    settings = WorkbenchSettings(database_url=database_url, accounts_file=accounts)
    app = create_app(settings)
    app.state.services = services(settings)
    app.state.deps.upstream.client = httpx.AsyncClient(transport=httpx.MockTransport(app.state.services.answer))
    try:
        yield app
    finally:
        await app.state.deps.upstream.client.aclose()
        await app.state.deps.close()
