"""What notifications' use cases read and write, as a protocol: PostgreSQL in production (repository/), a fake in
tests (tests/fakes/notifications.py), so that the rules of who is told what are unit-tested without a database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications import repository
from services.notifications.domain import Recipient
from shared.outbox import Outbox
from shared.unit_of_work import SessionBound, SqlUnitOfWork, UnitOfWork


class Cases(Protocol):
    """Each case's profile: code name, origin, demand, the identity a consent released, the housing signalled."""

    async def lock_case(self, case_id: UUID) -> dict | None: ...
    async def save_case(self, case_id: UUID, **values: Any) -> None: ...
    async def redact_case_mails(self, case_id: UUID, secrets: list[str]) -> int: ...


class Deliveries(Protocol):
    """The mails recorded for sending, the budget each recipient used per period, and its digests."""

    async def add_delivery(self, *, event_id: UUID, case_id: UUID | None, recipient_code: str, email: str,
                           template: str, context: dict[str, Any]) -> bool: ...
    async def use_budget(self, recipient_code: str, period_start: datetime) -> int: ...
    async def add_to_digest(self, *, recipient_code: str, email: str, period_start: datetime, due_at: datetime,
                            event_id: UUID, case_id: UUID | None, context: dict[str, Any]) -> bool: ...
    async def notified_sites(self, case_id: UUID) -> dict[str, set[str]]: ...


class Replies(Protocol):
    """Recipients' offers and declines."""

    async def record_reply(self, *, case_id: UUID, recipient_code: str, site_id: str | None, response: str,
                           message: str, via: str) -> bool: ...


class NotificationsUnitOfWork(UnitOfWork, Protocol):
    cases: Cases
    deliveries: Deliveries
    replies: Replies

    async def directory(self) -> dict[str, Recipient]:
        """The active recipients by code (municipalities, provinces, the coordinator)."""

    def after_commit(self, callback: Callable[..., object]) -> None:
        """Run `callback` once this unit of work has committed (the mailer sends what it recorded)."""


class SqlNotificationsUnitOfWork(SqlUnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox, directory: repository.DirectoryCache) -> None:
        super().__init__(session, outbox)
        self.cases = SessionBound(repository, Cases, session)
        self.deliveries = SessionBound(repository, Deliveries, session)
        self.replies = SessionBound(repository, Replies, session)
        self._directory = directory

    async def directory(self) -> dict[str, Recipient]:
        return await self._directory.get(self.session)

    def after_commit(self, callback: Callable[..., object]) -> None:
        # Once per transaction, however many events of the batch recorded mails.
        if not event.contains(self.session.sync_session, "after_commit", callback):
            event.listen(self.session.sync_session, "after_commit", callback, once=True)
