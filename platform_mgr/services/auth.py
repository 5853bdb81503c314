"""Sign-in with throttling kept in the database (so it holds across workers and hosts)."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func
from sqlmodel import Session, select

from .. import security
from ..errors import Forbidden, TooManyRequests
from ..i18n import N_
from ..models import LoginAttempt, SignInPolicy, User, utcnow
from . import audit
from .users import normalise_email


SIGN_IN, RESET = "sign_in", "reset"


def _failures(session: Session, column, value: str, since, kind: str = SIGN_IN) -> int:
    return session.exec(
        select(func.count()).select_from(LoginAttempt).where(column == value, LoginAttempt.kind == kind,
                                                              LoginAttempt.attempted_at >= since)
    ).one()


def policy(session: Session) -> SignInPolicy:
    """The one policy row (created on first use)."""
    row = session.get(SignInPolicy, 1)
    if row is None:
        row = SignInPolicy(id=1, directory_roles=[])
        session.add(row)
        session.flush()
    return row


def directory_only(session: Session, role: str) -> bool:
    """Must this role sign in through a directory (its local passwords refused)?"""
    row = session.get(SignInPolicy, 1)
    return row is not None and str(role) in (row.directory_roles or [])


def refuse_local_password(session: Session, user: User) -> None:
    if directory_only(session, user.role):
        raise Forbidden(_l("Your role signs in through the directory: use the directory sign-in below."))


TOO_MANY = {
    SIGN_IN: (N_("Too many failed sign-ins for this account. Try again in %(n)d minutes."),
              N_("Too many failed sign-ins from this address. Try again in %(n)d minutes.")),
    RESET: (N_("Too many password reset requests for this e-mail address. Try again in %(n)d minutes."),
            N_("Too many password reset requests from this network address. Try again in %(n)d minutes.")),
}


def throttle(session: Session, kind: str, email: str, address: str, *, max_per_email: int, max_per_address: int,
             window_minutes: int, record: bool = False) -> None:
    """429 once an account or a network address has made too many attempts of ``kind`` within the window;
    with ``record`` this attempt is counted too."""
    now = utcnow()
    since = now - timedelta(minutes=window_minutes)
    address = (address or "unknown")[:64]
    for column, value, limit, message in ((LoginAttempt.email, email, max_per_email, TOO_MANY[kind][0]),
                                          (LoginAttempt.address, address, max_per_address, TOO_MANY[kind][1])):
        if _failures(session, column, value, since, kind) >= limit:
            raise TooManyRequests(_l(message, n=window_minutes))
    if record:
        session.add(LoginAttempt(kind=kind, email=email[:254], address=address, attempted_at=now))
        session.flush()


def forget_failures(session: Session, key: str) -> None:
    """A sign-in worked: the failed attempts counted for this account (``key``) are forgotten."""
    session.exec(delete(LoginAttempt).where(LoginAttempt.email == key[:254], LoginAttempt.kind == SIGN_IN))


def authenticate(session: Session, email: str, password: str, address: str, *, max_failures: int = 10,
                 ip_max_failures: int = 50, window_minutes: int = 15) -> User | None:
    """The user for these credentials, None when they are wrong; 429 while throttled; 403 when the user's role
    must sign in through the directory."""
    email = normalise_email(email)
    now = utcnow()
    address = (address or "unknown")[:64]
    throttle(session, SIGN_IN, email, address, max_per_email=max_failures, max_per_address=ip_max_failures,
             window_minutes=window_minutes)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.has_password:
        security.verify_password(security.DUMMY_HASH, password or "")  # the same time as a real check
        ok = False
    else:
        ok = user.active and security.verify_password(user.password_hash, password or "")
    if not ok:
        session.add(LoginAttempt(kind=SIGN_IN, email=email[:254], address=address, attempted_at=now))
        session.flush()
        return None
    refuse_local_password(session, user)
    forget_failures(session, email)
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    user.last_login_at = now
    session.add(user)
    session.flush()
    audit.record(session, user, "user", user.id, "sign_in", None, {"address": address, "method": "password"})
    return user


def prune_attempts(session: Session, older_than_minutes: int = 60 * 24) -> int:
    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    result = session.exec(delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff))
    return result.rowcount or 0
