"""In-memory fakes of the unit-of-work seam (shared.unit_of_work): use cases run on them without PostgreSQL."""

from __future__ import annotations

from shared.contracts.envelope import Envelope


class FakeOutbox:
    """The events a unit of work staged; `published` holds only those of committed units."""

    def __init__(self) -> None:
        self.staged: list[Envelope] = []
        self.published: list[Envelope] = []

    async def add(self, evt: Envelope) -> None:
        self.staged.append(evt)

    async def add_many(self, events, *, caused_by=None, payloads=None) -> None:
        self.staged.extend(events)

    def of(self, event_type: type[Envelope]) -> list[Envelope]:
        return [e for e in self.published if isinstance(e, event_type)]


class FakeUnitOfWork:
    """Commits move the staged events to `published`; a rollback forgets them (the fake repositories keep their
    state either way: tests that roll back assert on events only)."""

    def __init__(self) -> None:
        self.outbox = FakeOutbox()
        self.commits = 0

    async def commit(self) -> None:
        self.outbox.published += self.outbox.staged
        self.outbox.staged = []
        self.commits += 1

    async def rollback(self) -> None:
        self.outbox.staged = []
