"""The CloudEvents 1.0 envelope (structured JSON mode) that every event travels in, and how its payload evolves.

Tolerant readers inside the system: payload parts (`Frozen`) ignore fields they do not know, so a producer
can add an optional field before its consumers know it. Strict at the ROM boundary: `Strict` parts reject
unknown fields (a typo in a ROM's message is an error, not a silently lost value).

Versions: each event type declares its current `schemaversion` and, per older version N, an upcaster that
turns a version-N payload (a dict) into a version-N+1 payload (cf. eventsourcing's `upcast_v1_v2`). Reading
an event upcasts it step by step to the current model, so a consumer accepts every version it has known.
The policy is in docs/contracts.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

_EXTENSION_NAME = re.compile(r"[a-z0-9]{1,50}")


def utcnow() -> datetime:
    return datetime.now(UTC)


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Frozen(BaseModel):
    """Base for payload parts inside the system: immutable; unknown fields are ignored (tolerant reader)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Strict(Frozen):
    """Base for payload parts at the ROM boundary (lead-signalled): unknown fields are rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Envelope(BaseModel):
    """CloudEvents 1.0 attributes; `schemaversion` is our extension attribute for the payload version."""

    # Unknown *envelope* attributes are allowed: CloudEvents lets producers add extensions.
    model_config = ConfigDict(frozen=True, extra="allow")

    topic: ClassVar[str]
    # Version N -> the function that turns a version-N payload into a version-N+1 payload.
    upcasters: ClassVar[Mapping[int, Upcaster]] = {}

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
    def current_version(cls) -> int:
        return cls.model_fields["schemaversion"].default

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        return cls.model_validate_json(raw)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kw: Any) -> Self:
        """Validate an event of any version this type has known (older ones are upcast first)."""
        try:
            return super().model_validate_json(json_data, **kw)
        except ValidationError as err:
            # The fast path is the current version; only an event that fails on its version is parsed twice.
            if not any(e["loc"] == ("schemaversion",) for e in err.errors()):
                raise
            try:
                raw = json.loads(json_data)
            except ValueError:
                raise err from None
        return cls.model_validate(raw, **kw)

    @classmethod
    def model_validate(cls, obj: Any, **kw: Any) -> Self:
        if isinstance(obj, dict) and obj.get("schemaversion", cls.current_version()) != cls.current_version():
            obj = cls.upcast(obj)
        return super().model_validate(obj, **kw)

    @classmethod
    def upcast(cls, raw: dict[str, Any]) -> dict[str, Any]:
        """An event of an older version as the current version (its payload upcast step by step)."""
        version, current = raw.get("schemaversion"), cls.current_version()
        if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < current:
            return raw  # a newer, missing or malformed version: the field's own validation says what is wrong
        data = raw.get("data")
        for step in range(version, current):
            if step not in cls.upcasters:
                raise _version_error(f"version {step} of {cls.topic} can no longer be read (no upcaster)", version)
            if isinstance(data, dict):
                data = cls.upcasters[step](dict(data))
        return {**raw, "schemaversion": current, "data": data}


def parse_event(model: type[Envelope], raw: bytes) -> Envelope:
    """Validate raw bytes as `model` (any version it has known); raises pydantic.ValidationError with the
    field and reason."""
    return model.model_validate_json(raw)


def _version_error(message: str, version: int) -> ValidationError:
    return ValidationError.from_exception_data("Envelope", [InitErrorDetails(
        type=PydanticCustomError("unreadable_version", message), loc=("schemaversion",), input=version)])
