"""What every way of signing in ends with (a local password, LDAP, OpenID Connect): a server session, the
Flask-Login cookie bound to it, and the way on to the page asked for — only ever a page of this site."""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import current_app, flash, redirect, request, session as cookie, url_for
from flask_babel import gettext as _
from flask_login import login_user

from ...enums import SignInMethod
from ...models import User
from ...services import sessions

NEXT_MAX = 2000


def safe_next(target: str | None) -> str | None:
    """``target`` as a path on this site, or None. Parsed, not pattern-matched: anything with a scheme or a
    host is refused, and so are control characters and backslashes before parsing (a browser drops a tab or a
    newline, so ``/\\t/evil.example`` would become ``//evil.example``)."""
    if not target or len(target) > NEXT_MAX:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return urlunsplit(("", "", parts.path, parts.query, ""))


def remember_next(target: str | None) -> None:
    """Keep where to go after a directory sign-in, which leaves the site and comes back."""
    cookie["pm_next"] = safe_next(target) or ""


def complete_sign_in(db, user: User, *, method: SignInMethod, remember: bool = False, next_url: str | None = None):
    """Open the server session, bind the cookie to it, greet, and go on (``next_url`` when it is a path of this
    site, else the home page). Flushes; the view commits."""
    sessions.start(db, user, method=method, remember=remember, address=request.remote_addr or "")
    login_user(user, remember=remember)
    flash(_("Welcome, %(name)s.", name=user.display_name), "success")
    return redirect(safe_next(next_url) or url_for("main.home"))


def end_sign_in(db, user: User) -> None:
    """Sign-out: the server session ends, so the old cookie (and a remember-me cookie) sign nobody in."""
    from flask_login import logout_user

    sessions.end(db, user.session_id)
    logout_user()


def idle_minutes() -> int:
    return int(current_app.config["SESSION_IDLE_MINUTES"])
