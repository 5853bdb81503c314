"""Onboarding and access from the web (DESIGN §9): invitations, password resets, deactivation, and the admin's
edit of a user with their platform bindings.

**Single-use links.** An invitation (72 h) or a reset (1 h) is an ``AccountLink`` row. Its secret is an HMAC of
the row (purpose, id, random salt) under the app's SECRET_KEY, so only its SHA-256 is stored and the mail in the
outbox carries a placeholder (``[[account-link:…]]``) that the sender turns into the address when it sends:
someone who reads the database (or a backup) can follow no link. A link works once; a new link of the same
purpose revokes the older ones; deactivating the account revokes them all.

**Delivery.** With mail configured (MAIL_SERVER and BASE_URL, without which a mail could not hold an address)
the link goes out through the outbox; otherwise the admin who made it sees it once. A reset asked for on
``/password/forgot`` is only ever mailed: that page answers the same for every address.

The functions flush; the view commits.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlmodel import Session, select

from .. import security
from ..enums import LinkPurpose, PlatformField, Role, SessionEnd
from ..errors import Conflict, Gone, Invalid, NotFound
from ..inputs.accounts import ForgotPassword, NewPassword, UserFields, UserInvite, UserUpdate
from ..inputs.platforms import PlatformBinding
from ..models import AccountLink, Gatekeeper, OperatorPlatform, OutboxMail, Platform, User, utcnow
from ..models.platform import BINDINGS
from . import audit, auth, conflicts, institutions, links, sessions, users

LIFETIME = {LinkPurpose.INVITATION: timedelta(hours=72), LinkPurpose.RESET: timedelta(hours=1)}
#: the mail templates (templates/mail/<kind>.txt) of the account links
MAIL_KINDS = ("account_invitation", "password_reset")
FIX = _l("Please correct the marked fields.")


@dataclass(frozen=True)
class Delivery:
    """How links reach people: by mail (with the address prefix of the links), or shown to the admin."""

    secret_key: str
    by_mail: bool = False
    base_url: str = ""


def delivery(config) -> Delivery:
    """How this installation delivers links (``config``: the app's config)."""
    from . import mail

    settings = mail.settings(config)
    return Delivery(secret_key=str(config["SECRET_KEY"]), by_mail=settings.enabled and bool(settings.base_url),
                    base_url=settings.base_url)


# --- the links -------------------------------------------------------------------------------------------

def _revoke_links(session: Session, user_id: int, purpose: LinkPurpose | None, now: datetime) -> int:
    q = update(AccountLink).where(AccountLink.user_id == user_id, AccountLink.used_at.is_(None),
                                  AccountLink.revoked_at.is_(None))
    if purpose is not None:
        q = q.where(AccountLink.purpose == purpose.value)
    return session.exec(q.values(revoked_at=now)).rowcount or 0


def new_link(session: Session, actor, user: User, purpose: LinkPurpose, delivery: Delivery,
             now: datetime | None = None) -> tuple[AccountLink, str]:
    """A fresh single-use link for ``user`` (older ones of the purpose revoked): the row and its secret."""
    now = now or utcnow()
    _revoke_links(session, user.id, purpose, now)
    salt = secrets.token_hex(16)
    row = AccountLink(user_id=user.id, purpose=purpose, salt=salt, token_hash=secrets.token_hex(32),
                      created_at=now, expires_at=now + LIFETIME[purpose], created_by_id=getattr(actor, "id", None))
    session.add(row)
    session.flush()
    token = links.secret(delivery.secret_key, purpose.value, row.id, salt)
    row.token_hash = security.token_digest(token)
    session.add(row)
    session.flush()
    audit.record(session, actor, "account_link", row.id, "create", None,
                 {"user_id": user.id, "purpose": purpose.value, "expires_at": row.expires_at,
                  "by_mail": delivery.by_mail})
    return row, token


def live_link(session: Session, token: str, purpose: LinkPurpose, now: datetime | None = None) -> AccountLink:
    """The link of ``token``: 404 when there is none, 410 when it was used, revoked or has expired."""
    link_id, _dot, _mac = (token or "").partition(".")
    row = session.get(AccountLink, int(link_id)) if link_id.isdigit() and len(link_id) < 10 else None
    if row is None or row.purpose != purpose or not hmac.compare_digest(row.token_hash,
                                                                       security.token_digest(token)):
        raise NotFound(_l("This link is not valid. Check that you copied all of it."))
    if row.used_at is not None or row.revoked_at is not None or (now or utcnow()) >= row.expires_at:
        raise Gone(_l("This link has expired or has already been used. Ask for a new one."))
    return row


def _mail_link(session: Session, user: User, link: AccountLink, kind: str, delivery: Delivery, now: datetime,
               **context) -> None:
    from . import mail, texts

    placeholder = links.placeholder(link.purpose, link.id, link.salt)
    words = texts.render(kind, {"link": placeholder, "name": user.display_name, "email": user.email,
                                "expires_at": link.expires_at, **context})
    subject, body = mail.compose(words.fields(), user.preferred_lang)
    session.add(OutboxMail(to_addr=user.email, subject=subject[:mail.SUBJECT_MAX], body=body, next_attempt_at=now,
                           created_at=now))
    session.flush()


# --- invitations ------------------------------------------------------------------------------------------

def _platforms(session: Session, ids: list[int], field: str) -> list[Platform]:
    ids = list(dict.fromkeys(ids))
    found = session.exec(select(Platform).where(Platform.id.in_(ids))).all() if ids else []
    if len(found) != len(ids):
        raise Invalid(FIX, fields={field: _l("Unknown platform.")})
    return sorted(found, key=lambda p: p.code)


#: a user's bindings as the user form names them (``<kind>_platforms``), and who may have each
BOUND_ONLY = {"operator": _l("Only operators are bound to platforms."),
              "gatekeeper": _l("Only reviewers can be gatekeepers.")}


def _check_bindings(data: UserFields) -> None:
    errors = {f"{kind}_platforms": BOUND_ONLY[kind] for kind, (_model, role) in BINDINGS.items()
              if getattr(data, f"{kind}_platforms") and data.role != role}
    if errors:
        raise Invalid(FIX, fields=errors)


def _bindings(session: Session, user_id: int) -> dict[str, list[str]]:
    return {f"{kind}_platforms": list(session.exec(
        select(Platform.code).join(model, model.platform_id == Platform.id)
        .where(model.user_id == user_id).order_by(Platform.code)).all()) for kind, (model, _role) in BINDINGS.items()}


def _set_bindings(session: Session, user: User, operator: list[Platform], gatekeeper: list[Platform]) -> None:
    for model, wanted in ((OperatorPlatform, operator), (Gatekeeper, gatekeeper)):
        have = {row.platform_id: row for row in session.exec(select(model).where(model.user_id == user.id)).all()}
        keep = {p.id for p in wanted}
        for platform_id, row in have.items():
            if platform_id not in keep:
                session.delete(row)
        for platform_id in keep - set(have):
            session.add(model(user_id=user.id, platform_id=platform_id))
    session.flush()


AUDITED = ("email", "display_name", "role", "affiliation", "institution_id", "active", "preferred_lang", "expertise",
           "max_load")


def _expertise(data: UserFields) -> list[str]:
    """The fields of expertise as stored: their values, each once, in the order of `enums.PlatformField`."""
    chosen = {str(f) for f in data.expertise}
    return [f for f in PlatformField.values() if f in chosen]


def _institution(session: Session, actor, data: UserFields):
    """The user's institution: the one named by id, else the one the affiliation's name finds (or creates)."""
    if data.institution_id is not None:
        return institutions.get(session, data.institution_id)
    return institutions.resolve(session, actor, data.affiliation)


def invite_user(session: Session, actor, data: UserInvite, delivery: Delivery,
                now: datetime | None = None) -> tuple[User, str | None]:
    """Create a user without a password and an invitation link (72 h). Returns the user and the link's secret
    when it is not mailed (the admin is shown it once), else None."""
    now = now or utcnow()
    _check_bindings(data)
    operator = _platforms(session, data.operator_platforms, "operator_platforms")
    gatekeeper = _platforms(session, data.gatekeeper_platforms, "gatekeeper_platforms")
    if session.exec(select(User.id).where(User.email == data.email)).first() is not None:
        raise Conflict(_l("A user with this e-mail already exists."), fields={"email": _l("Already in use.")})
    institution = _institution(session, actor, data)
    user = User(email=data.email, display_name=data.display_name, role=data.role,
                affiliation=institution.name_zh if institution else "",
                institution_id=institution.id if institution else None,
                expertise=_expertise(data), max_load=data.max_load,
                preferred_lang=data.preferred_lang, password_hash="", created_at=now)
    session.add(user)
    session.flush()
    _set_bindings(session, user, operator, gatekeeper)
    audit.record(session, actor, "user", user.id, "invite", None,
                 {**audit.snapshot(user, AUDITED), **_bindings(session, user.id)})
    return user, _send_invitation(session, actor, user, delivery, now)


def _send_invitation(session: Session, actor, user: User, delivery: Delivery, now: datetime) -> str | None:
    link, token = new_link(session, actor, user, LinkPurpose.INVITATION, delivery, now)
    if delivery.by_mail:
        _mail_link(session, user, link, MAIL_KINDS[0], delivery, now,
                   inviter=getattr(actor, "display_name", ""), role=user.role)
        return None
    return token


def resend_invitation(session: Session, actor, user: User, delivery: Delivery,
                      now: datetime | None = None) -> str | None:
    """A new invitation for someone who has not set a password yet (the old link stops working)."""
    if user.has_password:
        raise Conflict(_l("This person has already set a password; send a password reset link instead."))
    if not user.active:
        raise Conflict(_l("This account is deactivated. Reactivate it first."))
    return _send_invitation(session, actor, user, delivery, now or utcnow())


def _choose_password(session: Session, user: User, data: NewPassword) -> None:
    problems = security.password_problems(data.password, email=user.email)
    if problems:
        raise Invalid(FIX, fields={"password": " ".join(str(p) for p in problems)})
    user.password_hash = security.hash_password(data.password)
    session.add(user)
    session.flush()


def link_user(session: Session, link: AccountLink) -> User:
    user = session.get(User, link.user_id)
    if user is None or not user.active:
        raise Gone(_l("This account is deactivated. Ask the commission office."))
    return user


def _use_link(session: Session, token: str, purpose: LinkPurpose, data: NewPassword,
              now: datetime) -> tuple[AccountLink, User]:
    """Choose a password through a live link of ``purpose``; the link is used up."""
    link = live_link(session, token, purpose, now)
    user = link_user(session, link)
    _choose_password(session, user, data)
    link.used_at = now
    session.add(link)
    session.flush()
    return link, user


def accept_invitation(session: Session, token: str, data: NewPassword, now: datetime | None = None) -> User:
    """Set the first password through an invitation link; the link is used up."""
    now = now or utcnow()
    link, user = _use_link(session, token, LinkPurpose.INVITATION, data, now)
    audit.record(session, user, "user", user.id, "accept_invitation", None, {"link": link.id})
    return user


# --- password resets ----------------------------------------------------------------------------------

RESET_MAX_PER_EMAIL, RESET_MAX_PER_ADDRESS, RESET_WINDOW_MINUTES = 3, 20, 60


def request_reset(session: Session, data: ForgotPassword, address: str, delivery: Delivery,
                  now: datetime | None = None) -> None:
    """``/password/forgot``: mail a reset link (1 h) when an active account has this address. It does the same
    work and answers the same whether or not it has (no enumeration); every request counts against the
    throttle (3 an hour per address, 20 per network address), known or not."""
    now = now or utcnow()
    auth.throttle(session, auth.RESET, data.email, address, max_per_email=RESET_MAX_PER_EMAIL,
                  max_per_address=RESET_MAX_PER_ADDRESS, window_minutes=RESET_WINDOW_MINUTES, record=True)
    user = session.exec(select(User).where(User.email == data.email)).first()
    if user is None or not user.active or not delivery.by_mail:
        return
    link, _token = new_link(session, None, user, LinkPurpose.RESET, delivery, now)
    _mail_link(session, user, link, MAIL_KINDS[1], delivery, now)


def send_reset(session: Session, actor, user: User, delivery: Delivery, now: datetime | None = None) -> str | None:
    """An admin sends a reset link (mailed, or returned to be shown once)."""
    now = now or utcnow()
    if not user.active:
        raise Conflict(_l("This account is deactivated. Reactivate it first."))
    link, token = new_link(session, actor, user, LinkPurpose.RESET, delivery, now)
    if delivery.by_mail:
        _mail_link(session, user, link, MAIL_KINDS[1], delivery, now)
        return None
    return token


def reset_password(session: Session, token: str, data: NewPassword, now: datetime | None = None) -> User:
    """Choose a new password through a reset link: every session of the user ends, the link is used up."""
    now = now or utcnow()
    link, user = _use_link(session, token, LinkPurpose.RESET, data, now)
    ended = sessions.end_all(session, user.id, SessionEnd.PASSWORD_RESET, now=now)
    audit.record(session, user, "user", user.id, "reset_password", None, {"link": link.id, "sessions_ended": ended})
    return user


# --- the admin's changes ---------------------------------------------------------------------------------

def _active_admins(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)
                        .where(User.role == Role.ADMIN, User.active.is_(True))).one()


