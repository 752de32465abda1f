"""The seam between use cases and storage: a unit of work (cosmicpython) with the repositories a use case needs,
the outbox its events go to, and commit/rollback.

Use cases take a unit of work and never commit: whoever opened it does (an HTTP route, or the consumer's batch
transaction in shared.consuming), so one Kafka batch stays one transaction. Production passes a `SqlUnitOfWork`
over a session; unit tests pass an in-memory fake of the same protocol, and run the same use-case functions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from types import MappingProxyType, ModuleType
from typing import Any, Protocol, TypeVar
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.envelope import Envelope
from shared.outbox import Outbox
from shared.telemetry import continued_trace_headers, current_trace_headers

# The headers of the records a set-based effect is applying, by event id (see as_batch_effect).
_CONSUMED_HEADERS: ContextVar[Mapping[UUID, Any]] = ContextVar("consumed_headers",
                                                                  default=MappingProxyType({}))


class EventOutbox(Protocol):
    """Where a use case stages the events of its unit of work; they leave only if it commits."""

    async def add(self, evt: Envelope) -> None: ...

    async def add_many(self, events: Sequence[Envelope], *, caused_by: Sequence[Envelope] | None = None,
                       payloads: Sequence[bytes] | None = None) -> None:
        """A batch's events at once (one statement), in this order; `caused_by`: the consumed event each one
        follows from, whose trace it continues; `payloads`: each event's JSON when the caller wrote it already
        (the same bytes as its to_json())."""


class UnitOfWork(Protocol):
    """One transaction: what a use case reads and changes, and the events it emits, commit together or not at all."""

    outbox: EventOutbox

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


class SessionOutbox:
    """The service's transactional outbox, bound to one session (its rows commit with the state change)."""

    def __init__(self, outbox: Outbox, session: AsyncSession) -> None:
        self._outbox, self._session = outbox, session

    async def add(self, evt: Envelope) -> None:
        await self._outbox.add(self._session, evt)

    async def add_many(self, events: Sequence[Envelope], *, caused_by: Sequence[Envelope] | None = None,
                       payloads: Sequence[bytes] | None = None) -> None:
        headers = None
        if caused_by is not None:
            consumed = _CONSUMED_HEADERS.get()
            headers = [continued_trace_headers(consumed.get(cause.id)) or current_trace_headers()
                       for cause in caused_by]
        await self._outbox.add_many(self._session, events, headers=headers, payloads=payloads)


class SessionBound:
    """A repository protocol over one session: its method `name(...)` is `module.name(session, ...)`.

    Services keep their persistence as plain functions taking a session (repository.py); this binds the ones a
    protocol names, so the seam adds no second copy of them.
    """

    def __init__(self, module: ModuleType, protocol: type, session: AsyncSession) -> None:
        self._module, self._session = module, session
        self._names = frozenset(name for name in vars(protocol) if not name.startswith("_"))

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self._names:  # anything else is not part of the seam
            raise AttributeError(name)
        function = getattr(self._module, name)

        async def bound(*args, **kwargs):
            return await function(self._session, *args, **kwargs)
        return bound


class SqlUnitOfWork:
    """A unit of work over one SQLAlchemy session; services add their repositories in a subclass."""

    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        self.session = session
        self.outbox = SessionOutbox(outbox, session)

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


U = TypeVar("U", bound=SqlUnitOfWork)


@asynccontextmanager
async def opened(sessions: async_sessionmaker[AsyncSession], build: Callable[[AsyncSession], U]) -> AsyncIterator[U]:
    """A unit of work in a session of its own: anything not committed when the block ends is rolled back."""
    async with sessions() as session:
        yield build(session)  # closing the session rolls back what was not committed


def as_effect(use_case: Callable[..., Awaitable[object]], unit_of_work: Callable[[AsyncSession], U],
              **named: object) -> Callable[[AsyncSession, Envelope], Awaitable[None]]:
    """A consumer effect `(session, event)` (shared.runtime.Runtime.consume) that runs `use_case(uow, event,
    **named)` on a unit of work over the batch's session; the batch's transaction commits it."""

    async def effect(session: AsyncSession, evt: Envelope) -> None:
        await use_case(unit_of_work(session), evt, **named)

    effect.__name__ = effect.__qualname__ = use_case.__name__
    return effect


def as_batch_effect(use_case: Callable[..., Awaitable[object]], unit_of_work: Callable[[AsyncSession], U],
                    **named: object) -> Callable[[AsyncSession, list], Awaitable[None]]:
    """A set-based consumer effect `(session, items)` (shared.runtime.Runtime.consume_batches) that runs
    `use_case(uow, events, **named)` once for the batch's new events, on a unit of work over the batch's session."""

    async def effect(session: AsyncSession, items: list) -> None:
        # Each consumed record's Kafka headers, so that the events it causes continue its trace (one trace follows
        # a lead through every service, batch or not).
        token = _CONSUMED_HEADERS.set({evt.id: record.headers for record, evt in items})
        try:
            await use_case(unit_of_work(session), [evt for _, evt in items], **named)
        finally:
            _CONSUMED_HEADERS.reset(token)

    effect.__name__ = effect.__qualname__ = use_case.__name__
    return effect
