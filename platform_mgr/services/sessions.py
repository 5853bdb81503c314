"""Web sessions kept on the server (DESIGN §9): the cookie carries a random key, the table its SHA-256.

``start`` opens one when someone signs in (password or directory), ``lookup`` finds the user for a cookie's
key on every request (Flask-Login's user loader, which also ends an idle one and records use), and ``end`` / ``end_all`` close sessions for good: at
sign-out, after ``SESSION_IDLE_MINUTES`` without a request, and when the password is changed or reset or the
account is deactivated. A closed session never opens again, so a replayed cookie — the session cookie or the
remember-me cookie, both carry the key — signs nobody in.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from .. import security
from ..enums import SessionEnd, SignInMethod
from ..models import User, UserSession, utcnow

#: a request refreshes last_seen_at at most this often (one small write per minute per browser, not per request)
TOUCH_EVERY = timedelta(seconds=60)


def start(session: Session, user: User, *, method: SignInMethod = SignInMethod.PASSWORD, remember: bool = False,
          address: str = "", now: datetime | None = None) -> str:
    """Open a session for ``user`` and bind it to the object (``user.get_id()`` is then its key); flushes."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, key_hash=security.token_digest(key), method=method, remember=remember,
                      address=(address or "")[:64], created_at=now, last_seen_at=now)
    session.add(row)
    session.flush()
    user.bind_session(key, row.id)
    return key


def lookup(session: Session, key: str) -> tuple[User, UserSession] | None:
    """The user and the open session of a cookie's key; None when there is none, it ended, or the account is
    inactive. Reads only: whether it went idle is ``is_idle``'s question."""
    if not key:
        return None
    found = session.exec(select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
                         .where(UserSession.key_hash == security.token_digest(key))).first()
    if found is None:
        return None
    user, row = found
    if row.ended_at is not None or not user.active:
        return None
    return user, row


def is_idle(row: UserSession, idle_minutes: int, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at > timedelta(minutes=idle_minutes)


def for_request(session: Session, key: str, *, idle_minutes: int, safe_request: bool) -> User | None:
    """Flask-Login's user loader: the signed-in user bound to its session, or None. An idle session is ended
    and a used one touched — on a read-only request in a short transaction of its own (the request's own
    session only reads), on a write request in the request's transaction (which the view commits)."""
    found = lookup(session, key)
    if found is None:
        return None
    user, row = found
    now = utcnow()
    idle = is_idle(row, idle_minutes, now)
    if idle or needs_touch(row, now):
        def write(s: Session) -> None:
            if idle:
                end(s, row.id, SessionEnd.IDLE, now)
            else:
                touch(s, row.id, now)

        if safe_request:
            from ..db import new_session

            with new_session(write=True) as own:
                write(own)
                own.commit()
        else:
            write(session)
    if idle:
        return None
    user.bind_session(key, row.id)
    return user


def needs_touch(row: UserSession, now: datetime | None = None) -> bool:
    return (now or utcnow()) - row.last_seen_at >= TOUCH_EVERY


def touch(session: Session, session_id: int, now: datetime | None = None) -> None:
    """Record that the session was used now (a conditional UPDATE: never reopens an ended session)."""
    session.exec(update(UserSession).where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                 .values(last_seen_at=now or utcnow()))


def _close(session: Session, ids, reason: SessionEnd, now: datetime) -> int:
    ids = list(ids)
    if not ids:
        return 0
    result = session.exec(update(UserSession).where(UserSession.id.in_(ids), UserSession.ended_at.is_(None))
                          .values(ended_at=now, end_reason=reason.value))
    session.flush()
    return result.rowcount or 0


def end(session: Session, session_id: int | None, reason: SessionEnd = SessionEnd.SIGN_OUT,
        now: datetime | None = None) -> int:
    """End one session (sign-out); 1 when it was open."""
    return _close(session, [session_id] if session_id else [], reason, now or utcnow())


def end_all(session: Session, user_id: int, reason: SessionEnd, *, keep: int | None = None,
            now: datetime | None = None) -> int:
    """End every open session of a user (but ``keep``, the caller's own, when given); how many ended."""
    q = select(UserSession.id).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep is not None:
        q = q.where(UserSession.id != keep)
    return _close(session, session.exec(q).all(), reason, now or utcnow())


def open_count(session: Session, user_id: int) -> int:
    from sqlalchemy import func

    return session.exec(select(func.count()).select_from(UserSession)
                        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))).one()
