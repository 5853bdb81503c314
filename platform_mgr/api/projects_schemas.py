"""Request and response models of the project, milestone, evidence, gate-review, outcome and audit API."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

from ..enums import Decision, MilestoneStatus, OutcomeKind, ProjectStatus, SelectionMode, Stage
from .schemas import Strict

Trl = StrictInt


def _not_waived(status: MilestoneStatus) -> MilestoneStatus:
    if status is MilestoneStatus.WAIVED:
        raise PydanticCustomError("enum", "a new milestone cannot be waived")
    return status


#: a new milestone's status: any but waived (waiving is an admin's decision on an existing milestone)
NewMilestoneStatus = Annotated[MilestoneStatus, AfterValidator(_not_waived), WithJsonSchema(
    {"type": "string", "enum": [m.value for m in MilestoneStatus if m is not MilestoneStatus.WAIVED]})]


class ProjectCreate(Strict):
    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field(default="", max_length=200)
    lead: str = Field(min_length=1, max_length=120)
    source_institution: str = Field(default="", max_length=200)
    demand_owner: str = Field(default="", max_length=200)
    selection_mode: SelectionMode = SelectionMode.DIRECT
    stage: Stage = Field(default=Stage.S0, description="a running project may be registered in a later stage")
    trl_entry: Optional[Trl] = Field(default=None, ge=1, le=9)
    budget: StrictInt = Field(default=0, ge=0, description="integer yuan")
    started_on: Optional[dt.date] = None
    apply_template: StrictBool = Field(default=True, description="copy the stage's template must-meet milestones")


class ProjectUpdate(Strict):
    version: StrictInt = Field(description="the version read; a stale one answers 409")
    title_zh: Optional[str] = Field(default=None, min_length=1, max_length=200)
    title_en: Optional[str] = Field(default=None, max_length=200)
    lead: Optional[str] = Field(default=None, min_length=1, max_length=120)
    source_institution: Optional[str] = Field(default=None, max_length=200)
    demand_owner: Optional[str] = Field(default=None, max_length=200)
    selection_mode: Optional[SelectionMode] = None
    trl_entry: Optional[Trl] = Field(default=None, ge=1, le=9)
    budget: Optional[StrictInt] = Field(default=None, ge=0)
    started_on: Optional[dt.date] = None


class ProjectOut(BaseModel):
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
    created_at: str
    updated_at: str
    version: int
    read_only: bool
    pending_gate_review_id: Optional[int] = None


class ResumeBody(Strict):
    version: Optional[StrictInt] = None


class EvidenceOut(BaseModel):
    id: int
    milestone_id: Optional[int]
    outcome_id: Optional[int]
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: str
    download_url: str


class MilestoneCreate(Strict):
    title: str = Field(min_length=1, max_length=200)
    stage: Optional[Stage] = Field(default=None, description="default: the project's current stage")
    due_on: dt.date
    deliverable: str = Field(default="", max_length=1000)
    is_gate_criterion: StrictBool = False
    status: NewMilestoneStatus = MilestoneStatus.PLANNED
    completed_on: Optional[dt.date] = None
    trl_claimed: Optional[Trl] = Field(default=None, ge=1, le=9)


class MilestoneUpdate(Strict):
    version: StrictInt = Field(description="the version read; a stale one answers 409")
    title: Optional[str] = Field(default=None, min_length=1, max_length=200)
    stage: Optional[Stage] = None
    due_on: Optional[dt.date] = None
    deliverable: Optional[str] = Field(default=None, max_length=1000)
    is_gate_criterion: Optional[StrictBool] = None
    status: Optional[MilestoneStatus] = Field(default=None, description="waived: admin only, with waived_reason")
    completed_on: Optional[dt.date] = None
    trl_claimed: Optional[Trl] = Field(default=None, ge=1, le=9)
    waived_reason: Optional[str] = Field(default=None, max_length=1000)


class MilestoneOut(BaseModel):
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


class GateRequestBody(Strict):
    note: str = Field(default="", max_length=2000)


class GateDecisionBody(Strict):
    decision: Decision
    rationale: str = Field(default="", max_length=4000, description="required except for go")
    conditions: list[str] = Field(default_factory=list, max_length=50,
                                  description="conditional_go: titles of new must-meet milestones of the next stage")
    conditions_due_on: Optional[dt.date] = Field(default=None, description="conditional_go; default today + 90 days")
    rework_due_on: Optional[dt.date] = Field(default=None, description="recycle: the rework's due date (required)")


class GateReviewOut(BaseModel):
    id: int
    project_id: int
    from_stage: Stage
    to_stage: Optional[Stage]
    requested_by_id: Optional[int]
    requested_at: str
    note: str
    decision: Optional[Decision]
    rationale: str
    conditions: list[str]
    rework_due_on: Optional[dt.date]
    decided_by_id: Optional[int]
    decided_at: Optional[str]


class GateDecisionOut(BaseModel):
    gate_review: GateReviewOut
    project: ProjectOut


class OutcomeCreate(Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)

    kind: OutcomeKind
    counterparty: str = Field(min_length=1, max_length=200)
    amount: StrictInt = Field(default=0, ge=0, description="integer yuan")
    occurred_on: dt.date = Field(alias="date", description="ISO 8601; not in the future")
    note: str = Field(default="", max_length=2000)


class OutcomeOut(BaseModel):
    id: int
    project_id: int
    kind: OutcomeKind
    counterparty: str
    amount: int
    date: dt.date
    note: str
    created_at: str
    evidence: list[EvidenceOut] = []


class AuditEventOut(BaseModel):
    id: int
    occurred_at: str
    actor_id: Optional[int]
    actor_label: str
    entity_type: str
    entity_id: Optional[int]
    action: str
    before: Optional[dict[str, Any]]
    after: Optional[dict[str, Any]]
    prev_hash: str
    hash: str
