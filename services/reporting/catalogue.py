"""The reporting catalogue's messages: `python -m services.reporting.catalogue` extracts them from the code and
the templates and merges them into each language's .po file (new ones untranslated, gone ones dropped).

Babel's extractors: Python (with N_ for "translate later") and Jinja2's i18n extension for the templates.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from services.reporting.i18n import LOCALES, catalogue_path

ROOT = Path(__file__).parent
METHODS = [("**/locale/**", "ignore"), ("**.py", "python"), ("**.j2", "jinja2.ext:babel_extract")]
OPTIONS = {"**.j2": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "N_": None}


def messages() -> list[str]:
    """Every message id the pages can show, in the order found."""
    found = extract_from_dir(str(ROOT), method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS)
    seen: dict[str, None] = {}
    for _file, _line, message, _comments, _context in found:
        if isinstance(message, str) and message:
            seen.setdefault(message, None)
    return list(seen)


def merge(lang: str, wanted: list[str]) -> Catalog:
    path = catalogue_path(lang)
    old = read_po(path.open("rb"), locale=lang) if path.exists() else Catalog(locale=lang)
    fresh = Catalog(locale=lang, project="groeiruimte-reporting")
    for message in wanted:
        known = old.get(message)
        fresh.add(message, known.string if known else "")
    return fresh


def main() -> int:
    wanted = messages()
    for lang in LOCALES:
        if lang == "en":
            continue  # English message ids are shown as they are
        catalogue = merge(lang, wanted)
        catalogue_path(lang).parent.mkdir(parents=True, exist_ok=True)
        with catalogue_path(lang).open("wb") as out:
            write_po(out, catalogue, omit_header=False, width=118)
        missing = [m.id for m in catalogue if m.id and not m.string]
        print(f"{lang}: {len(wanted)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
