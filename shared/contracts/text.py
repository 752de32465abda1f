"""Text that every store takes: PostgreSQL refuses NUL characters (text and JSONB) and unpaired surrogates
(not UTF-8), so the contracts refuse them first, with the field, instead of a database error later."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

_NUL = "\x00"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def unstorable_text_error(value: str) -> PydanticCustomError | None:
    """Why `value` cannot be stored, or None. The reason never quotes the value (it may be a company name)."""
    if _NUL in value:
        return PydanticCustomError("string_nul_character", "must not contain a NUL character (U+0000)")
    if _SURROGATE.search(value):
        return PydanticCustomError("string_unpaired_surrogate",
                                   "must not contain an unpaired surrogate (U+D800-U+DFFF): not valid Unicode text")
    return None


def storable(value: str) -> str:
    if err := unstorable_text_error(value):
        raise err
    return value


StorableStr = Annotated[str, AfterValidator(storable)]
"""A string PostgreSQL can store: no NUL character, no unpaired surrogate."""
