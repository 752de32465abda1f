"""Keyed digests of company names: how reporting recognises a company's name in a note without ever holding it.

Intake, which holds the names, puts the digest of each company's name in its `lead-registered` event; reporting
keeps the digests and hashes every run of words of a note with the same key (NAME_HASH_KEY, one secret shared by
the two services) to find a name in it. A digest cannot be read back into a name; without the key it cannot be
checked against a list of candidate names either.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

LEGAL_FORMS = {"bv", "b.v.", "nv", "n.v.", "vof", "v.o.f.", "holding", "group", "bv.", "ltd", "gmbh", "inc"}
MAX_WORDS = 6  # the longest name run compared


def words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation, legal forms left out ('Photon B.V.' -> ['photon'])."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in re.findall(r"[a-z0-9][a-z0-9&.'-]*", plain) if w.strip(".") not in LEGAL_FORMS
            and w not in LEGAL_FORMS]


def digest(key: bytes, phrase: str) -> str:
    return hmac.new(key, phrase.encode(), hashlib.sha256).hexdigest()


def name_digests(name: str, key: bytes) -> set[str]:
    """The digest of a company's name (its normalised words, joined); a one-word name of 3 letters or fewer is
    too common to refuse text by."""
    found = [w.strip(".'-") for w in words(name)]
    found = [w for w in found if w]
    if not found or (len(found) == 1 and len(found[0]) <= 3):
        return set()
    return {digest(key, " ".join(found[:MAX_WORDS]))}
