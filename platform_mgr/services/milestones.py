"""Milestones: plan, edit (optimistic versions), complete, waive, and copy a stage's gate template.

Also the small helpers the other project services share: turning a domain GateError into an AppError,
comparing a client's version, and auditing a project's child rows with ``project_id`` in the after-data
(so ``GET /api/v1/audit?entity_type=project&entity_id=N`` can show them as the project's history).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..i18n import label
from ..domain import gates as dg
from ..domain.trl import validate_trl
from ..domain.errors import DomainError
from ..messages import message_for
from ..errors import AppError, Conflict, Forbidden, Invalid
from ..models import Milestone, Project
from ..queries import gates as gq
from . import audit

FIX = _l("Please correct the marked fields.")
MILESTONE_FIELDS = ("title", "stage", "due_on", "deliverable", "is_gate_criterion", "status", "completed_on",
                    "trl_claimed")
AUDIT_FIELDS = ("project_id", "stage", "title", "deliverable", "due_on", "status", "completed_on", "trl_claimed",
                "is_gate_criterion", "waived_reason", "version")


# --- shared helpers -------------------------------------------------------------------------------

def domain_error(exc: DomainError) -> AppError:
    """A refused domain rule: 422 naming the field when it has one, else 409 (illegal state change)."""
    message = message_for(exc)
    if exc.field:
        return Invalid(message, fields={exc.field: message})
    return Conflict(message)


def check_version(obj: Any, version: Any) -> None:
    """The client's version must match the row's: otherwise 409 and nothing is written."""
    if version is None or isinstance(version, bool) or not isinstance(version, int):
        raise Invalid(FIX, fields={"version": _l("This field is required.")})
    if version != obj.version:
        raise Conflict(_l("This record was changed by someone else. Reload and try again."),
                       fields={"version": _l("Stale version: the record is now at version %(v)d.", v=obj.version)})


def audit_child(session: Session, user, entity_type: str, entity_id: int, action: str, project_id: int,
                before: dict | None, after: dict | None) -> None:
    """Audit a row that belongs to a project; ``project_id`` always appears in the after-data."""
    before = {k: v for k, v in (before or {}).items() if k != "project_id"} if before is not None else None
    after = {**(after or {}), "project_id": project_id}
    audit.record(session, user, entity_type, entity_id, action, before, after)


def clean_text(data: dict, key: str, errors: dict, *, required: bool, max_len: int) -> str | None:
    """Strip a text value; record an error when it is required and empty or too long."""
    value = data.get(key)
    if value is None:
        if required:
            errors[key] = _l("This field is required.")
        return None if not required else ""
    if not isinstance(value, str):
        errors[key] = _l("Enter text.")
        return None
    value = value.strip()
    if required and not value:
        errors[key] = _l("This field must not be empty.")
    elif len(value) > max_len:
        errors[key] = _l("At most %(n)d characters.", n=max_len)
    return value


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_date(value: Any) -> bool:
    from datetime import datetime

    return isinstance(value, date) and not isinstance(value, datetime)


def _choice(value: Any, enum_cls) -> bool:
    try:
        enum_cls(value)
    except ValueError:
        return False
    return True


# --- validation -------------------------------------------------------------------------------------

def validate_milestone(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    for key in data:
        if key not in MILESTONE_FIELDS:
            errors[key] = _l("Unknown field.")
    if "title" in data or not partial:
        clean["title"] = clean_text(data, "title", errors, required=True, max_len=dg.MAX_TITLE_LENGTH)
    if "deliverable" in data:
        clean["deliverable"] = clean_text(data, "deliverable", errors, required=False, max_len=1000) or ""
    if "stage" in data:
        if not _choice(data["stage"], dg.Stage):
            errors["stage"] = _l("Unknown stage; use one of S0, S1, S2, S3, S4.")
        else:
            clean["stage"] = str(dg.Stage(data["stage"]))
    if "due_on" in data or not partial:
        if not is_date(data.get("due_on")):
            errors["due_on"] = _l("Enter a date as YYYY-MM-DD.")
        else:
            clean["due_on"] = data["due_on"]
    if "completed_on" in data:
        if data["completed_on"] is not None and not is_date(data["completed_on"]):
            errors["completed_on"] = _l("Enter a date as YYYY-MM-DD.")
        else:
            clean["completed_on"] = data["completed_on"]
    if "status" in data:
        if not _choice(data["status"], dg.MilestoneStatus):
            errors["status"] = _l("Unknown status; use planned, in_progress or done.")
        else:
            clean["status"] = str(dg.MilestoneStatus(data["status"]))
    if "trl_claimed" in data:
        value = data["trl_claimed"]
        if value is not None:
            try:
                validate_trl(value)
            except ValueError:
                errors["trl_claimed"] = _l("TRL is a whole number from 1 to 9.")
        clean["trl_claimed"] = value
    if "is_gate_criterion" in data:
        if not isinstance(data["is_gate_criterion"], bool):
            errors["is_gate_criterion"] = _l("Enter true or false.")
        clean["is_gate_criterion"] = bool(data["is_gate_criterion"])
    if errors:
        raise Invalid(FIX, fields=errors)
    return clean


def _require_editable(project: Project) -> None:
    if not dg.milestones_editable(project.status):
        raise Conflict(_l("Milestones cannot change while the project's status is “%(status)s”.",
                          status=label(project.status, "ProjectStatus")))


def _completion(status: str, completed_on: date | None, today: date) -> date | None:
    try:
        return dg.resolve_completion(status, completed_on, today)
    except dg.GateError as exc:
        raise domain_error(exc) from None


# --- use cases ---------------------------------------------------------------------------------------

def add_milestone(session: Session, user, project: Project, data: dict[str, Any], *, today: date,
                  reason: str = "planned") -> Milestone:
    """Plan a milestone (past due dates allowed); it may be registered as already done."""
    _require_editable(project)
    data = dict(data)
    data.setdefault("stage", project.stage)
    clean = validate_milestone(data, partial=False)
    status = clean.get("status") or "planned"
    if status == "waived":
        raise Invalid(FIX, fields={"status": _l("Only a commission officer can waive a milestone, with a reason.")})
    completed_on = clean.get("completed_on")
    if completed_on is not None and "status" not in data:
        status = "done"
    if completed_on is not None and status != "done":
        raise Invalid(FIX, fields={"completed_on": _l("Only a done milestone has a completion date.")})
    milestone = Milestone(project_id=project.id, stage=clean["stage"], title=clean["title"],
                          deliverable=clean.get("deliverable", ""), due_on=clean["due_on"], status=status,
                          completed_on=_completion(status, completed_on, today), trl_claimed=clean.get("trl_claimed"),
                          is_gate_criterion=clean.get("is_gate_criterion", False))
    session.add(milestone)
    session.flush()
    audit_child(session, user, "milestone", milestone.id, "create", project.id, None,
                {**audit.snapshot(milestone, AUDIT_FIELDS), "reason": reason})
    return milestone


def update_milestone(session: Session, user, milestone: Milestone, project: Project, data: dict[str, Any], *,
                     version: Any, today: date) -> Milestone:
    """Edit a milestone carrying the client's version (stale → 409, nothing written)."""
    check_version(milestone, version)
    _require_editable(project)
    clean = validate_milestone(data, partial=True)
    errors: dict[str, Any] = {}
    is_admin = bool(getattr(user, "is_admin", False))
    new_status = clean.get("status", milestone.status)
    if new_status == "waived" and milestone.status != "waived":
        errors["status"] = _l("Only a commission officer can waive a milestone, with a reason.")
    if milestone.status == "waived" and new_status != "waived" and not is_admin:
        errors["status"] = _l("Only a commission officer can reopen a waived milestone.")
    if milestone.is_gate_criterion and not is_admin:
        if clean.get("is_gate_criterion") is False:
            errors["is_gate_criterion"] = _l("A must-meet milestone stays must-meet; ask a commission officer to "
                                             "waive it.")
        if "stage" in clean and clean["stage"] != milestone.stage:
            errors["stage"] = _l("A must-meet milestone cannot move to another stage.")
    completed_on = clean["completed_on"] if "completed_on" in clean else milestone.completed_on
    if clean.get("completed_on") is not None and "status" not in clean:
        new_status = "done"
    if clean.get("completed_on") is not None and new_status != "done":
        errors["completed_on"] = _l("Only a done milestone has a completion date.")
    if errors:
        raise Invalid(FIX, fields=errors)
    before = audit.snapshot(milestone, AUDIT_FIELDS)
    for key in ("title", "deliverable", "due_on", "stage", "trl_claimed", "is_gate_criterion"):
        if key in clean:
            setattr(milestone, key, clean[key])
    if new_status != "waived":
        milestone.completed_on = _completion(new_status, completed_on, today)
        if milestone.status == "waived":
            milestone.waived_reason = ""
    milestone.status = new_status
    session.add(milestone)
    session.flush()
    action = "complete" if new_status == "done" and before["status"] != "done" else "update"
    audit_child(session, user, "milestone", milestone.id, action, project.id, before,
                audit.snapshot(milestone, AUDIT_FIELDS))
    return milestone