def _keep_an_admin(session: Session, actor, user: User, *, losing_admin: bool) -> None:
    if not losing_admin or user.role != Role.ADMIN:
        return
    if getattr(actor, "id", None) == user.id:
        raise Conflict(_l("You cannot take away your own administration rights."))
    if user.active and _active_admins(session) <= 1:
        raise Conflict(_l("This is the last active commission officer; name another one first."))


def update_user(session: Session, actor, user: User, data: UserUpdate) -> User:
    """The admin's edit: name, role, institution and platform bindings (set as a whole)."""
    _check_bindings(data)
    operator = _platforms(session, data.operator_platforms, "operator_platforms")
    gatekeeper = _platforms(session, data.gatekeeper_platforms, "gatekeeper_platforms")
    _keep_an_admin(session, actor, user, losing_admin=data.role != Role.ADMIN)
    before = {**audit.snapshot(user, AUDITED), **_bindings(session, user.id)}
    institution = _institution(session, actor, data)
    user.display_name, user.role = data.display_name, data.role
    user.affiliation = institution.name_zh if institution else ""
    user.institution_id = institution.id if institution else None
    user.expertise, user.max_load = _expertise(data), data.max_load
    session.add(user)
    session.flush()
    _set_bindings(session, user, operator, gatekeeper)
    audit.record(session, actor, "user", user.id, "update", before,
                 {**audit.snapshot(user, AUDITED), **_bindings(session, user.id)})
    conflicts.recheck(session, actor, why="affiliation", reviewer_ids=[user.id])
    return user


