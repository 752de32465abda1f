"""A minimal service on the production runtime (Runtime.build/consume/running), for runtime tests.

It has its own schema (outbox, processed_event and a table its effect writes to) in the run's database and
its own topic prefix, so that what a test counts is only what it produced.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import ClassVar, Literal

from sqlalchemy import Column, MetaData, String, Table, Text, Uuid, func, insert, select, text

from shared.contracts.envelope import Envelope, Frozen
from shared.db import service_metadata
from shared.runtime import Runtime, plumbing_tables
from shared.settings import ServiceSettings
from tests.lifecycle import disposed


class ProbeData(Frozen):
    name: str
    note: str = ""
    unique_key: str | None = None


class Probe(Envelope):
    """A test event whose payload the contract accepts whatever its text; PostgreSQL may still refuse it."""

    topic: ClassVar[str] = "probe"
    type: Literal["nl.groeiruimte.test.probe"] = "nl.groeiruimte.test.probe"
    schemaversion: Literal[1] = 1
    data: ProbeData


def probe(name: str = "Geldig B.V.", *, key: str = "k", **data) -> Probe:
    return Probe(source="/tests/runtime", subject=key, data=ProbeData(name=name, **data))


class Harness:
    def __init__(self, settings: ServiceSettings) -> None:
        self.schema = f"rt_{uuid.uuid4().hex[:10]}"
        self.metadata: MetaData = service_metadata(self.schema)
        plumbing_tables(self.metadata)
        # Like intake's lead table: a normalised name in a bounded column, and a unique key.
        self.received = Table("received", self.metadata, Column("event_id", Uuid, primary_key=True),
                              Column("name_key", String(200), nullable=False), Column("note", Text),
                              Column("unique_key", String(40), unique=True))
        self.settings = settings
        self.runtime = Runtime.build("harness", settings, self.metadata, topics=[Probe.topic])
        self.calls: list[uuid.UUID] = []

    async def create(self) -> None:
        async with self.runtime.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            await conn.run_sync(self.metadata.create_all)

    async def drop(self) -> None:
        async with self.runtime.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        await disposed(self.runtime.engine)

    def store_effect(self, before: Callable[..., Awaitable[None]] | None = None):
        """The effect a service would have: write the event's fields (normalised) to its table."""

        async def effect(session, evt: Probe) -> None:
            self.calls.append(evt.id)
            if before is not None:
                await before(session, evt)
            await session.execute(insert(self.received).values(
                event_id=evt.id, name_key=unicodedata.normalize("NFKC", evt.data.name).casefold(),
                note=evt.data.note, unique_key=evt.data.unique_key))

        return effect

    async def stored(self) -> set[uuid.UUID]:
        async with self.runtime.sessions() as session:
            return set((await session.execute(select(self.received.c.event_id))).scalars())

    async def processed_count(self, event_id: uuid.UUID) -> int:
        t = self.metadata.tables[f"{self.schema}.processed_event"]
        async with self.runtime.sessions() as session:
            return await session.scalar(select(func.count()).select_from(t).where(t.c.event_id == event_id))


@asynccontextmanager
async def harness(infra, database_url: str, **settings) -> AsyncIterator[Harness]:
    s = ServiceSettings(kafka_bootstrap_servers=infra.kafka, database_url=database_url,
                        topic_prefix=f"rt-{uuid.uuid4().hex[:8]}.", kafka_session_timeout_ms=6000, **settings)
    h = Harness(s)
    await h.create()
    try:
        yield h
    finally:
        await h.drop()
