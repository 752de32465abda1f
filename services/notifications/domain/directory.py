"""The recipient directory: who can be told, by CBS code, with an address that is safe to put in a header."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Province codes, names and spellings (and municipality -> province) are one table for every service.
from shared.contracts.geography import province_code

Kind = Literal["municipality", "province", "coordinator", "mirt"]
Language = Literal["nl", "en"]

# A municipality's or province's CBS code names that body only: it can never be another kind's id.
_NOT_A_CBS_CODE = r"(?!GM\d{4}$|PV\d{2}$)"
CODE_PATTERNS: dict[str, str] = {
    "municipality": r"^GM\d{4}$", "province": r"^PV(2\d|3[01])$",
    "coordinator": rf"^{_NOT_A_CBS_CODE}[A-Z][A-Z0-9-]{{1,39}}$", "mirt": rf"^{_NOT_A_CBS_CODE}[A-Z][A-Z0-9-]{{1,39}}$",
}
# Deliberately strict: ASCII local part and a dotted domain; what a municipality's mailbox really looks like.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?=.{1,253}$)"
                    r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def no_header_breaks(value: str, field: str) -> str:
    """Reject control characters (CR, LF, NUL, ...) that would let a value inject mail headers."""
    if _CONTROL.search(value):
        raise ValueError(f"{field} must not contain control characters (CR, LF, ...): header injection")
    return value


class Recipient(BaseModel):
    """One directory entry; its fields end up in mail headers, so they are validated strictly."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(description="GMxxxx (municipality), PV20..PV31 (province), or an id like COORDINATOR/MIRT-EZ.")
    kind: Kind
    name: str = Field(min_length=2, max_length=200)
    email: str = Field(max_length=254)
    language: Language = "nl"
    province: str | None = Field(default=None, description="A municipality's province (PV code).")

    @field_validator("name")
    @classmethod
    def _safe_name(cls, v: str) -> str:
        name = no_header_breaks(v, "name").strip()
        if len(name) < 2:  # checked again after stripping: what is stored must be a name
            raise ValueError("name needs at least 2 characters besides spaces")
        return name

    @field_validator("email")
    @classmethod
    def _valid_email(cls, v: str) -> str:
        no_header_breaks(v, "email")
        if not _EMAIL.match(v):
            raise ValueError("not a valid email address (expected local@domain.tld, ASCII, no spaces)")
        return v

    @field_validator("province")
    @classmethod
    def _province(cls, v: str | None) -> str | None:
        if v is None:
            return None
        code = province_code(no_header_breaks(v, "province"))
        if code is None:
            raise ValueError(f"unknown province {v!r}: use a CBS code PV20..PV31 or its name")
        return code

    @model_validator(mode="after")
    def _code_fits_kind(self) -> Recipient:
        no_header_breaks(self.code, "code")
        if not re.match(CODE_PATTERNS[self.kind], self.code):
            fits = [kind for kind in ("municipality", "province") if re.match(CODE_PATTERNS[kind], self.code)]
            if fits:
                raise ValueError(f"code {self.code!r} does not fit kind {self.kind!r}: it is a {fits[0]}'s CBS code "
                                 f"(kind {fits[0]!r})")
            raise ValueError(f"code {self.code!r} does not fit kind {self.kind!r} "
                             f"(pattern {CODE_PATTERNS[self.kind]})")
        return self


def load_directory(path: Path) -> dict[str, Recipient]:
    """Read and validate the directory file; a bad entry stops the start with its index and reason."""
    entries = json.loads(path.read_text())["recipients"]
    out: dict[str, Recipient] = {}
    for i, entry in enumerate(entries):
        try:
            recipient = Recipient.model_validate(entry)
        except ValueError as err:
            raise ValueError(f"{path}: recipients[{i}] ({entry.get('code')!r}): {err}") from err
        out[recipient.code] = recipient
    return out


def of_kind(directory: dict[str, Recipient], kind: Kind) -> list[Recipient]:
    return sorted((r for r in directory.values() if r.kind == kind), key=lambda r: r.code)
