"""People who may sign in: a local accounts file with argon2 password hashes (the embedded default).

Production may sign people in through the organisation's OpenID Connect provider instead (docs/workbench.md);
either way the workbench knows a person as an `Account`: a name, a role and an organisation.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.auth import ROLES, Role

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")  # one plain address: nothing a mail header could split
MIN_PASSWORD = 12
_hasher = PasswordHasher()
# Verified when the name is unknown, so that an unknown name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: Role
    organisation: str
    password_hash: str
    email: str = ""  # where follow-up reminders go (coordinators); accounts made before it have none


class AccountError(ValueError):
    """An account that cannot be created as asked (the message says why)."""


def load(path: Path) -> dict[str, Account]:
    if not path.exists():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {a["username"]: Account(**a) for a in raw.get("accounts", [])}


def create(path: Path, *, username: str, name: str, role: str, organisation: str, password: str,
           replace: bool = False, email: str = "") -> Account:
    """Add (or with `replace`, reset) an account; the password is kept only as its argon2 hash."""
    if not USERNAME.match(username):
        raise AccountError("username: 2-64 lower-case letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}")
    if not organisation.strip():
        raise AccountError("organisation: required (a ROM id, 'taskforce', or a CBS code such as GM0153)")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")
    if email and not EMAIL.match(email):
        raise AccountError("email: an address such as marit@example.nl")
    accounts = load(path)
    if username in accounts and not replace:
        raise AccountError(f"username: {username!r} exists (use --replace to reset it)")
    accounts[username] = Account(username, name.strip() or username, role, organisation.strip(),  # type: ignore[arg-type]
                                 _hasher.hash(password), email.strip())
    _save(path, accounts)
    return accounts[username]


def _save(path: Path, accounts: dict[str, Account]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"accounts": [asdict(a) for a in accounts.values()]}, indent=2),
                         encoding="utf-8")
    os.chmod(temporary, 0o600)
    temporary.replace(path)


def verify(accounts: dict[str, Account], username: str, password: str) -> Account | None:
    """The account whose password this is, or None (the same work either way)."""
    account = accounts.get(username)
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return account
