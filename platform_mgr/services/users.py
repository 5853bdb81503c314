"""People: create users, bind operators to platforms, passwords and API tokens."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlmodel import Session, select

from .. import security
from ..enums import Role, SessionEnd
from ..errors import Conflict, Invalid, NotFound
from ..inputs import validated
from ..inputs.accounts import TOKEN_DAYS_DEFAULT, TokenCreate
from ..models import ApiToken, Gatekeeper, OperatorPlatform, Platform, User, utcnow
from . import audit, institutions, sessions

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ROLES = Role.values()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def create_user(session: Session, actor, *, email: str, role: str, password: str, display_name: str = "",
                affiliation: str = "", platform_codes: Iterable[str] = (), preferred_lang: str = "zh_Hans_CN",
                check_policy: bool = True) -> User:
    email = normalise_email(email)
    errors = {}
    if not EMAIL_RE.match(email):
        errors["email"] = _l("Enter a valid e-mail address.")
    if role not in ROLES:
        errors["role"] = _l("This value is not one of the allowed choices.")
    if check_policy:
        problems = security.password_problems(password, email=email)
        if problems:
            errors["password"] = " ".join(str(p) for p in problems)
    elif not password:
        errors["password"] = _l("This field is required.")
    platforms = []
    codes = [c.strip().upper() for c in platform_codes if c and c.strip()]
    if codes and role != "operator":
        errors["platform"] = _l("Only operators are bound to platforms.")
    for code in codes:
        platform = session.exec(select(Platform).where(Platform.code == code)).first()
        if platform is None:
            errors["platform"] = _l("Unknown platform code: %(code)s", code=code)
        else:
            platforms.append(platform)
    if errors:
        raise Invalid(_l("Please correct the marked fields."), fields=errors)
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise Conflict(_l("A user with this e-mail already exists."), fields={"email": _l("Already in use.")})
    institution = institutions.resolve(session, actor, affiliation)  # found by normalised name, or created
    user = User(email=email, role=role, display_name=display_name.strip() or email.split("@")[0],
                affiliation=institution.name_zh if institution else "",
                institution_id=institution.id if institution else None,
                password_hash=security.hash_password(password),
                preferred_lang=preferred_lang)
    session.add(user)
    session.flush()
    for platform in platforms:
        session.add(OperatorPlatform(user_id=user.id, platform_id=platform.id))
    session.flush()
    audit.record(session, actor, "user", user.id, "create",
                 None, {**audit.snapshot(user, ["email", "role", "display_name", "affiliation", "institution_id", "active"]),
                        "platforms": [p.code for p in platforms]})
    return user


def bind_operator(session: Session, actor, user: User, platform: Platform) -> None:
    if user.role != "operator":
        raise Invalid(_l("Only operators are bound to platforms."), fields={"user": _l("Not an operator.")})
    if session.get(OperatorPlatform, (user.id, platform.id)) is None:
        session.add(OperatorPlatform(user_id=user.id, platform_id=platform.id))
        session.flush()
        audit.record(session, actor, "user", user.id, "bind_platform", None, {"platform": platform.code})


def name_gatekeeper(session: Session, actor, user: User, platform: Platform) -> None:
    if user.role != "reviewer":
        raise Invalid(_l("Only reviewers can be gatekeepers."), fields={"user": _l("Not a reviewer.")})
    if session.get(Gatekeeper, (user.id, platform.id)) is None:
        session.add(Gatekeeper(user_id=user.id, platform_id=platform.id))
        session.flush()
        audit.record(session, actor, "platform", platform.id, "name_gatekeeper", None, {"user": user.email})


def issue_token(session: Session, actor, user: User, data: TokenCreate | None = None, *,
                label: str = "", days: int = TOKEN_DAYS_DEFAULT) -> tuple[ApiToken, str]:
    """A new API token for ``user``: the row and the secret, which is shown this once (only its SHA-256 is
    kept). It lives ``days`` days (default 90, at most 365)."""
    if data is None:
        data = validated(TokenCreate, {"label": label or "token", "days": days})
    token = security.new_token()
    now = utcnow()
    row = ApiToken(user_id=user.id, token_hash=security.token_digest(token), prefix=token[:10], label=data.label,
                   created_at=now, expires_at=now + timedelta(days=data.days))
    session.add(row)
    session.flush()
    audit.record(session, actor, "api_token", row.id, "create", None,
                 {"user": user.email, "prefix": row.prefix, "label": row.label, "expires_at": row.expires_at})
    return row, token


def revoke_token(session: Session, actor, row: ApiToken) -> ApiToken:
    """Revoke a token (it answers 401 from now on); revoking a revoked one changes nothing."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
        audit.record(session, actor, "api_token", row.id, "revoke", None, {"user_id": row.user_id, "prefix": row.prefix})
    return row


def token_by_prefix(session: Session, prefix: str) -> ApiToken:
    rows = session.exec(select(ApiToken).where(ApiToken.prefix == prefix.strip())).all()
    if len(rows) != 1:
        raise NotFound(_l("No such token."))
    return rows[0]


def revoke_all_tokens(session: Session, actor, user: User) -> int:
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).all()
    for row in rows:
        revoke_token(session, actor, row)
    return len(rows)


def token_is_live(row: ApiToken, now=None) -> bool:
    return row.revoked_at is None and (now or utcnow()) < row.expires_at


def user_for_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The user of a live token (not revoked, not expired, the account active), or None."""
    if not token:
        return None
    found = session.exec(select(User, ApiToken).join(ApiToken, ApiToken.user_id == User.id)
                         .where(ApiToken.token_hash == security.token_digest(token))).first()
    if found is None:
        return None
    user, row = found
    if not token_is_live(row) or not user.active:
        return None
    return user, row


def touch_token(session: Session, row: ApiToken, now=None) -> None:
    """Record the token's use, at most once a minute (a conditional UPDATE, in the caller's transaction)."""
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= sessions.TOUCH_EVERY:
        session.exec(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))


def change_password(session: Session, actor, user: User, current: str, new: str) -> None:
    errors = {}
    if not security.verify_password(user.password_hash, current or ""):
        errors["current_password"] = _l("The current password is not correct.")
    problems = security.password_problems(new or "", email=user.email)
    if problems:
        errors["new_password"] = " ".join(str(p) for p in problems)
    if errors:
        raise Invalid(_l("Please correct the marked fields."), fields=errors)
    user.password_hash = security.hash_password(new)
    session.add(user)
    session.flush()
    ended = sessions.end_all(session, user.id, SessionEnd.PASSWORD_CHANGE, keep=user.session_id)
    audit.record(session, actor, "user", user.id, "change_password", None, {"sessions_ended": ended})


def set_preferred_lang(session: Session, user: User, lang: str) -> None:
    if user.preferred_lang != lang:
        before = user.preferred_lang
        user.preferred_lang = lang
        session.add(user)
        session.flush()
        audit.record(session, user, "user", user.id, "set_language", {"preferred_lang": before},
                     {"preferred_lang": lang})
