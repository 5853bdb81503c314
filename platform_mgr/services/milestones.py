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

from ..domain import gates as dg
from ..domain.errors import DomainError
from ..enums import MilestoneStatus
from ..errors import AppError, Conflict, Forbidden, Invalid, StateConflict
from ..i18n import label
from ..inputs.projects import MilestoneCompletion, MilestoneCreate, MilestoneUpdate, MilestoneWaiver
from ..messages import message_for
from ..models import Milestone, Project
from ..queries import gates as gq
from ..queries import projects as pq
from . import audit

FIX = _l("Please correct the marked fields.")
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


def _require_editable(project: Project) -> None:
    if not dg.milestones_editable(project.status):
        raise StateConflict(_l("Milestones cannot change while the project's status is “%(status)s”.",
                               status=label(project.status, "ProjectStatus")), subject="project",
                            state=project.status)


def _completion(status: str, completed_on: date | None, today: date) -> date | None:
    try:
        return dg.resolve_completion(status, completed_on, today)
    except dg.GateError as exc:
        raise domain_error(exc) from None


EVIDENCE_REQUIRED = _l("A must-meet milestone can be marked done only with at least one evidence file attached.")


def _require_evidence(session: Session, milestone_id: int | None) -> None:
    """DESIGN §3: a must-meet milestone is done only with evidence — 409 ``evidence_required`` otherwise."""
    if milestone_id is None or not pq.evidence_count(session, milestone_id):
        raise Conflict(EVIDENCE_REQUIRED, code="evidence_required",
                       fields={"file": _l("Attach at least one evidence file.")})


# --- use cases ---------------------------------------------------------------------------------------

def add_milestone(session: Session, user, project: Project, data: MilestoneCreate, *, today: date,
                  reason: str = "planned") -> Milestone:
    """Plan a milestone (past due dates allowed); it may be registered as already done."""
    _require_editable(project)
    status = data.status
    if data.completed_on is not None and "status" not in data.model_fields_set:
        status = MilestoneStatus.DONE
    if data.completed_on is not None and status is not MilestoneStatus.DONE:
        raise Invalid(FIX, fields={"completed_on": _l("Only a done milestone has a completion date.")})
    if status is MilestoneStatus.DONE and data.is_gate_criterion:
        _require_evidence(session, None)  # a new row has no evidence yet: plan it, attach the file, complete it
    milestone = Milestone(project_id=project.id, stage=data.stage or project.stage, title=data.title,
                          deliverable=data.deliverable, due_on=data.due_on, status=status,
                          completed_on=_completion(status, data.completed_on, today), trl_claimed=data.trl_claimed,
                          is_gate_criterion=data.is_gate_criterion)
    session.add(milestone)
    session.flush()
    audit_child(session, user, "milestone", milestone.id, "create", project.id, None,
                {**audit.snapshot(milestone, AUDIT_FIELDS), "reason": reason})
    return milestone


def update_milestone(session: Session, user, milestone: Milestone, project: Project, changes: MilestoneUpdate, *,
                     today: date) -> Milestone:
    """Edit a milestone carrying the client's version (stale → 409, nothing written); only the fields sent
    change. Waiving is `waive_milestone`."""
    check_version(milestone, changes.version)
    _require_editable(project)
    clean = changes.model_dump(exclude_unset=True, exclude={"version", "waived_reason"})
    if changes.waived_reason is not None:
        raise Invalid(FIX, fields={"waived_reason": _l("Give a reason only when waiving.")})
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
    must_meet = clean.get("is_gate_criterion", milestone.is_gate_criterion)
    if new_status == "done" and milestone.status != "done" and must_meet:
        _require_evidence(session, milestone.id)
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


def complete_milestone(session: Session, user, milestone: Milestone, project: Project, data: MilestoneCompletion, *,
                       today: date) -> Milestone:
    """Mark a milestone done on the given date (default today), with the TRL its evidence shows."""
    fields = {"version": data.version, "status": MilestoneStatus.DONE, "completed_on": data.completed_on or today}
    if data.trl_claimed is not None:
        fields["trl_claimed"] = data.trl_claimed
    return update_milestone(session, user, milestone, project, MilestoneUpdate(**fields), today=today)


def waive_milestone(session: Session, user, milestone: Milestone, project: Project, data: MilestoneWaiver) -> Milestone:
    """An admin waives a milestone, giving a reason (the project must be active)."""
    if not getattr(user, "is_admin", False):
        raise Forbidden(_l("Only a commission officer can waive a milestone."))
    if data.version is not None:
        check_version(milestone, data.version)
    _require_editable(project)
    if milestone.status in ("done", "waived"):
        raise StateConflict(_l("Only an open milestone can be waived."), subject="milestone", state=milestone.status)
    before = audit.snapshot(milestone, AUDIT_FIELDS)
    milestone.status = "waived"
    milestone.waived_reason = data.waived_reason
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
