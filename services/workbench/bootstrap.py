"""Builds the workbench from settings: the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.workbench import accounts, repository
from services.workbench.config import WorkbenchSettings
from services.workbench.render import Pages
from services.workbench.security import Csrf, Person, Sessions
from services.workbench.upstream import Upstream
from shared.db import make_engine, make_sessionmaker, transaction

ASSET_VERSION = "3"  # bump when static files change: their URLs carry it, so browsers fetch the new ones


@dataclass
class Deps:
    settings: WorkbenchSettings
    engine: AsyncEngine
    db: async_sessionmaker[AsyncSession]
    sessions: Sessions
    csrf: Csrf
    pages: Pages
    upstream: Upstream
    client: httpx.AsyncClient

    def accounts(self) -> dict[str, accounts.Account]:
        """Read on every sign-in: an account created while the workbench runs can sign in at once."""
        return accounts.load(self.settings.accounts_file)

    async def audit(self, who: Person | str, action: str, *, target: str = "", outcome: str = "done",
                    **details: Any) -> None:
        """One audit entry for an action a person took (or tried)."""
        person = who if isinstance(who, Person) else None
        async with transaction(self.db) as session:
            await repository.audit(session, username=person.username if person else str(who),
                                   role=person.role if person else None,
                                   organisation=person.organisation if person else None, action=action,
                                   target=target, outcome=outcome, details=details)

    async def close(self) -> None:
        await self.client.aclose()
        await self.engine.dispose()


def bootstrap(settings: WorkbenchSettings) -> Deps:
    settings.refuse_unsafe()  # fail closed: no development secret outside development mode
    engine = make_engine(settings.database_url, pool_size=5)
    db = make_sessionmaker(engine)
    csrf = Csrf(settings)
    client = httpx.AsyncClient(timeout=settings.upstream_timeout_seconds)
    return Deps(settings=settings, engine=engine, db=db, sessions=Sessions(settings, db), csrf=csrf,
                pages=Pages(csrf, asset_version=ASSET_VERSION), upstream=Upstream(settings, client), client=client)
