"""The coordinator's notes (learning effects, why companies chose, one coherent ecosystem) and their review.

The coordinator writes and reviews; the ministry reads reviewed notes only, without case ids or authors.
Reviewing runs the identity check (qualitative/domain.py): a note that names a known company, or holds a
KvK-like number, an email address or a phone number, is refused with the reasons (422).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, status
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.reporting.domain.periods import parse_period
from services.reporting.qualitative import repository
from services.reporting.qualitative.domain import identity_problems
from shared.auth import Caller, require
from shared.http import Text

Kind = Literal["learning", "why_chose", "ecosystem"]
ERRORS = {401: {"description": "No or unknown bearer token"}, 403: {"description": "The caller's role may not"},
          422: {"description": "Invalid input, or the note fails the identity check (the reasons are given)"}}


class NoteIn(BaseModel):
    kind: Kind = Field(description="learning (learning effects), why_chose (why companies chose as they did), "
                                   "ecosystem (one coherent deeptech ecosystem of hotspots)")
    period: str = Field(examples=["2026-H2"], description="The half-year the note belongs to.")
    case_id: UUID | None = Field(None, description="A note about one case; never shown to the ministry.")
    text: Text = Field(min_length=1, max_length=4000)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        return parse_period(value).name


class NoteView(BaseModel):
    """A note as the coordinator sees it."""

    id: UUID
    kind: Kind
    period: str
    case_id: UUID | None
    text: str
    written_by: str
    written_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    identity_problems: list[str] = Field(description="What the review would refuse (empty: none found).")


class PublicNote(BaseModel):
    """A reviewed note as the ministry sees it."""

    kind: Kind
    period: str
    scope: Literal["case", "half_year"]
    text: str


def public(note: dict) -> PublicNote:
    return PublicNote(kind=note["kind"], period=note["period"], scope="case" if note["case_id"] else "half_year",
                      text=note["text"])


async def reviewed_notes(sessions: async_sessionmaker[AsyncSession], period: str) -> list[PublicNote]:
    """The reviewed notes of a half-year, for the reports."""
    async with sessions() as session:
        return [public(n) for n in await repository.notes(session, period=period, reviewed_only=True)]


def router(app: FastAPI, sessions: async_sessionmaker[AsyncSession], name_key: bytes) -> APIRouter:
    api = APIRouter(tags=["qualitative"], prefix="/qualitative", responses=ERRORS)
    caller_of = app.state.caller

    async def view(session: AsyncSession, note: dict) -> NoteView:
        return NoteView(**note, identity_problems=identity_problems(note["text"], await repository.known(session),
                                                                    name_key))

    async def found(session: AsyncSession, note_id: UUID) -> dict:
        note = await repository.note(session, note_id)
        if note is None:
            raise HTTPException(404, f"no note {note_id}")
        return note

    @api.post("/notes", status_code=status.HTTP_201_CREATED, summary="Write a note (coordinator); not yet "
              "reviewed, so the ministry does not see it")
    async def write(body: NoteIn, caller: Caller = Depends(caller_of)) -> NoteView:
        require(caller, "coordinator")
        async with sessions() as session, session.begin():
            note = await repository.add_note(session, kind=body.kind, period=body.period, case_id=body.case_id,
                                             text=body.text, written_by=caller.organisation)
            return await view(session, note)

    @api.patch("/notes/{note_id}", responses={404: {"description": "No such note"}},
               summary="Change a note's text (coordinator); it must be reviewed again")
    async def change(note_id: UUID, text: Text = Body(..., embed=True, min_length=1, max_length=4000),
                     caller: Caller = Depends(caller_of)) -> NoteView:
        require(caller, "coordinator")
        async with sessions() as session, session.begin():
            await found(session, note_id)
            await repository.change_text(session, note_id, text)
            return await view(session, await found(session, note_id))

    @api.post("/notes/{note_id}/review", responses={404: {"description": "No such note"}},
              summary="Mark a note reviewed for identities (coordinator), after the automatic check; or withdraw")
    async def review(note_id: UUID, reviewed: bool = Body(..., embed=True),
                     caller: Caller = Depends(caller_of)) -> NoteView:
        require(caller, "coordinator")
        async with sessions() as session, session.begin():
            note = await found(session, note_id)
            problems = identity_problems(note["text"], await repository.known(session), name_key)
            if reviewed and problems:
                raise HTTPException(422, [{"loc": ["body", "text"], "msg": p, "type": "identity"}
                                          for p in problems])
            await repository.mark_reviewed(session, note_id, caller.organisation if reviewed else None)
            return await view(session, await found(session, note_id))

    @api.get("/notes", summary="The notes: all for the coordinator, the reviewed ones for the ministry",
             response_model=list[NoteView] | list[PublicNote])
    async def notes(period: str | None = Query(None, description="A half-year, e.g. 2026-H2"),
                    caller: Caller = Depends(caller_of)):
        require(caller, "coordinator", "ministry")
        if period:
            try:
                period = parse_period(period).name
            except ValueError as err:
                raise HTTPException(422, f"period: {err}") from None
        async with sessions() as session:
            if caller.role == "coordinator":
                return [await view(session, n) for n in await repository.notes(session, period=period)]
            return [public(n) for n in await repository.notes(session, period=period, reviewed_only=True)]

    return api
