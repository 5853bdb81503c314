"""Platforms: create and update (admin), with validation and audit."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from ..errors import Conflict, Invalid
from ..models import Platform
from ..enums import PlatformField, PlatformOrigin, PlatformStatus
from . import audit

EDITABLE = ("code", "name_zh", "name_en", "field", "origin", "host_institution", "status", "founded_on",
            "integrity_flag", "integrity_note")


def _validate(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    errors = {}
    clean = {}
    for key, value in data.items():
        if key not in EDITABLE:
            errors[key] = _l("Unknown field.")
            continue
        if isinstance(value, str):
            value = value.strip()
        clean[key] = value
    required = ("code", "name_zh", "name_en", "field", "origin", "host_institution")
    for key in required:
        if not partial and not clean.get(key):
            errors[key] = _l("This field is required.")
        elif partial and key in clean and not clean[key]:
            errors[key] = _l("This field must not be empty.")
    for key in ("status", "integrity_flag"):  # present means a value: null cannot be stored
        if key in clean and clean[key] is None:
            errors[key] = _l("This field must not be empty.")
    if "integrity_note" in clean and clean["integrity_note"] is None:
        clean["integrity_note"] = ""
    if "code" in clean and clean["code"]:
        clean["code"] = clean["code"].upper()
    if clean.get("field") and clean["field"] not in PlatformField.values():
        errors["field"] = _l("This value is not one of the allowed choices.")
    if clean.get("origin") and clean["origin"] not in PlatformOrigin.values():
        errors["origin"] = _l("This value is not one of the allowed choices.")
    if "status" in clean and clean["status"] not in PlatformStatus.values():
        errors["status"] = _l("This value is not one of the allowed choices.")
    if errors:
        raise Invalid(_l("Please correct the marked fields."), fields=errors)
    return clean


def _check_code_free(session: Session, code: str, exclude_id: int | None = None) -> None:
    q = select(Platform.id).where(Platform.code == code)
    if exclude_id is not None:
        q = q.where(Platform.id != exclude_id)
    if session.exec(q).first() is not None:
        raise Conflict(_l("A platform with this code already exists."), fields={"code": _l("Already in use.")})


def create_platform(session: Session, actor, data: dict[str, Any]) -> Platform:
    clean = _validate(data, partial=False)
    _check_code_free(session, clean["code"])
    platform = Platform(**clean)
    session.add(platform)
    session.flush()
    audit.record(session, actor, "platform", platform.id, "create", None, audit.snapshot(platform))
    return platform


def update_platform(session: Session, actor, platform: Platform, data: dict[str, Any]) -> Platform:
    clean = _validate(data, partial=True)
    if "code" in clean:
        _check_code_free(session, clean["code"], exclude_id=platform.id)
    before = audit.snapshot(platform)
    for key, value in clean.items():
        setattr(platform, key, value)
    session.add(platform)
    session.flush()
    audit.record(session, actor, "platform", platform.id, "update", before, audit.snapshot(platform))
    return platform