def complete_milestone(session: Session, user, milestone: Milestone, project: Project, *, version: Any,
                       today: date, completed_on: date | None = None, trl_claimed: int | None = None) -> Milestone:
    data: dict[str, Any] = {"status": "done", "completed_on": completed_on or today}
    if trl_claimed is not None:
        data["trl_claimed"] = trl_claimed
    return update_milestone(session, user, milestone, project, data, version=version, today=today)


def waive_milestone(session: Session, user, milestone: Milestone, project: Project, *, reason: Any,
                    version: Any = None) -> Milestone:
    """An admin waives a milestone, giving a reason (the project must be active)."""
    if not getattr(user, "is_admin", False):
        raise Forbidden(_l("Only a commission officer can waive a milestone."))
    if version is not None:
        check_version(milestone, version)
    _require_editable(project)
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid(FIX, fields={"waived_reason": _l("Give the reason for the waiver.")})
    if len(reason.strip()) > 1000:
        raise Invalid(FIX, fields={"waived_reason": _l("At most %(n)d characters.", n=1000)})
    if milestone.status in ("done", "waived"):
        raise Conflict(_l("Only an open milestone can be waived."))
    before = audit.snapshot(milestone, AUDIT_FIELDS)
    milestone.status = "waived"
    milestone.waived_reason = reason.strip()
    milestone.completed_on = None
    session.add(milestone)
    session.flush()
    audit_child(session, user, "milestone", milestone.id, "waive", project.id, before,
                audit.snapshot(milestone, AUDIT_FIELDS))
    return milestone


def apply_stage_template(session: Session, user, project: Project, stage: str, *, today: date) -> list[Milestone]:
    """Copy a stage's template must-meet milestones onto a project entering it (due = today + due_days)."""
    created = []
    for item in gq.stage_template(session, project.platform_id, stage):
        milestone = Milestone(project_id=project.id, stage=str(stage), title=item.title_zh[:dg.MAX_TITLE_LENGTH],
                              deliverable=item.deliverable_zh, due_on=today + timedelta(days=item.due_days),
                              status="planned", is_gate_criterion=True)
        session.add(milestone)
        created.append(milestone)
    if created:
        session.flush()
        for milestone in created:
            audit_child(session, user, "milestone", milestone.id, "create", project.id, None,
                        {**audit.snapshot(milestone, AUDIT_FIELDS), "reason": "template"})
    return created
