"""The CloudEvents 1.0 envelope (structured JSON mode) that every event travels in."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

_EXTENSION_NAME = re.compile(r"[a-z0-9]{1,50}")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Frozen(BaseModel):
    """Base for payload parts: immutable, and strict about unknown fields so typos are rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes; `schemaversion` is our extension attribute for the payload version."""

    # Unknown *envelope* attributes are allowed: CloudEvents lets producers add extensions.
    model_config = ConfigDict(frozen=True, extra="allow")

    topic: ClassVar[str]

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(default_factory=uuid4, description="Unique per event; the de-duplication key.")
    source: str = Field(min_length=1, max_length=200, description="URI-reference of the producer.")
    type: str
    time: AwareDatetime = Field(default_factory=utcnow)
    subject: str = Field(min_length=1, max_length=200, description="The aggregate (lead or case) id.")
    datacontenttype: Literal["application/json"] = "application/json"
    schemaversion: int
    data: Any

    @model_validator(mode="after")
    def _extensions_are_cloudevents_types(self) -> Self:
        """CloudEvents extension attributes: lowercase a-z0-9 names, string/integer/boolean values only."""
        for name, value in (self.model_extra or {}).items():
            if not _EXTENSION_NAME.fullmatch(name):
                raise ValueError(f"extension attribute {name!r}: names are lowercase letters and digits only")
            if not isinstance(value, str | int | bool) or isinstance(value, float):
                raise ValueError(f"extension attribute {name!r}: must be a string, integer or boolean")
        return self

    @property
    def key(self) -> bytes:
        """Kafka key: the aggregate, so that one case's events stay in order on one partition."""
        return self.subject.encode()

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        return cls.model_validate_json(raw)


class EventTypeError(ValueError):
    """The message is not the event type the topic carries."""


def parse_event(model: type[Envelope], raw: bytes) -> Envelope:
    """Validate raw bytes as `model`; raises pydantic.ValidationError with the field and reason."""
    return model.model_validate_json(raw)
