"""Database helpers: one async engine per process, one schema per service, sessions that roll back by default."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata(schema: str) -> MetaData:
    """Metadata for a service's own schema; services never read each other's tables."""
    return MetaData(schema=schema, naming_convention=NAMING)


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # hide_parameters: an error's text (logged, or shown in a traceback) never carries the statement's values,
    # which are company names and KvK numbers.
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True,
                               hide_parameters=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work: commits when the block ends normally, rolls back on any exception."""
    async with sessions() as session, session.begin():
        yield session
