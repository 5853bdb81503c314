"""Outcomes (KPI records): licences, assignments, equity, spin-outs, follow-on investment, contracts."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..i18n import label
from ..domain import gates as dg
from ..errors import Conflict, Invalid
from ..models import Outcome, Project
from . import audit
from .milestones import FIX, _choice, audit_child, clean_text, is_date, is_int

OUTCOME_FIELDS = ("kind", "counterparty", "amount", "occurred_on", "note")
AUDIT_FIELDS = ("project_id", "kind", "counterparty", "amount", "occurred_on", "note")


def validate_outcome(data: dict[str, Any], *, today: date) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    for key in data:
        if key not in OUTCOME_FIELDS:
            errors[key] = _l("Unknown field.")
    if not _choice(data.get("kind"), dg.OutcomeKind):
        errors["kind"] = _l("Unknown kind; use licence, assignment, equity, spinout, follow_on_investment or "
                            "contract.")
    else:
        clean["kind"] = str(dg.OutcomeKind(data["kind"]))
    clean["counterparty"] = clean_text(data, "counterparty", errors, required=True, max_len=200)
    clean["note"] = clean_text(data, "note", errors, required=False, max_len=2000) or ""
    amount = data.get("amount", 0)
    if not is_int(amount):
        errors["amount"] = _l("Enter a whole number of yuan.")
    elif amount < 0:
        errors["amount"] = _l("An amount may not be negative.")
    clean["amount"] = amount
    occurred_on = data.get("occurred_on")
    if not is_date(occurred_on):
        errors["occurred_on"] = _l("Enter a date as YYYY-MM-DD.")
    elif occurred_on > today:
        errors["occurred_on"] = _l("The date may not lie in the future.")
    clean["occurred_on"] = occurred_on
    if errors:
        raise Invalid(FIX, fields=errors)
    return clean


def record_outcome(session: Session, user, project: Project, data: dict[str, Any], *, today: date) -> Outcome:
    """Record a conversion or investment of an active project (transferred, killed, held: read-only)."""
    if project.status != "active":
        raise Conflict(_l("The project's status is “%(status)s”; no outcome can be recorded.",
                          status=label(project.status, "ProjectStatus")))
    clean = validate_outcome(data, today=today)
    outcome = Outcome(project_id=project.id, created_by_id=getattr(user, "id", None), **clean)
    session.add(outcome)
    session.flush()
    audit_child(session, user, "outcome", outcome.id, "create", project.id, None,
                audit.snapshot(outcome, AUDIT_FIELDS))
    return outcome
