"""An in-memory `services.matching.unit_of_work.Matches`: the same answers as the PostgreSQL repository, in dicts."""

from __future__ import annotations

from copy import deepcopy
from uuid import UUID

from services.matching.supply import Supply
from tests.fakes import FakeUnitOfWork


class FakeMatches:
    def __init__(self) -> None:
        self.rows: dict[UUID, dict] = {}
        self.pending: dict[UUID, dict] = {}

    async def match_and_pending(self, case_id: UUID) -> tuple[dict | None, dict | None]:
        row = await self.get_match(case_id)
        # A closed case keeps its pending change, as the SQL statement does.
        pending = self.pending.pop(case_id, None) if row is None or row["status"] == "open" else None
        return row, pending

    async def matches_and_pending(self, case_ids: list[UUID]) -> dict[UUID, tuple[dict | None, dict | None]]:
        return {c: await self.match_and_pending(c) for c in case_ids}

    async def save_matches(self, matches: list[dict]) -> None:
        for m in matches:
            await self.save_match(**m)

    async def get_match(self, case_id: UUID, *, lock: bool = False):
        return deepcopy(self.rows.get(case_id))

    async def save_match(self, *, case_id: UUID, code_name: str, case_payload: dict, result: dict,
                         revision: int) -> None:
        kept = self.rows.get(case_id, {"status": "open", "outcome": None})
        self.rows[case_id] = kept | deepcopy({
            "case_id": case_id, "code_name": code_name, "case_payload": case_payload, "revision": revision,
            "proposals": result["proposals"], "near_misses": result["near_misses"], "blocking": result["blocking"],
            "blocking_details": result["blocking_details"], "blocking_facts": result.get("blocking_facts") or {},
            "no_proposition": int(not result["proposals"]),
            "cutoffs": result.get("cutoffs")})

    async def keep_pending_update(self, case_id: UUID, changes: dict) -> None:
        self.pending[case_id] = deepcopy(changes)

    async def open_matches(self) -> list:
        return [deepcopy(r) for _, r in sorted(self.rows.items()) if r["status"] == "open"]

    async def close_case(self, case_id: UUID, outcome: str) -> bool:
        row = self.rows.get(case_id)
        if row is None or row["status"] != "open":
            return False
        row.update(status="closed", outcome=outcome)
        return True


class FakeMatchingUnitOfWork(FakeUnitOfWork):
    """The catalogue is whatever the test put into deps.supply: there is no site table to refresh from."""

    def __init__(self) -> None:
        super().__init__()
        self.matches = FakeMatches()
        self.supply_refreshes = 0

    async def refresh_supply(self, supply: Supply) -> None:
        self.supply_refreshes += 1
