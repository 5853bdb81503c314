"""Projects: register on a platform, edit with optimistic versions, resume after a hold."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..i18n import label
from ..domain import gates as dg
from ..domain.trl import validate_trl
from ..errors import Conflict, Invalid
from ..models import Platform, Project
from . import audit
from .milestones import FIX, _choice, apply_stage_template, check_version, clean_text, domain_error, is_date, is_int

EDITABLE = ("title_zh", "title_en", "lead", "source_institution", "demand_owner", "selection_mode", "trl_entry",
            "budget", "started_on")
CREATE_ONLY = ("stage",)
AUDIT_FIELDS = ("platform_id", "title_zh", "title_en", "lead", "source_institution", "demand_owner",
                "selection_mode", "stage", "status", "trl_entry", "trl_current", "budget", "started_on", "version")


def validate_project(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    allowed = EDITABLE if partial else EDITABLE + CREATE_ONLY
    for key in data:
        if key == "stage" and partial:
            errors[key] = _l("The stage moves only through gate decisions.")
        elif key not in allowed:
            errors[key] = _l("Unknown field.")
    if "title_zh" in data or not partial:
        clean["title_zh"] = clean_text(data, "title_zh", errors, required=True, max_len=200)
    if "lead" in data or not partial:
        clean["lead"] = clean_text(data, "lead", errors, required=True, max_len=120)
    for key, max_len in (("title_en", 200), ("source_institution", 200), ("demand_owner", 200)):
        if key in data:
            clean[key] = clean_text(data, key, errors, required=False, max_len=max_len) or ""
    if "selection_mode" in data:
        if not _choice(data["selection_mode"], dg.SelectionMode):
            errors["selection_mode"] = _l("Unknown selection mode; use open_call, horse_race or direct.")
        else:
            clean["selection_mode"] = str(dg.SelectionMode(data["selection_mode"]))
    if "stage" in data and not partial:
        if not _choice(data["stage"], dg.Stage):
            errors["stage"] = _l("Unknown stage; use one of S0, S1, S2, S3, S4.")
        else:
            clean["stage"] = str(dg.Stage(data["stage"]))
    if "trl_entry" in data:
        value = data["trl_entry"]
        if value is not None:
            try:
                validate_trl(value)
            except ValueError:
                errors["trl_entry"] = _l("TRL is a whole number from 1 to 9.")
        clean["trl_entry"] = value
    if "budget" in data:
        value = data["budget"]
        if not is_int(value):
            errors["budget"] = _l("Enter a whole number of yuan.")
        elif value < 0:
            errors["budget"] = _l("An amount may not be negative.")
        clean["budget"] = value
    if "started_on" in data:
        if data["started_on"] is not None and not is_date(data["started_on"]):
            errors["started_on"] = _l("Enter a date as YYYY-MM-DD.")
        clean["started_on"] = data["started_on"]
    if errors:
        raise Invalid(FIX, fields=errors)
    return clean


def create_project(session: Session, user, platform: Platform, data: dict[str, Any], *, today: date,
                   apply_template: bool = True) -> Project:
    """Register a project on a platform, in S0 or (a running project) a later stage.

    With ``apply_template`` the stage's template must-meet milestones are copied onto it.
    """
    clean = validate_project(data, partial=False)
    clean.setdefault("stage", "S0")
    project = Project(platform_id=platform.id, status="active", trl_current=clean.get("trl_entry"),
                      created_by_id=getattr(user, "id", None), **clean)
    session.add(project)
    session.flush()
    audit.record(session, user, "project", project.id, "create", None, audit.snapshot(project, AUDIT_FIELDS))
    if apply_template:
        apply_stage_template(session, user, project, project.stage, today=today)
    return project


def update_project(session: Session, user, project: Project, data: dict[str, Any], *, version: Any) -> Project:
    """Edit a project's fields carrying the client's version (stale → 409, nothing written)."""
    check_version(project, version)
    if project.status != "active":
        raise Conflict(_l("The project's status is “%(status)s”; it cannot be edited.",
                          status=label(project.status, "ProjectStatus")))
    clean = validate_project(data, partial=True)
    before = audit.snapshot(project, AUDIT_FIELDS)
    for key, value in clean.items():
        setattr(project, key, value)
    if project.trl_current is None and project.trl_entry is not None:
        project.trl_current = project.trl_entry
    session.add(project)
    session.flush()
    audit.record(session, user, "project", project.id, "update", before, audit.snapshot(project, AUDIT_FIELDS))
    return project


def resume_project(session: Session, user, project: Project, *, version: Any = None) -> Project:
    """An admin resumes a project on hold (on_hold → active)."""
    if version is not None:
        check_version(project, version)
    try:
        status = dg.resume(project.status)
    except dg.GateError as exc:
        raise domain_error(exc) from None
    before = audit.snapshot(project, AUDIT_FIELDS)
    project.status = str(status)
    session.add(project)
    session.flush()
    audit.record(session, user, "project", project.id, "resume", before, audit.snapshot(project, AUDIT_FIELDS))
    return project
