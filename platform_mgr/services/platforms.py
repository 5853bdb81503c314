"""Platforms: create and update (admin), audited; the inputs arrive validated (`inputs.platforms`)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from ..errors import Conflict
from ..inputs.platforms import PlatformCreate, PlatformUpdate
from ..models import Platform
from . import audit


def _check_code_free(session: Session, code: str, exclude_id: int | None = None) -> None:
    q = select(Platform.id).where(Platform.code == code)
    if exclude_id is not None:
        q = q.where(Platform.id != exclude_id)
    if session.exec(q).first() is not None:
        raise Conflict(_l("A platform with this code already exists."), fields={"code": _l("Already in use.")})


def create_platform(session: Session, actor, data: PlatformCreate) -> Platform:
    _check_code_free(session, data.code)
    platform = Platform(**data.model_dump())
    session.add(platform)
    session.flush()
    audit.record(session, actor, "platform", platform.id, "create", None, audit.snapshot(platform))
    return platform


def update_platform(session: Session, actor, platform: Platform, changes: PlatformUpdate) -> Platform:
    """Apply the fields the caller sent (``exclude_unset``)."""
    clean = changes.model_dump(exclude_unset=True)
    if "code" in clean:
        _check_code_free(session, clean["code"], exclude_id=platform.id)
    before = audit.snapshot(platform)
    for key, value in clean.items():
        setattr(platform, key, value)
    session.add(platform)
    session.flush()
    audit.record(session, actor, "platform", platform.id, "update", before, audit.snapshot(platform))
    return platform
