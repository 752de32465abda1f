"""A company's identity sealed with a key of its own (AES-256-GCM), so that destroying the key erases every copy.

Kafka keeps events for the programme's life and cannot forget one record. So the one event that carries a
company's name and KvK number (consent-granted) carries them encrypted with the company's own key, kept by intake
and handed only to notifications; erasure destroys the key (crypto-shredding). The case id is bound to the
ciphertext as associated data: a sealed identity copied onto another case's event does not open.
"""

from __future__ import annotations

import base64
import json
import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.contracts.events import SealedIdentity

KEY_BYTES = 32
NONCE_BYTES = 12


class Unsealable(ValueError):
    """The key does not open this identity (another key, another case, or tampered with)."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def seal(key: bytes, *, key_id: UUID, case_id: UUID, company_name: str, kvk_number: str) -> SealedIdentity:
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps({"name": company_name, "kvk_number": kvk_number}, ensure_ascii=False).encode()
    cipher = AESGCM(key).encrypt(nonce, plain, case_id.bytes)
    return SealedIdentity(key_id=key_id, nonce=_b64(nonce), ciphertext=_b64(cipher))


def unseal(key: bytes, sealed: SealedIdentity, *, case_id: UUID) -> tuple[str, str]:
    """The company's name and KvK number; Unsealable if this key and case do not open it."""
    try:
        plain = AESGCM(key).decrypt(_unb64(sealed.nonce), _unb64(sealed.ciphertext), case_id.bytes)
    except (InvalidTag, ValueError) as err:
        raise Unsealable("the identity does not open with this key for this case") from err
    found = json.loads(plain)
    return found["name"], found["kvk_number"]


def encode_key(key: bytes) -> str:
    return _b64(key)


def decode_key(text: str) -> bytes:
    key = _unb64(text)
    if len(key) != KEY_BYTES:
        raise Unsealable(f"a key has {KEY_BYTES} bytes")
    return key


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as err:
        raise Unsealable("not base64") from err
