"""Dutch first, English by choice: the workbench's gettext catalogue (Babel), compiled in memory on first use.

Message ids are English; `nl` translates them. The language is `?lang=` (remembered in a cookie), then the
browser's Accept-Language, then Dutch.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from babel.dates import format_datetime
from babel.support import NullTranslations

from shared.i18n import compiled

LOCALES = ("nl", "en")
DEFAULT = "nl"
DOMAIN = "workbench"
CATALOGUES = Path(__file__).parent / "locale"


def catalogue_path(lang: str) -> Path:
    return CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> NullTranslations:
    return compiled(catalogue_path(lang), lang, DOMAIN)


def choose(asked: str | None, remembered: str | None, accept_language: str | None) -> str:
    for choice in (asked, remembered):
        if choice in LOCALES:
            return choice
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LOCALES:
            return tag[:2]
    return DEFAULT


def moment(value: datetime | str | None, lang: str) -> str:
    """A date and time as a reader of the language writes it (Dutch: '1 dec 2026 15:40')."""
    if value is None:
        return "–"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(when, format="d MMM y HH:mm", locale=lang, tzinfo=None)
