"""Sign-in with throttling kept in the database (so it holds across workers and hosts)."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func
from sqlmodel import Session, select

from .. import security
from ..errors import TooManyRequests
from ..models import LoginAttempt, User, utcnow
from . import audit
from .users import normalise_email


def _failures(session: Session, column, value: str, since) -> int:
    return session.exec(
        select(func.count()).select_from(LoginAttempt).where(column == value, LoginAttempt.attempted_at >= since)
    ).one()


def authenticate(session: Session, email: str, password: str, address: str, *, max_failures: int = 10,
                 ip_max_failures: int = 50, window_minutes: int = 15) -> User | None:
    """The user for these credentials, None when they are wrong; 429 while throttled."""
    email = normalise_email(email)
    now = utcnow()
    since = now - timedelta(minutes=window_minutes)
    address = (address or "unknown")[:64]
    if _failures(session, LoginAttempt.email, email, since) >= max_failures:
        raise TooManyRequests(_l("Too many failed sign-ins for this account. Try again in %(n)d minutes.",
                                 n=window_minutes))
    if _failures(session, LoginAttempt.address, address, since) >= ip_max_failures:
        raise TooManyRequests(_l("Too many failed sign-ins from this address. Try again in %(n)d minutes.",
                                 n=window_minutes))
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        security.verify_password(security.DUMMY_HASH, password or "")  # same time as a real check
        ok = False
    else:
        ok = user.active and security.verify_password(user.password_hash, password or "")
    if not ok:
        session.add(LoginAttempt(email=email[:254], address=address, attempted_at=now))
        session.flush()
        return None
    session.exec(delete(LoginAttempt).where(LoginAttempt.email == email))
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    user.last_login_at = now
    session.add(user)
    session.flush()
    audit.record(session, user, "user", user.id, "sign_in", None, {"address": address})
    return user


def prune_attempts(session: Session, older_than_minutes: int = 60 * 24) -> int:
    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    result = session.exec(delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff))
    return result.rowcount or 0
