"""Password hashing (argon2id), password policy and API/calendar token helpers."""
from __future__ import annotations

import hashlib
import secrets

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


def password_problems(password: str, *, email: str = "") -> list:
    """What is wrong with a new password (empty list: acceptable)."""
    problems = []
    if len(password or "") < MIN_PASSWORD_LENGTH:
        problems.append(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    classes = sum(
        [any(c.islower() for c in password), any(c.isupper() for c in password),
         any(c.isdigit() for c in password), any(not c.isalnum() for c in password)]
    )
    if classes < 2:
        problems.append(_l("Mix at least two of: lower-case, upper-case, digits, symbols."))
    local = (email or "").split("@")[0].lower()
    if local and len(local) >= 3 and local in (password or "").lower():
        problems.append(_l("Do not use your e-mail name in the password."))
    return problems


def new_token(prefix: str = "pm") -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
