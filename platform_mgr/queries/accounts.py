"""The read side of people and their access: the admin's list of users, API tokens, pending links. A page is
a fixed number of queries whatever its size."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..enums import LinkPurpose
from ..models import AccountLink, ApiToken, Gatekeeper, OperatorPlatform, Platform, User, UserSession, utcnow
from .paging import like_pattern, paginate

#: the filter of the list of users by state
STATES = ("active", "invited", "inactive")


@dataclass
class UserRow:
    user: User
    operator_of: list[str] = field(default_factory=list)
    gatekeeper_of: list[str] = field(default_factory=list)
    invitation_expires_at: datetime | None = None

    @property
    def state(self) -> str:
        if not self.user.active:
            return "inactive"
        return "active" if self.user.has_password else "invited"


def list_users(session: Session, *, q: str = "", role: str | None = None, state: str | None = None, page: int = 1,
               per_page: int = 25) -> tuple[list[UserRow], int]:
    """Users matching a search (name, e-mail, institution) and filters, with their platform bindings and a
    pending invitation: four queries for any page."""
    stmt = select(User)
    text = (q or "").strip().lower()
    if text:
        pattern = like_pattern(text)
        stmt = stmt.where(or_(func.lower(User.display_name).like(pattern, escape="\\"),
                              User.email.like(pattern, escape="\\"),
                              func.lower(User.affiliation).like(pattern, escape="\\")))
    if role:
        stmt = stmt.where(User.role == role)
    if state == "inactive":
        stmt = stmt.where(User.active.is_(False))
    elif state == "invited":
        stmt = stmt.where(User.active.is_(True), User.password_hash == "")
    elif state == "active":
        stmt = stmt.where(User.active.is_(True), User.password_hash != "")
    users, total = paginate(session, stmt.order_by(User.display_name, User.id), page, per_page)
    rows = {u.id: UserRow(u) for u in users}
    if rows:
        for model, attr in ((OperatorPlatform, "operator_of"), (Gatekeeper, "gatekeeper_of")):
            for user_id, code in session.exec(select(model.user_id, Platform.code)
                                              .join(Platform, Platform.id == model.platform_id)
                                              .where(model.user_id.in_(rows)).order_by(Platform.code)).all():
                getattr(rows[user_id], attr).append(code)
        now = utcnow()
        for user_id, expires in session.exec(
                select(AccountLink.user_id, func.max(AccountLink.expires_at))
                .where(AccountLink.user_id.in_(rows), AccountLink.purpose == LinkPurpose.INVITATION.value,
                       AccountLink.used_at.is_(None), AccountLink.revoked_at.is_(None), AccountLink.expires_at > now)
                .group_by(AccountLink.user_id)).all():
            rows[user_id].invitation_expires_at = expires
    return [rows[u.id] for u in users], total


def bindings(session: Session, user_id: int) -> dict[str, list[int]]:
    """The ids of the platforms a user is bound to, as the edit form's selections."""
    return {"operator_platforms": list(session.exec(select(OperatorPlatform.platform_id)
                                                    .where(OperatorPlatform.user_id == user_id)).all()),
            "gatekeeper_platforms": list(session.exec(select(Gatekeeper.platform_id)
                                                      .where(Gatekeeper.user_id == user_id)).all())}


def platform_choices(session: Session) -> list[tuple[int, str]]:
    return [(p.id, f"{p.code} · {p.name_zh}") for p in session.exec(select(Platform).order_by(Platform.code)).all()]


@dataclass
class TokenRow:
    token: ApiToken
    user: User | None = None

    def state(self, now: datetime) -> str:
        if self.token.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.token.expires_at else "live"


def tokens(session: Session, *, user_id: int | None = None, live_only: bool = False, page: int = 1,
           per_page: int = 25) -> tuple[list[TokenRow], int]:
    """API tokens, newest first (one user's, or everyone's with their owner): two queries for any page."""
    stmt = select(ApiToken, User).join(User, User.id == ApiToken.user_id)
    if user_id is not None:
        stmt = stmt.where(ApiToken.user_id == user_id)
    if live_only:
        stmt = stmt.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow())
    rows, total = paginate(session, stmt.order_by(ApiToken.created_at.desc(), ApiToken.id.desc()), page, per_page)
    return [TokenRow(token, user) for token, user in rows], total


def open_sessions(session: Session, user_id: int) -> list[UserSession]:
    return list(session.exec(select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                             .order_by(UserSession.last_seen_at.desc()).limit(50)).all())


def invitation_pending(session: Session, user_id: int) -> AccountLink | None:
    return session.exec(select(AccountLink).where(
        AccountLink.user_id == user_id, AccountLink.purpose == LinkPurpose.INVITATION.value,
        AccountLink.used_at.is_(None), AccountLink.revoked_at.is_(None), AccountLink.expires_at > utcnow())
        .order_by(AccountLink.id.desc())).first()


def role_counts(session: Session) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for role, n in session.exec(select(User.role, func.count()).where(User.active.is_(True)).group_by(User.role)).all():
        counts[str(role)] = n
    return dict(counts)
