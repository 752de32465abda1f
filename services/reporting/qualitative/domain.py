"""The identity check a note must pass before it is reviewed (pure).

Reporting never holds a company's name: of every name in lead-signalled and consent-granted it keeps keyed
hashes of its normalised word sequences (`name_digests`). A note is refused when any run of its words hashes
to one of them, or when it holds something shaped like a KvK number (8 digits), an email address or a phone
number. Hashes cannot be read back into names; the key (REPORTING_NAME_HASH_KEY) keeps them from being
guessed by hashing candidate names elsewhere.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

KINDS = ("learning", "why_chose", "ecosystem")
LEGAL_FORMS = {"bv", "b.v.", "nv", "n.v.", "vof", "v.o.f.", "holding", "group", "bv.", "ltd", "gmbh", "inc"}
MAX_WORDS = 6  # the longest name run compared
KVK_LIKE = re.compile(r"(?<!\d)\d{4}\s?\d{4}(?!\d)")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"(?<!\d)(?:\+31|0)[\s-]?\d(?:[\s-]?\d){8}(?!\d)")


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


def identity_problems(text: str, known: set[str], key: bytes) -> list[str]:
    """Why a note may not reach the ministry (empty: it may). Never repeats the name it found."""
    problems = []
    if KVK_LIKE.search(text):
        problems.append("contains a number shaped like a KvK number (8 digits)")
    if EMAIL.search(text):
        problems.append("contains an email address")
    if PHONE.search(text):
        problems.append("contains a phone number")
    found = [w.strip(".'-") for w in words(text)]
    runs = {" ".join(found[i:i + n]) for n in range(1, MAX_WORDS + 1) for i in range(len(found) - n + 1)}
    hits = sum(1 for run in runs if digest(key, run) in known)
    if hits:
        problems.append(f"names a company signalled to the programme ({hits} match{'es' if hits > 1 else ''})")
    return problems
