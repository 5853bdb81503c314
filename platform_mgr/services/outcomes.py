"""Outcomes (KPI records): licences, assignments, equity, spin-outs, follow-on investment, contracts."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..errors import StateConflict
from ..i18n import label
from ..inputs.projects import OutcomeCreate
from ..models import Outcome, Project
from . import audit
from .milestones import audit_child

AUDIT_FIELDS = ("project_id", "kind", "counterparty", "amount", "occurred_on", "note")


def record_outcome(session: Session, user, project: Project, data: OutcomeCreate) -> Outcome:
    """Record a conversion or investment of an active project (transferred, killed, held: read-only)."""
    if project.status != "active":
        raise StateConflict(_l("The project's status is “%(status)s”; no outcome can be recorded.",
                               status=label(project.status, "ProjectStatus")), subject="project",
                            state=project.status)
    outcome = Outcome(project_id=project.id, created_by_id=getattr(user, "id", None), **data.model_dump())
    session.add(outcome)
    session.flush()
    audit_child(session, user, "outcome", outcome.id, "create", project.id, None,
                audit.snapshot(outcome, AUDIT_FIELDS))
    return outcome
