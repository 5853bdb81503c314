"""Password hashing (argon2id), password policy and API/calendar token helpers."""
from __future__ import annotations

import gzip
import hashlib
import secrets
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# a dummy hash to spend the same time when the account does not exist
DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common-passwords.txt.gz"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The 20,000 common passwords shipped with the app (lower-cased; ``data/README.md`` says where from)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def password_problems(password: str, *, email: str = "") -> list:
    """What is wrong with a new password (empty list: acceptable). DESIGN §9: at least 10 characters, not the
    e-mail address (nor its name before the @), not one of the common passwords. No rules of composition: a
    long phrase is better than a short mix."""
    password = password or ""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    lowered = password.lower()
    address = (email or "").strip().lower()
    local = address.split("@")[0]
    if address and (lowered == address or (len(local) >= 3 and local in lowered)):
        problems.append(_l("Do not use your e-mail address or its name in the password."))
    if lowered in common_passwords():
        problems.append(_l("This password is one of the most common ones: choose another."))
    return problems


def new_token(prefix: str = "pm") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
