"""Institutions: one, and a searched page of them with how many people and platforms refer to each."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..domain.institutions import normalise
from ..errors import NotFound
from ..models import Institution, Platform, User
from .paging import like_pattern, paginate


def get_institution_or_404(session: Session, institution_id: int) -> Institution:
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise NotFound(_l("No such institution."))
    return institution


def keys_of(institution: Institution) -> set[str]:
    """Every normalised name the institution answers to: its names and its aliases."""
    return {k for k in (normalise(n) for n in [institution.name_zh, institution.name_en, *institution.aliases]) if k}


def find_by_name(session: Session, name: str | None, exclude_id: int | None = None) -> Institution | None:
    """The institution one of whose names or aliases normalises as ``name`` does (the Chinese name first)."""
    key = normalise(name)
    if not key:
        return None
    found = session.exec(select(Institution).where(Institution.name_key == key)).first()
    if found is not None and found.id != exclude_id:
        return found
    for institution in session.exec(select(Institution).order_by(Institution.id)):  # a bounded table
        if institution.id != exclude_id and key in keys_of(institution):
            return institution
    return None


def list_institutions(session: Session, *, page: int = 1, per_page: int = 50, q: str = ""):
    """One page of institutions by Chinese name; ``q`` searches both names, the normalised name (so a
    traditional or full-width spelling finds the institution) and the credit code. Three queries."""
    stmt = select(Institution)
    text = (q or "").strip().lower()
    if text:
        pattern, key = like_pattern(text), like_pattern(normalise(text) or text)
        stmt = stmt.where(or_(func.lower(Institution.name_zh).like(pattern, escape="\\"),
                              func.lower(Institution.name_en).like(pattern, escape="\\"),
                              Institution.name_key.like(key, escape="\\"),
                              func.lower(Institution.credit_code).like(pattern, escape="\\")))
    rows, total = paginate(session, stmt.order_by(Institution.name_key, Institution.id), page, per_page)
    return rows, reference_counts(session, [i.id for i in rows]), total


def reference_counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """institution id → {"users": n, "platforms": n}."""
    counts = {i: {"users": 0, "platforms": 0} for i in ids}
    if not ids:
        return counts
    for kind, model in (("users", User), ("platforms", Platform)):
        for iid, n in session.exec(select(model.institution_id, func.count()).where(model.institution_id.in_(ids))
                                   .group_by(model.institution_id)).all():
            counts[iid][kind] = n
    return counts


def all_institutions(session: Session) -> list[Institution]:
    """Every institution by name: the choices of a parent or of a merge."""
    return list(session.exec(select(Institution).order_by(Institution.name_key, Institution.id)).all())
