from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from ..errors import NotFound
from ..models import Platform, Project
from .paging import paginate


def get_platform_or_404(session: Session, platform_id: int) -> Platform:
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise NotFound(_l("No such platform."))
    return platform


def get_platform_by_code(session: Session, code: str) -> Platform | None:
    return session.exec(select(Platform).where(Platform.code == code.upper())).first()


def list_platforms(session: Session, *, page: int = 1, per_page: int = 50, status: str | None = None,
                   field: str | None = None, ids: frozenset[int] | None = None):
    """One page of platforms with their project counts: two queries whatever the size."""
    q = select(Platform)
    for cond in ([Platform.status == status] if status else []) + ([Platform.field == field] if field else []) + (
            [Platform.id.in_(ids)] if ids is not None else []):
        q = q.where(cond)
    rows, total = paginate(session, q.order_by(Platform.code), page, per_page)
    counts = project_counts(session, [p.id for p in rows])
    return rows, counts, total


def project_counts(session: Session, platform_ids: list[int]) -> dict[int, int]:
    if not platform_ids:
        return {}
    rows = session.exec(
        select(Project.platform_id, func.count()).where(Project.platform_id.in_(platform_ids))
        .group_by(Project.platform_id)).all()
    return {pid: n for pid, n in rows}