def deactivate(session: Session, actor, user: User, now: datetime | None = None) -> User:
    """Never deleted: the account stops signing in, its sessions end, its tokens and links are revoked."""
    now = now or utcnow()
    if not user.active:
        raise Conflict(_l("This account is already deactivated."))
    _keep_an_admin(session, actor, user, losing_admin=True)
    user.active = False
    session.add(user)
    session.flush()
    ended = sessions.end_all(session, user.id, SessionEnd.DEACTIVATED, now=now)
    revoked = users.revoke_all_tokens(session, actor, user)
    links = _revoke_links(session, user.id, None, now)
    audit.record(session, actor, "user", user.id, "deactivate", {"active": True},
                 {"active": False, "sessions_ended": ended, "tokens_revoked": revoked, "links_revoked": links})
    return user


def reactivate(session: Session, actor, user: User) -> User:
    if user.active:
        raise Conflict(_l("This account is already active."))
    user.active = True
    session.add(user)
    session.flush()
    audit.record(session, actor, "user", user.id, "reactivate", {"active": False}, {"active": True})
    return user


# --- one person bound to one platform, from the platform's page ---------------------------------------------

#: the refusal of someone who cannot take a binding (not active, or not of its role)
CHOOSE = {"operator": _l("Choose an active platform operator."), "gatekeeper": _l("Choose an active reviewer.")}


