"""Sign-in with throttling kept in the database (so it holds across workers and hosts).

Sign-in failures are rows of ``LoginAttempt`` (kind ``sign_in``); the rules that turn them into a wait are
``domain.throttle``: a growing delay per (account, address), a block per address that failed on too many distinct
accounts. Nothing here sleeps: a refused attempt is a 429 with the instant it may come back (Retry-After)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func
from sqlmodel import Session, select

from .. import security
from ..domain import throttle as throttling
from ..domain.throttle import ThrottleRules
from ..errors import Conflict, Forbidden, TooManyRequests
from ..i18n import N_
from ..models import LoginAttempt, SignInPolicy, User, utcnow
from ..models.user import RESET, SIGN_IN  # noqa: F401  (callers say auth.SIGN_IN, auth.RESET)
from . import audit
from .users import normalise_email


def _address(address: str | None) -> str:
    return (address or "unknown")[:64]


def _key(key: str) -> str:
    return key[:254]


def _failures(session: Session, column, value: str, since, kind: str) -> int:
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
    RESET: (N_("Too many password reset requests for this e-mail address. Try again in %(n)d minutes."),
            N_("Too many password reset requests from this network address. Try again in %(n)d minutes.")),
}


def throttle(session: Session, kind: str, email: str, address: str, *, max_per_email: int, max_per_address: int,
             window_minutes: int, record: bool = False) -> None:
    """Password resets: 429 once an e-mail or a network address has made too many requests within the window;
    with ``record`` this request is counted too. (Sign-in has its own rules: ``check_sign_in``.)"""
    now = utcnow()
    since = now - timedelta(minutes=window_minutes)
    address = _address(address)
    for column, value, limit, message in ((LoginAttempt.email, email, max_per_email, TOO_MANY[kind][0]),
                                          (LoginAttempt.address, address, max_per_address, TOO_MANY[kind][1])):
        if _failures(session, column, value, since, kind) >= limit:
            raise TooManyRequests(_l(message, n=window_minutes))
    if record:
        session.add(LoginAttempt(kind=kind, email=email[:254], address=address, attempted_at=now))
        session.flush()


# --- sign-in: a delay per (account, address), a block per address for credential stuffing ---------------

#: (pair delayed, address blocked) × (seconds, minutes): the same words for a known and an unknown account
WAIT = {
    "pair": (N_("Too many failed sign-ins for this account from your network address. Try again in %(n)d s."),
             N_("Too many failed sign-ins for this account from your network address. Try again in %(n)d min.")),
    "address": (N_("Too many failed sign-ins for different accounts from your network address. "
                   "Try again in %(n)d s."),
                N_("Too many failed sign-ins for different accounts from your network address. "
                   "Try again in %(n)d min.")),
}


def _too_many(which: str, until: datetime, now: datetime) -> TooManyRequests:
    seconds = throttling.retry_after_seconds(until, now)
    in_seconds, in_minutes = WAIT[which]
    message = _l(in_seconds, n=seconds) if seconds < 120 else _l(in_minutes, n=-(-seconds // 60))
    return TooManyRequests(message, retry_after=seconds)


def address_blocked_until(session: Session, address: str, rules: ThrottleRules, now: datetime) -> datetime | None:
    """Until when ``address`` is blocked for failing on too many distinct accounts (None: it is not)."""
    latest = func.max(LoginAttempt.attempted_at)
    rows = session.exec(
        select(latest).where(LoginAttempt.kind == SIGN_IN, LoginAttempt.address == address,
                             LoginAttempt.attempted_at >= now - rules.address_window)
        .group_by(LoginAttempt.email).order_by(latest.desc()).limit(rules.max_accounts + 1)).all()
    return throttling.address_blocked_until(list(rows), rules)


def pair_not_before(session: Session, key: str, address: str, rules: ThrottleRules, now: datetime):
    """(failures, not-before) of the pair (account ``key``, ``address``) within the window."""
    failures, last = session.exec(
        select(func.count(), func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.kind == SIGN_IN, LoginAttempt.email == key, LoginAttempt.address == address,
            LoginAttempt.attempted_at >= now - rules.pair_window)).one()
    return failures, throttling.pair_not_before(failures, last, rules)


def check_sign_in(session: Session, key: str, address: str, rules: ThrottleRules) -> None:
    """429 (with ``retry_after``) while the address is blocked or the pair (``key``, ``address``) must wait; the
    attempt is not counted then, and the password is not checked. ``key`` is a normalised e-mail (or ``ldap:``
    and the directory login), known to the app or not: both are treated alike."""
    now = utcnow()
    key, address = _key(key), _address(address)
    blocked = throttling.refused_until(address_blocked_until(session, address, rules, now), now)
    if blocked:
        raise _too_many("address", blocked, now)
    _count, not_before = pair_not_before(session, key, address, rules, now)
    waiting = throttling.refused_until(not_before, now)
    if waiting:
        raise _too_many("pair", waiting, now)


def record_failure(session: Session, key: str, address: str) -> None:
    session.add(LoginAttempt(kind=SIGN_IN, email=_key(key), address=_address(address), attempted_at=utcnow()))
    session.flush()


def forget_failures(session: Session, key: str, address: str) -> None:
    """A sign-in worked: the failures of this account from this address are forgotten (those from other addresses
    stay: the owner signing in does not reset a guesser's delay elsewhere)."""
    session.exec(delete(LoginAttempt).where(LoginAttempt.email == _key(key), LoginAttempt.address == _address(address),
                                            LoginAttempt.kind == SIGN_IN))


def authenticate(session: Session, email: str, password: str, address: str, *,
                 rules: ThrottleRules = ThrottleRules()) -> User | None:
    """The user for these credentials, None when they are wrong; 429 while throttled; 403 when the user's role
    must sign in through the directory."""
    email = normalise_email(email)
    address = _address(address)
    check_sign_in(session, email, address, rules)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.has_password:
        security.verify_password(security.DUMMY_HASH, password or "")  # the same time as a real check
        ok = False
    else:
        ok = user.active and security.verify_password(user.password_hash, password or "")
    if not ok:
        record_failure(session, email, address)
        return None
    refuse_local_password(session, user)
    forget_failures(session, email, address)
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()
    audit.record(session, user, "user", user.id, "sign_in", None, {"address": address, "method": "password"})
    return user


def lift_throttle(session: Session, actor, address: str, key: str | None = None) -> int:
    """An admin lifts a delay or a block: the sign-in failures of the pair (``key``, ``address``), or with no
    ``key`` every sign-in failure from ``address``, are forgotten. Audited; returns how many failures were forgotten;
    409 when there were none (lifted already). Flushes."""
    address = _address(address)
    where = [LoginAttempt.kind == SIGN_IN, LoginAttempt.address == address]
    if key is not None:
        where.append(LoginAttempt.email == _key(key))
    failures = session.exec(select(func.count()).select_from(LoginAttempt).where(*where)).one()
    if not failures:
        raise Conflict(_l("There is nothing to lift: these failures were forgotten already."))
    session.exec(delete(LoginAttempt).where(*where))
    session.flush()
    audit.record(session, actor, "sign_in_throttle", None, "lift", None,
                 {"address": address, "account": key, "failures": failures})
    return failures


def prune_attempts(session: Session, older_than_minutes: int = 60 * 24) -> int:
    cutoff = utcnow() - timedelta(minutes=older_than_minutes)
    result = session.exec(delete(LoginAttempt).where(LoginAttempt.attempted_at < cutoff))
    return result.rowcount or 0
