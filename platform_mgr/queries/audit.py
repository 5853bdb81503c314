"""Read side of the audit log: an entity's history, paginated.

A project's history (``entity_type=project``) includes, besides the project's own events, the events of
its milestones, gate reviews, outcomes and evidence files (their ids are looked up first, so the query
uses the (entity_type, entity_id) index). Those events also carry ``project_id`` in their after-data.
"""
from __future__ import annotations

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from ..models import AuditEvent, EvidenceFile, GateReview, Milestone, Outcome
from .paging import paginate

CHILD_TYPES = ("milestone", "gate_review", "outcome", "evidence_file")


def _project_children(session: Session, project_id: int) -> dict[str, list[int]]:
    milestone_ids = list(session.exec(select(Milestone.id).where(Milestone.project_id == project_id)).all())
    outcome_ids = list(session.exec(select(Outcome.id).where(Outcome.project_id == project_id)).all())
    review_ids = list(session.exec(select(GateReview.id).where(GateReview.project_id == project_id)).all())
    evidence_ids: list[int] = []
    if milestone_ids or outcome_ids:
        conds = []
        if milestone_ids:
            conds.append(EvidenceFile.milestone_id.in_(milestone_ids))
        if outcome_ids:
            conds.append(EvidenceFile.outcome_id.in_(outcome_ids))
        evidence_ids = list(session.exec(select(EvidenceFile.id).where(or_(*conds))).all())
    return {"milestone": milestone_ids, "gate_review": review_ids, "outcome": outcome_ids,
            "evidence_file": evidence_ids}


def list_events(session: Session, *, entity_type: str | None = None, entity_id: int | None = None,
                related: bool = True, newest_first: bool = False, page: int = 1, per_page: int = 50):
    """Audit events, oldest first by default; an entity's own (and, for projects, its children's)."""
    conds = []
    if entity_type:
        own = AuditEvent.entity_type == entity_type
        if entity_id is not None:
            own = and_(own, AuditEvent.entity_id == entity_id)
        if entity_type == "project" and entity_id is not None and related:
            parts = [own]
            for kind, ids in _project_children(session, entity_id).items():
                if ids:
                    parts.append(and_(AuditEvent.entity_type == kind, AuditEvent.entity_id.in_(ids)))
            conds.append(or_(*parts))
        else:
            conds.append(own)
    elif entity_id is not None:
        conds.append(AuditEvent.entity_id == entity_id)
    order = AuditEvent.id.desc() if newest_first else AuditEvent.id.asc()
    return paginate(session, select(AuditEvent).where(*conds).order_by(order), page, per_page)
