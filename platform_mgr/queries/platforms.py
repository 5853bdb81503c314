from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..errors import NotFound
from ..models import Platform, Project, User
from ..models.platform import BINDINGS
from .paging import like_pattern, paginate


def get_platform_or_404(session: Session, platform_id: int) -> Platform:
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise NotFound(_l("No such platform."))
    return platform


def get_platform_by_code(session: Session, code: str) -> Platform | None:
    return session.exec(select(Platform).where(Platform.code == code.upper())).first()


def list_platforms(session: Session, *, page: int = 1, per_page: int = 50, status: str | None = None,
                   field: str | None = None, ids: frozenset[int] | None = None, q: str = "",
                   origin: str | None = None, integrity_flag: bool | None = None):
    """One page of platforms with their project counts: three queries whatever the size. ``q`` searches the
    code, both names and the host institution."""
    stmt = select(Platform)
    text = (q or "").strip().lower()
    if text:
        pattern = like_pattern(text)
        stmt = stmt.where(or_(*(func.lower(column).like(pattern, escape="\\") for column in (
            Platform.code, Platform.name_zh, Platform.name_en, Platform.host_institution))))
    for column, value in ((Platform.status, status), (Platform.field, field), (Platform.origin, origin),
                          (Platform.integrity_flag, integrity_flag)):
        if value is not None and value != "":
            stmt = stmt.where(column == value)
    if ids is not None:
        stmt = stmt.where(Platform.id.in_(ids))
    rows, total = paginate(session, stmt.order_by(Platform.code), page, per_page)
    counts = project_counts(session, [p.id for p in rows])
    return rows, counts, total


def project_counts(session: Session, platform_ids: list[int]) -> dict[int, int]:
    if not platform_ids:
        return {}
    rows = session.exec(
        select(Project.platform_id, func.count()).where(Project.platform_id.in_(platform_ids))
        .group_by(Project.platform_id)).all()
    return {pid: n for pid, n in rows}


def bound_people(session: Session, platform_id: int) -> dict[str, list[User]]:
    """The people bound to a platform, by binding ("operator", "gatekeeper"), by name: a query each."""
    return {kind: list(session.exec(select(User).join(model, model.user_id == User.id)
                                    .where(model.platform_id == platform_id)
                                    .order_by(User.display_name, User.id)).all())
            for kind, (model, _role) in BINDINGS.items()}


def binding_candidates(session: Session, platform_id: int) -> dict[str, list[User]]:
    """Who may still be bound to a platform, by binding: the active people of its role not bound yet."""
    out = {}
    for kind, (model, role) in BINDINGS.items():
        bound = select(model.user_id).where(model.platform_id == platform_id)
        out[kind] = list(session.exec(select(User).where(User.role == role, User.active.is_(True),
                                                         User.id.not_in(bound))
                                      .order_by(User.display_name, User.id)).all())
    return out


def under_delisting_review(session: Session, cycle_id: int) -> set[int]:
    """The platforms marked for delisting review at the close of `cycle_id` and not yet resolved (DESIGN §4)."""
    return set(session.exec(select(Platform.id).where(Platform.delisting_review.is_(True),
                                                      Platform.delisting_review_cycle_id == cycle_id)).all())


def list_under_delisting_review(session: Session, limit: int = 50) -> list[Platform]:
    """Every platform under delisting review (the programme dashboard), by code; at most `limit`."""
    return list(session.exec(select(Platform).where(Platform.delisting_review.is_(True))
                             .order_by(Platform.code).limit(limit)).all())