def _bound(session: Session, platform_id: int, kind: str) -> dict[str, list[str]]:
    model = BINDINGS[kind][0]
    return {f"{kind}s": list(session.exec(select(User.email).join(model, model.user_id == User.id)
                                          .where(model.platform_id == platform_id).order_by(User.email)).all())}


def bind(session: Session, actor, platform: Platform, kind: str, data: PlatformBinding) -> User:
    """Bind an active person of the binding's role to ``platform``: an operator (``kind`` "operator") or a
    reviewer named gatekeeper ("gatekeeper"); a binding that exists answers 409. Audited on the platform."""
    model, role = BINDINGS[kind]
    user = session.get(User, data.user_id)
    if user is None or not user.active or user.role != role:
        raise Invalid(FIX, fields={"user_id": CHOOSE[kind]})
    if session.get(model, (user.id, platform.id)) is not None:
        raise Conflict(_l("%(name)s is bound to this platform already.", name=user.display_name))
    before = _bound(session, platform.id, kind)
    session.add(model(user_id=user.id, platform_id=platform.id))
    session.flush()
    audit.record(session, actor, "platform", platform.id, f"bind_{kind}", before, _bound(session, platform.id, kind))
    conflicts.recheck(session, actor, why=f"bind_{kind}", platform_ids=[platform.id])
    return user


def unbind(session: Session, actor, platform: Platform, kind: str, user: User) -> User:
    """End a binding of ``user`` to ``platform``; one that does not exist answers 409."""
    model = BINDINGS[kind][0]
    row = session.get(model, (user.id, platform.id))
    if row is None:
        raise Conflict(_l("%(name)s is not bound to this platform.", name=user.display_name))
    before = _bound(session, platform.id, kind)
    session.delete(row)
    session.flush()
    audit.record(session, actor, "platform", platform.id, f"unbind_{kind}", before,
                 _bound(session, platform.id, kind))
    conflicts.recheck(session, actor, why=f"unbind_{kind}", platform_ids=[platform.id])
    return user
