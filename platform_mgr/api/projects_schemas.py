"""Answers of the project, milestone, evidence, gate-review and outcome endpoints; each serialises itself
from the rows (`of`). Their request bodies are `inputs.projects`."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Optional

from flask import url_for
from pydantic import BaseModel

from .. import clock
from ..domain import gates as dg
from ..enums import Decision, MilestoneStatus, OutcomeKind, ProjectStatus, SelectionMode, Stage
from .schemas import Instant, Out


class ProjectOut(Out):
    id: int
    platform_id: int
    title_zh: str
    title_en: str
    lead: str
    source_institution: str
    demand_owner: str
    selection_mode: SelectionMode
    stage: Stage
    status: ProjectStatus
    trl_entry: Optional[int]
    trl_current: Optional[int]
    budget: int
    started_on: Optional[dt.date]
    created_at: Instant
    updated_at: Instant
    version: int
    read_only: bool
    pending_gate_review_id: Optional[int] = None

    @classmethod
    def of(cls, project, pending_id: int | None = None) -> ProjectOut:
        out = cls.model_validate({**{name: getattr(project, name) for name in cls.model_fields
                                     if name not in ("read_only", "pending_gate_review_id")},
                                  "read_only": project.status != ProjectStatus.ACTIVE,
                                  "pending_gate_review_id": pending_id})
        return out


class EvidenceOut(Out):
    id: int
    milestone_id: Optional[int]
    outcome_id: Optional[int]
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: Instant
    download_url: str

    @classmethod
    def of(cls, ev) -> EvidenceOut:
        return cls(id=ev.id, milestone_id=ev.milestone_id, outcome_id=ev.outcome_id, original_name=ev.original_name,
                   content_type=ev.content_type, size_bytes=ev.size_bytes, sha256=ev.sha256,
                   uploaded_at=ev.uploaded_at, download_url=url_for("api.evidence_download", evidence_id=ev.id))


class MilestoneOut(Out):
    id: int
    project_id: int
    stage: Stage
    title: str
    deliverable: str
    due_on: dt.date
    status: MilestoneStatus
    completed_on: Optional[dt.date]
    trl_claimed: Optional[int]
    is_gate_criterion: bool
    waived_reason: str
    overdue: bool
    days_overdue: int
    version: int
    evidence: list[EvidenceOut] = []

    @classmethod
    def of(cls, m, evidence: Iterable = (), today: dt.date | None = None) -> MilestoneOut:
        today = today or clock.today()
        return cls(id=m.id, project_id=m.project_id, stage=m.stage, title=m.title, deliverable=m.deliverable,
                   due_on=m.due_on, status=m.status, completed_on=m.completed_on, trl_claimed=m.trl_claimed,
                   is_gate_criterion=m.is_gate_criterion, waived_reason=m.waived_reason,
                   overdue=dg.is_overdue(m.status, m.due_on, today), days_overdue=dg.days_overdue(m.status, m.due_on,
                                                                                                   today),
                   version=m.version, evidence=[EvidenceOut.of(ev) for ev in evidence])


class GateReviewOut(Out):
    id: int
    project_id: int
    from_stage: Stage
    to_stage: Optional[Stage]
    requested_by_id: Optional[int]
    requested_at: Instant
    note: str
    decision: Optional[Decision]
    rationale: str
    conditions: list[str]
    rework_due_on: Optional[dt.date]
    decided_by_id: Optional[int]
    decided_at: Optional[Instant]


class GateDecisionOut(BaseModel):
    gate_review: GateReviewOut
    project: ProjectOut


class OutcomeOut(Out):
    id: int
    project_id: int
    kind: OutcomeKind
    counterparty: str
    amount: int
    date: dt.date
    note: str
    created_at: Instant
    evidence: list[EvidenceOut] = []

    @classmethod
    def of(cls, o, evidence: Iterable = ()) -> OutcomeOut:
        return cls(id=o.id, project_id=o.project_id, kind=o.kind, counterparty=o.counterparty, amount=o.amount,
                   date=o.occurred_on, note=o.note, created_at=o.created_at,
                   evidence=[EvidenceOut.of(ev) for ev in evidence])
