"""Dutch first, English by choice: gettext catalogues (Babel) for the dashboard and the reports, Dutch formats.

The catalogues are committed as .po files and compiled in memory on first use, so a fresh clone needs no build
step. Message ids are English; `nl` translates them, `en` shows them as they are.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations

from shared.i18n import compiled

LOCALES = ("nl", "en")
DEFAULT = "nl"
CATALOGUES = Path(__file__).parent / "locale"
DOMAIN = "reporting"


def catalogue_path(lang: str) -> Path:
    return CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of a language (English message ids need none)."""
    return compiled(catalogue_path(lang), lang, DOMAIN)


def choose(asked: str | None, accept_language: str | None) -> str:
    """`?lang=` first, then the browser's Accept-Language, then Dutch."""
    if asked in LOCALES:
        return asked
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LOCALES:
            return tag[:2]
    return DEFAULT


class Formats:
    """Numbers, amounts and dates as a reader of one language writes them."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.locale = Locale.parse(lang)
        self._ = translations(lang).gettext

    def number(self, value: float | None, digits: int = 1) -> str:
        if value is None:
            return "–"
        pattern = "#,##0" if float(value).is_integer() else "#,##0." + "0" * digits
        return format_decimal(value, format=pattern, locale=self.locale)

    def millions(self, value: float) -> str:
        return format_decimal(value / 1e6, format="#,##0.#", locale=self.locale)

    def money(self, value: float | None) -> str:
        """An exact amount (coordinator, targets): EUR in millions."""
        if value is None:
            return "–"
        return self._("EUR {amount} mln").format(amount=self.millions(value))

    def band(self, low: float, high: float) -> str:
        """A released amount: the band it lies in."""
        if high <= low:
            return self.money(low)
        return self._("EUR {low}–{high} mln").format(low=self.millions(low), high=self.millions(high))

    def date(self, value: date | str | None) -> str:
        if value is None:
            return "–"
        moment = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(moment, format="long", locale=self.locale)

    def share(self, value: float | None) -> str:
        if value is None:
            return "–"
        return format_decimal(value * 100, format="#,##0", locale=self.locale) + "%"
