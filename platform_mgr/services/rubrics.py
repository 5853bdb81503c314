"""Rubric versions (DESIGN §4): the default version 1, and new versions made by admins.

Which rubric a cycle uses: a *draft* cycle follows the latest version — creating a new version
re-points every draft cycle to it, and `cycles.open_cycle` writes the latest version into the cycle
in the same conditional update that opens it. From the moment a cycle opens it keeps that version;
versions created later never touch an open, closed or published cycle. Versions are never edited
or deleted once created (scores point at their criteria).
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..domain.rubric import DEFAULT_RUBRIC_V1, DEFAULT_RUBRIC_VERSION
from ..errors import Conflict, Invalid
from ..inputs.cycles import RubricCreate
from ..models import Criterion, ReviewCycle, Rubric
from . import audit


def latest_rubric(session: Session) -> Rubric | None:
    return session.exec(select(Rubric).order_by(Rubric.version.desc()).limit(1)).first()


def ensure_default_rubric(session: Session) -> Rubric:
    """The rubric version 1 of DESIGN §4, created from `DEFAULT_RUBRIC_V1` when missing."""
    existing = session.exec(select(Rubric).where(Rubric.version == DEFAULT_RUBRIC_VERSION)).first()
    if existing is not None:
        return existing
    rubric = Rubric(version=DEFAULT_RUBRIC_VERSION, name="默认评分细则 / Default rubric")
    session.add(rubric)
    session.flush()
    for pos, c in enumerate(DEFAULT_RUBRIC_V1):
        session.add(Criterion(rubric_id=rubric.id, code=c.code, dimension=str(c.dimension), position=pos,
                              max_tenths=c.max_tenths, name_zh=c.name_zh, name_en=c.name_en,
                              guidance_zh=c.guidance_zh, guidance_en=c.guidance_en))
    session.flush()
    audit.record(session, None, "rubric", rubric.id, "create", None,
                 {"version": rubric.version, "criteria": [c.code for c in DEFAULT_RUBRIC_V1]})
    return rubric


def current_rubric(session: Session) -> Rubric:
    """The latest version (creating version 1 when there is none): what a new or draft cycle uses."""
    return latest_rubric(session) or ensure_default_rubric(session)


def create_rubric_version(session: Session, actor, data: RubricCreate) -> Rubric:
    """A new rubric version (latest + 1) with its criteria (code, dimension, max_points, names, guidance).

    Draft cycles move to it; open and later cycles keep the version they opened with.
    """
    name = data.name
    seen: set[str] = set()
    errors: dict[str, Any] = {}
    for i, criterion in enumerate(data.criteria):
        if criterion.code in seen:
            errors[f"criteria.{i}.code"] = _l("This code is used twice.")
        seen.add(criterion.code)
    if errors:
        raise Invalid(_l("Please correct the marked fields."), fields=errors)
    clean = [dict(code=c.code, dimension=c.dimension, max_tenths=c.max_tenths, position=i, name_zh=c.name_zh,
                  name_en=c.name_en, guidance_zh=c.guidance_zh, guidance_en=c.guidance_en)
             for i, c in enumerate(data.criteria)]
    current = session.exec(select(func.max(Rubric.version))).one() or 0
    rubric = Rubric(version=current + 1, name=name or f"v{current + 1}", created_by_id=getattr(actor, "id", None))
    session.add(rubric)
    try:
        session.flush()
    except IntegrityError:  # another admin created the same version number at the same moment
        raise Conflict(_l("Another rubric version was created meanwhile. Reload and try again.")) from None
    for row in clean:
        session.add(Criterion(rubric_id=rubric.id, **row))
    session.flush()
    moved = session.execute(
        update(ReviewCycle).where(ReviewCycle.state == "draft", ReviewCycle.rubric_id != rubric.id)
        .values(rubric_id=rubric.id, version=ReviewCycle.version + 1)
        .execution_options(synchronize_session=False)
        .returning(ReviewCycle.id)).scalars().all()
    for obj in list(session.identity_map.values()):
        if isinstance(obj, ReviewCycle) and obj.id in moved:
            session.expire(obj)
    audit.record(session, actor, "rubric", rubric.id, "create", None,
                 {"version": rubric.version, "name": rubric.name,
                  "criteria": [{"code": r["code"], "dimension": r["dimension"], "max_tenths": r["max_tenths"]}
                               for r in clean],
                  "draft_cycles_moved": sorted(moved)})
    return rubric
