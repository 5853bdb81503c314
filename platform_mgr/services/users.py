"""People: create users, bind operators to platforms, passwords and API tokens."""
from __future__ import annotations

import re
from typing import Iterable

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from .. import security
from ..enums import Role
from ..errors import Conflict, Invalid, NotFound
from ..models import ApiToken, Gatekeeper, OperatorPlatform, Platform, User, utcnow
from . import audit

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
        errors["role"] = _l("Role must be one of: operator, reviewer, admin.")
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
    user = User(email=email, role=role, display_name=display_name.strip() or email.split("@")[0],
                affiliation=affiliation.strip(), password_hash=security.hash_password(password),
                preferred_lang=preferred_lang)
    session.add(user)
    session.flush()
    for platform in platforms:
        session.add(OperatorPlatform(user_id=user.id, platform_id=platform.id))
    session.flush()
    audit.record(session, actor, "user", user.id, "create",
                 None, {**audit.snapshot(user, ["email", "role", "display_name", "affiliation", "active"]),
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


def issue_token(session: Session, actor, user: User, label: str = "") -> str:
    """Create an API token; the plain value is returned once and only its hash is kept."""
    token = security.new_token()
    row = ApiToken(user_id=user.id, token_hash=security.token_digest(token), prefix=token[:10], label=label[:100])
    session.add(row)
    session.flush()
    audit.record(session, actor, "api_token", row.id, "create", None, {"user": user.email, "prefix": row.prefix})
    return token


def revoke_token(session: Session, actor, token_id: int, owner: User | None = None) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or (owner is not None and row.user_id != owner.id):
        raise NotFound(_l("No such token."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
        audit.record(session, actor, "api_token", row.id, "revoke", None, {"prefix": row.prefix})


def user_for_token(session: Session, token: str) -> User | None:
    if not token:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == security.token_digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return user


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
    user.session_epoch += 1  # every other web session of this user ends
    session.add(user)
    session.flush()
    audit.record(session, actor, "user", user.id, "change_password", None, {"session_epoch": user.session_epoch})


def set_preferred_lang(session: Session, user: User, lang: str) -> None:
    if user.preferred_lang != lang:
        before = user.preferred_lang
        user.preferred_lang = lang
        session.add(user)
        session.flush()
        audit.record(session, user, "user", user.id, "set_language", {"preferred_lang": before},
                     {"preferred_lang": lang})
