"""The operator's view of a service's plumbing: outbox rows the relay gave up on, and releasing them.

Every service mounts this router (shared.runtime.http_app does it), so the coordinator finds the same
endpoints on each: `GET /operations/outbox/parked` and `POST /operations/outbox/parked/{seq}/release`.
Payloads are never shown: a parked row is identified by its event id, topic and key.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import Caller, require
from shared.http import Id, Limit, Offset, problems
from shared.outbox import Outbox

AUTH = problems(401, 403, d403="Only the coordinator (operations) may see or release parked rows.")


class ParkedOutboxRow(BaseModel):
    """An event the relay could not publish after its attempts; later events were published meanwhile."""

    model_config = ConfigDict(from_attributes=True)

    seq: int = Field(description="Position in the outbox (commit order).")
    event_id: UUID
    topic: str
    key: str = Field(description="Kafka key: the aggregate (lead or case) id.")
    attempts: int
    last_error: str | None = Field(description="Why the broker refused it (error class and condition).")
    created_at: datetime
    parked_at: datetime


class ParkedOutboxRows(BaseModel):
    service: str
    total: int = Field(description="All parked rows of this service; `items` is one page of them.")
    items: list[ParkedOutboxRow]


class Released(BaseModel):
    seq: int
    released: bool = True


def operations_router(service: str, outbox: Outbox, caller_of: Callable[..., Caller]) -> APIRouter:
    router = APIRouter(prefix="/operations", tags=["operations"], responses=AUTH)

    def coordinator(caller: Caller = Depends(caller_of)) -> Caller:
        return require(caller, "coordinator")

    @router.get("/outbox/parked", response_model=ParkedOutboxRows,
                summary="Outbox events the relay gave up on (too large, not authorised, ...), oldest first")
    async def parked_rows(limit: Limit = 100, offset: Offset = 0, _: Caller = Depends(coordinator)) -> ParkedOutboxRows:
        total, rows = await outbox.parked(limit=limit, offset=offset)
        return ParkedOutboxRows(service=service, total=total,
                                items=[ParkedOutboxRow.model_validate(r) for r in rows])

    @router.post("/outbox/parked/{seq}/release", response_model=Released,
                 responses=problems(404, d404="No parked row with this seq."),
                 summary="Give a parked event another round of attempts, once its cause is fixed")
    async def release_row(seq: Id, _: Caller = Depends(coordinator)) -> Released:
        if not await outbox.release(seq):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no parked outbox row {seq}")
        return Released(seq=seq)

    return router
