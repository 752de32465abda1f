"""Gettext catalogues compiled from their .po files at first use (no compiled .mo files in the repository)."""

from __future__ import annotations

import io
from gettext import NullTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations


def compiled(path: Path, lang: str, domain: str) -> NullTranslations:
    """The translations in `path` for `lang`; English message ids, or a missing catalogue, need none."""
    if lang == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalogue = read_po(po, locale=lang)
    mo = io.BytesIO()
    write_mo(mo, catalogue, use_fuzzy=False)
    mo.seek(0)
    return Translations(mo, domain=domain)
