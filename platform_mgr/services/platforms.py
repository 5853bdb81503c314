"""Platforms: create and update, suspend / reactivate / delist, the integrity flag (admin), audited; the inputs
arrive validated (`inputs.platforms`). The functions flush; the view commits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from ..domain.platforms import may_change_status
from ..enums import PlatformStatus
from ..errors import Conflict
from ..i18n import LazyLabel
from ..inputs.platforms import IntegrityFlagChange, PlatformCreate, PlatformStatusChange, PlatformUpdate
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


#: the audit action of each status an admin moves a platform to
STATUS_ACTIONS = {PlatformStatus.SUSPENDED: "suspend", PlatformStatus.ACTIVE: "reactivate",
                  PlatformStatus.DELISTED: "delist"}


def change_status(session: Session, actor, platform: Platform, change: PlatformStatusChange) -> Platform:
    """Suspend, reactivate or delist, with the reason kept on the platform; a change its status does not allow
    (it is there already, or it was delisted: final) answers 409."""
    current = PlatformStatus(platform.status)
    if current == change.status:
        raise Conflict(_l("The platform is already “%(status)s”.", status=LazyLabel(current)))
    if not may_change_status(current, change.status):
        raise Conflict(_l("The platform is delisted; delisting is final."))
    before = audit.snapshot(platform, ("status", "status_reason"))
    platform.status, platform.status_reason = change.status, change.reason
    session.add(platform)
    session.flush()
    audit.record(session, actor, "platform", platform.id, STATUS_ACTIONS[change.status], before,
                 audit.snapshot(platform, ("status", "status_reason")))
    return platform


def change_integrity_flag(session: Session, actor, platform: Platform, change: IntegrityFlagChange) -> Platform:
    """Set or clear the integrity flag (the R6 veto) with the note that says why; setting a flag that is set,
    or clearing one that is not, answers 409."""
    if change.flag and platform.integrity_flag:
        raise Conflict(_l("The platform's integrity flag is already set."))
    if not change.flag and not platform.integrity_flag:
        raise Conflict(_l("The platform has no integrity flag to clear."))
    before = audit.snapshot(platform, ("integrity_flag", "integrity_note"))
    platform.integrity_flag, platform.integrity_note = change.flag, change.note
    session.add(platform)
    session.flush()
    audit.record(session, actor, "platform", platform.id, "flag_integrity" if change.flag else "clear_integrity",
                 before, audit.snapshot(platform, ("integrity_flag", "integrity_note")))
    return platform
