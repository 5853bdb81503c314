"""Platforms: create and update, suspend / reactivate / delist, the integrity flag (admin), audited; the inputs
arrive validated (`inputs.platforms`). The functions flush; the view commits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from ..domain.platforms import may_change_status
from ..enums import PlatformStatus
from ..errors import Conflict, Invalid
from ..i18n import LazyLabel
from ..inputs.platforms import IntegrityFlagChange, PlatformCreate, PlatformStatusChange, PlatformUpdate
from ..models import Platform
from . import audit, conflicts, institutions


def _check_code_free(session: Session, code: str, exclude_id: int | None = None) -> None:
    q = select(Platform.id).where(Platform.code == code)
    if exclude_id is not None:
        q = q.where(Platform.id != exclude_id)
    if session.exec(q).first() is not None:
        raise Conflict(_l("A platform with this code already exists."), fields={"code": _l("Already in use.")})


def _host(session: Session, actor, institution_id: int | None, name: str | None):
    """The host institution: the one named by id, else the one the name finds (created when none does)."""
    if institution_id is not None:
        return institutions.get(session, institution_id)
    host = institutions.resolve(session, actor, name)
    if host is None:
        raise Invalid(_l("Please correct the marked fields."), fields={"host_institution": _l("This field is required.")})
    return host


def create_platform(session: Session, actor, data: PlatformCreate) -> Platform:
    _check_code_free(session, data.code)
    values = data.model_dump()
    host = _host(session, actor, values.pop("institution_id"), values.pop("host_institution"))
    platform = Platform(**values, institution_id=host.id, host_institution=host.name_zh)
    session.add(platform)
    session.flush()
    audit.record(session, actor, "platform", platform.id, "create", None, audit.snapshot(platform))
    return platform


def update_platform(session: Session, actor, platform: Platform, changes: PlatformUpdate) -> Platform:
    """Apply the fields the caller sent (``exclude_unset``). A change of status or of the integrity flag is the
    same change as the admin pages' buttons (``change_status``, ``change_integrity_flag``): it needs its reason
    or note (422 naming ``status_reason`` / ``integrity_note``) and a status the platform may move to (409);
    every check is made before anything is written."""
    clean = changes.model_dump(exclude_unset=True)
    host_changed = False
    status, reason = clean.pop("status", None), clean.pop("status_reason", None)
    status_change = None
    if status is not None and status != platform.status:
        if not reason:
            raise Invalid(_l("Please correct the marked fields."),
                          fields={"status_reason": _l("Give the reason for the change of status.")})
        status_change = PlatformStatusChange(status=status, reason=reason)
        _check_status_change(platform, status_change)
    flag = clean.pop("integrity_flag", None)
    flag_change = None
    if flag is not None and flag != platform.integrity_flag:
        note = clean.pop("integrity_note", None)
        if not note:
            raise Invalid(_l("Please correct the marked fields."),
                          fields={"integrity_note": _l("Give the note that says why the integrity flag changes.")})
        flag_change = IntegrityFlagChange(flag=flag, note=note)
    if "code" in clean:
        _check_code_free(session, clean["code"], exclude_id=platform.id)
    if "institution_id" in clean or "host_institution" in clean:
        host = _host(session, actor, clean.pop("institution_id", None), clean.pop("host_institution", None))
        if host.id != platform.institution_id or host.name_zh != platform.host_institution:
            clean.update(institution_id=host.id, host_institution=host.name_zh)
            host_changed = True
    if clean:
        before = audit.snapshot(platform)
        for key, value in clean.items():
            setattr(platform, key, value)
        session.add(platform)
        session.flush()
        audit.record(session, actor, "platform", platform.id, "update", before, audit.snapshot(platform))
    if host_changed:
        conflicts.recheck(session, actor, why="host_institution", platform_ids=[platform.id])
    if status_change is not None:
        change_status(session, actor, platform, status_change)
    if flag_change is not None:
        change_integrity_flag(session, actor, platform, flag_change)
    return platform


#: the audit action of each status an admin moves a platform to
STATUS_ACTIONS = {PlatformStatus.SUSPENDED: "suspend", PlatformStatus.ACTIVE: "reactivate",
                  PlatformStatus.DELISTED: "delist"}


def _check_status_change(platform: Platform, change: PlatformStatusChange) -> None:
    current = PlatformStatus(platform.status)
    if current == change.status:
        raise Conflict(_l("The platform is already “%(status)s”.", status=LazyLabel(current)))
    if not may_change_status(current, change.status):
        raise Conflict(_l("The platform is delisted; delisting is final."))


def change_status(session: Session, actor, platform: Platform, change: PlatformStatusChange) -> Platform:
    """Suspend, reactivate or delist, with the reason kept on the platform; a change its status does not allow
    (it is there already, or it was delisted: final) answers 409."""
    _check_status_change(platform, change)
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
