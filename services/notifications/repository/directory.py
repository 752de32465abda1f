"""The recipient directory in the database: loaded from the file at start, edited through the API."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.directory import Recipient
from services.notifications.orm import recipient as table

_FIELDS = ("kind", "name", "email", "language", "province")


def _to_model(row) -> Recipient:
    # Validated on the way in (file or API); constructing without re-validating keeps every event cheap.
    return Recipient.model_construct(code=row.code, **{f: getattr(row, f) for f in _FIELDS})


async def load_file_entries(session: AsyncSession, entries: list[Recipient]) -> int:
    """Insert or refresh file entries; rows edited through the API ('api') are left as they are."""
    if not entries:
        return 0
    rows = [{"code": r.code, **{f: getattr(r, f) for f in _FIELDS}, "source": "file"} for r in entries]
    stmt = insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.code], where=table.c.source == "file",
        set_={**{f: stmt.excluded[f] for f in _FIELDS}, "updated_at": datetime.now(UTC)})
    return (await session.execute(stmt)).rowcount


async def active_directory(session: AsyncSession) -> dict[str, Recipient]:
    rows = (await session.execute(select(table).where(table.c.active))).all()
    return {row.code: _to_model(row) for row in rows}


async def recipients(session: AsyncSession, *, kind: str | None = None) -> list[dict]:
    stmt = select(table).order_by(table.c.code)
    if kind:
        stmt = stmt.where(table.c.kind == kind)
    return [dict(r) for r in (await session.execute(stmt)).mappings()]


async def put_recipient(session: AsyncSession, entry: Recipient, *, by: str) -> dict:
    """Create or replace an entry; from now on the file no longer overrides it."""
    values = {**{f: getattr(entry, f) for f in _FIELDS}, "active": True, "source": "api",
              "updated_at": datetime.now(UTC), "updated_by": by}
    stmt = insert(table).values(code=entry.code, **values)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.code], set_=values).returning(*table.c)
    return dict((await session.execute(stmt)).mappings().one())


async def deactivate_recipient(session: AsyncSession, code: str, *, by: str) -> bool:
    """Soft delete, so that a restart does not bring the entry back from the file."""
    result = await session.execute(update(table).where(table.c.code == code).values(
        active=False, source="api", updated_at=datetime.now(UTC), updated_by=by))
    return result.rowcount > 0


class DirectoryCache:
    """The active directory for the rules, re-read at most every `ttl` seconds, at once after a local edit.

    Every event needs it; reading 25 rows per event was a third of the consumer's database round trips. An edit
    made through another replica is seen within `ttl`; the mailer always reads addresses fresh.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._value: dict[str, Recipient] | None = None
        self._read_at = 0.0

    async def get(self, session: AsyncSession) -> dict[str, Recipient]:
        if self._value is None or time.monotonic() - self._read_at > self.ttl:
            self._value = await active_directory(session)
            self._read_at = time.monotonic()
        return self._value

    def invalidate(self) -> None:
        self._value = None
