"""Projects: register on a platform, edit with optimistic versions, resume after a hold."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..domain import gates as dg
from ..errors import StateConflict
from ..i18n import label
from ..inputs.projects import ProjectCreate, ProjectUpdate, Resume
from ..models import Platform, Project
from . import audit
from .milestones import apply_stage_template, check_version, domain_error

AUDIT_FIELDS = ("platform_id", "title_zh", "title_en", "lead", "source_institution", "demand_owner",
                "selection_mode", "stage", "status", "trl_entry", "trl_current", "budget", "started_on", "version")


def create_project(session: Session, user, platform: Platform, data: ProjectCreate, *, today: date) -> Project:
    """Register a project on a platform, in S0 or (a running project) a later stage.

    With ``data.apply_template`` the stage's template must-meet milestones are copied onto it.
    """
    project = Project(platform_id=platform.id, status="active", trl_current=data.trl_entry,
                      created_by_id=getattr(user, "id", None), **data.model_dump(exclude={"apply_template"}))
    session.add(project)
    session.flush()
    audit.record(session, user, "project", project.id, "create", None, audit.snapshot(project, AUDIT_FIELDS))
    if data.apply_template:
        apply_stage_template(session, user, project, project.stage, today=today)
    return project


def update_project(session: Session, user, project: Project, changes: ProjectUpdate) -> Project:
    """Edit the fields sent, carrying the client's version (stale → 409, nothing written)."""
    check_version(project, changes.version)
    if project.status != "active":
        raise StateConflict(_l("The project's status is “%(status)s”; it cannot be edited.",
                               status=label(project.status, "ProjectStatus")), subject="project", state=project.status)
    clean = changes.model_dump(exclude_unset=True, exclude={"version"})
    before = audit.snapshot(project, AUDIT_FIELDS)
    for key, value in clean.items():
        setattr(project, key, value)
    if project.trl_current is None and project.trl_entry is not None:
        project.trl_current = project.trl_entry
    session.add(project)
    session.flush()
    audit.record(session, user, "project", project.id, "update", before, audit.snapshot(project, AUDIT_FIELDS))
    return project


def resume_project(session: Session, user, project: Project, data: Resume) -> Project:
    """An admin resumes a project on hold (on_hold → active)."""
    if data.version is not None:
        check_version(project, data.version)
    try:
        status = dg.resume(project.status)
    except dg.GateError as exc:  # only a project on hold resumes: 409 naming the state it is in
        raise StateConflict(domain_error(exc).message, subject="project", state=project.status) from None
    before = audit.snapshot(project, AUDIT_FIELDS)
    project.status = str(status)
    session.add(project)
    session.flush()
    audit.record(session, user, "project", project.id, "resume", before, audit.snapshot(project, AUDIT_FIELDS))
    return project
