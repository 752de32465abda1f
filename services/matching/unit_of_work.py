"""What matching's case use cases read and write, as a protocol: PostgreSQL in production, a fake in tests."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.matching import repository
from services.matching.supply import Supply
from shared.outbox import Outbox
from shared.unit_of_work import SessionBound, SqlUnitOfWork, UnitOfWork


class Matches(Protocol):
    """Each case's latest match, and demand changes kept for cases not matched yet."""

    async def match_and_pending(self, case_id: UUID) -> tuple[dict | None, dict | None]: ...
    async def matches_and_pending(self, case_ids: list[UUID]) -> dict[UUID, tuple[dict | None, dict | None]]: ...
    async def get_match(self, case_id: UUID, *, lock: bool = False): ...
    async def save_match(self, *, case_id: UUID, code_name: str, case_payload: dict, result: dict,
                         revision: int) -> None: ...
    async def save_matches(self, matches: list[dict]) -> None: ...
    async def keep_pending_update(self, case_id: UUID, changes: dict) -> None: ...
    async def open_matches(self) -> list: ...
    async def close_case(self, case_id: UUID, outcome: str) -> bool: ...


class MatchingUnitOfWork(UnitOfWork, Protocol):
    matches: Matches

    async def refresh_supply(self, supply: Supply) -> None:
        """Bring the in-memory catalogue up to date with the stored sites (once per transaction)."""


class SqlMatchingUnitOfWork(SqlUnitOfWork):
    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        super().__init__(session, outbox)
        self.matches = SessionBound(repository, Matches, session)

    async def refresh_supply(self, supply: Supply) -> None:
        await supply.refresh(self.session)
