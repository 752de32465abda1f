"""The identity check a note must pass before it is reviewed (pure).

Reporting never holds a company's name: it keeps the keyed hashes of names that intake's lead-registered
events carry (`shared.names`). A note is refused when any run of its words hashes
to one of them, or when it holds something shaped like a KvK number (8 digits), an email address or a phone
number. Hashes cannot be read back into names; the key (NAME_HASH_KEY) keeps them from being
guessed by hashing candidate names elsewhere.
"""

from __future__ import annotations

import re

from shared.names import MAX_WORDS, digest, name_digests, words

__all__ = ["KINDS", "identity_problems", "name_digests"]

KINDS = ("learning", "why_chose", "ecosystem")
KVK_LIKE = re.compile(r"(?<!\d)\d{4}\s?\d{4}(?!\d)")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"(?<!\d)(?:\+31|0)[\s-]?\d(?:[\s-]?\d){8}(?!\d)")


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
