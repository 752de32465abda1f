"""HTTP request and response bodies (API schemas, kept apart from the tables and the domain)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.notifications.domain.directory import Kind, Language

# Newlines and tabs are fine in a free-text answer; other control characters are not.
_UNSAFE_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")


class RecipientBody(BaseModel):
    """A directory entry as the coordinator writes it; the code comes from the path."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    name: str = Field(min_length=2, max_length=200, examples=["Gemeente Enschede"])
    email: str = Field(max_length=254, examples=["economie@enschede.nl"])
    language: Language = "nl"
    province: str | None = Field(default=None, examples=["PV23"])


class RecipientOut(BaseModel):
    """A directory entry as stored. Deliberately without the write rules: a listing shows every row, and an
    entry stored under older rules must not make the whole directory unreadable (it was a 500 for everyone)."""

    code: str
    kind: str
    name: str
    email: str
    language: str
    province: str | None
    active: bool
    source: Literal["file", "api"]
    updated_at: datetime
    updated_by: str | None


class ReplyBody(BaseModel):
    """An offer or a decline about a case (optionally about one proposed site)."""

    model_config = ConfigDict(extra="forbid")

    response: Literal["offer", "decline"]
    site_id: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")
    message: str = Field(default="", max_length=2000)

    @field_validator("message")
    @classmethod
    def _plain_text(cls, v: str) -> str:
        if _UNSAFE_TEXT.search(v):
            raise ValueError("message must not contain control characters other than newlines and tabs")
        return v


class ApiReplyBody(ReplyBody):
    case_id: UUID


class ReplyResult(BaseModel):
    case_id: UUID
    recipient: str
    response: Literal["offer", "decline"]
    changed: bool = Field(description="False when the same answer was already recorded (nothing emitted).")


class ReplyLine(BaseModel):
    """A recipient's current answer about a case (a changed answer replaces the one before)."""

    case_id: UUID
    recipient_code: str
    recipient_name: str | None = Field(description="From the directory; None when the entry is gone.")
    site_id: str | None = Field(description="None when the answer is about the case as a whole.")
    response: Literal["offer", "decline"]
    message: str
    via: Literal["api", "link"]
    created_at: datetime
    updated_at: datetime


class DeliveryLine(BaseModel):
    """One mail in the delivery log (its parts: GET /deliveries/{id})."""

    id: int
    event_id: UUID
    case_id: UUID | None = Field(description="None for a digest, which covers several cases.")
    recipient_code: str | None
    recipient: str = Field(description="The e-mail address.")
    template: str
    subject: str
    status: Literal["pending", "sending", "sent", "dead"]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    message_id: str = Field(description="The Message-ID header: the same on every attempt of this mail.")


class DeliveryDetail(DeliveryLine):
    """One mail as sent, with both parts and the values it was rendered from."""

    context: dict
    body_text: str
    body_html: str


class DeliveryCount(BaseModel):
    template: str
    status: Literal["pending", "sending", "sent", "dead"]
    count: int
