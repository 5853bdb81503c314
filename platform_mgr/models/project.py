from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from ..enums import Decision, MilestoneStatus, OutcomeKind, ProjectStatus, SelectionMode, Stage
from .base import Timestamped, UTCDateTime, Versioned, enum_field, utcnow


class Project(Timestamped, Versioned, table=True):
    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint(SelectionMode.check("selection_mode"), name="selection_mode"),
        CheckConstraint(Stage.check("stage"), name="stage"),
        CheckConstraint(ProjectStatus.check("status"), name="status"),
        CheckConstraint("trl_entry IS NULL OR (trl_entry BETWEEN 1 AND 9)", name="trl_entry"),
        CheckConstraint("trl_current IS NULL OR (trl_current BETWEEN 1 AND 9)", name="trl_current"),
        CheckConstraint("budget >= 0", name="budget"),
        Index("ix_project_platform_stage", "platform_id", "stage"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="platform.id", index=True)
    title_zh: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    lead: str = Field(max_length=120)
    source_institution: str = Field(default="", max_length=200)
    demand_owner: str = Field(default="", max_length=200)
    selection_mode: SelectionMode = enum_field(SelectionMode, 20, default=SelectionMode.DIRECT)
    stage: Stage = enum_field(Stage, 2, default=Stage.S0)
    status: ProjectStatus = enum_field(ProjectStatus, 20, default=ProjectStatus.ACTIVE, index=True)
    trl_entry: Optional[int] = None
    trl_current: Optional[int] = None
    budget: int = Field(default=0)  # integer yuan
    started_on: Optional[date] = None
    created_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class Milestone(Timestamped, Versioned, table=True):
    __tablename__ = "milestone"
    __table_args__ = (
        CheckConstraint(Stage.check("stage"), name="stage"),
        CheckConstraint(MilestoneStatus.check("status"), name="status"),
        CheckConstraint("trl_claimed IS NULL OR (trl_claimed BETWEEN 1 AND 9)", name="trl_claimed"),
        CheckConstraint("status <> 'done' OR completed_on IS NOT NULL", name="done_has_date"),
        Index("ix_milestone_project_stage", "project_id", "stage"),
        Index("ix_milestone_status_due", "status", "due_on"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    stage: Stage = enum_field(Stage, 2)
    title: str = Field(max_length=200)
    deliverable: str = Field(default="", max_length=1000)
    due_on: date = Field(index=True)
    status: MilestoneStatus = enum_field(MilestoneStatus, 20, default=MilestoneStatus.PLANNED)
    completed_on: Optional[date] = None
    trl_claimed: Optional[int] = None
    is_gate_criterion: bool = Field(default=False)
    waived_reason: str = Field(default="", max_length=1000)


class GateReview(SQLModel, table=True):
    __tablename__ = "gate_review"
    __table_args__ = (
        CheckConstraint(Stage.check("from_stage"), name="from_stage"),
        CheckConstraint("to_stage IS NULL OR " + Stage.check("to_stage"), name="to_stage"),
        CheckConstraint("decision IS NULL OR " + Decision.check("decision"), name="decision"),
        # at most one pending gate review per project, even under concurrent requests
        Index(
            "uq_gate_review_pending",
            "project_id",
            unique=True,
            sqlite_where=text("decision IS NULL"),
            postgresql_where=text("decision IS NULL"),
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    from_stage: Stage = enum_field(Stage, 2)
    to_stage: Optional[Stage] = enum_field(Stage, 2, default=None)  # None: the S4 gate (transfer)
    requested_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    note: str = Field(default="", max_length=2000)
    gatekeeper_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    decision: Optional[Decision] = enum_field(Decision, 20, default=None)
    rationale: str = Field(default="", max_length=4000)
    conditions: list = Field(default_factory=list, sa_type=JSON)
    rework_due_on: Optional[date] = None
    decided_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    decided_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime, index=True)


class Outcome(SQLModel, table=True):
    __tablename__ = "outcome"
    __table_args__ = (
        CheckConstraint(OutcomeKind.check("kind"), name="kind"),
        CheckConstraint("amount >= 0", name="amount"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    kind: OutcomeKind = enum_field(OutcomeKind, 30)
    counterparty: str = Field(max_length=200)
    amount: int = Field(default=0)  # integer yuan
    occurred_on: date = Field(index=True)
    note: str = Field(default="", max_length=2000)
    created_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class EvidenceFile(SQLModel, table=True):
    """An uploaded file, stored under a generated name outside static/."""

    __tablename__ = "evidence_file"
    __table_args__ = (
        CheckConstraint(
            "milestone_id IS NOT NULL OR outcome_id IS NOT NULL OR self_assessment_id IS NOT NULL",
            name="has_owner",
        ),
        CheckConstraint("size_bytes >= 0", name="size"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    milestone_id: Optional[int] = Field(default=None, foreign_key="milestone.id", index=True, ondelete="CASCADE")
    outcome_id: Optional[int] = Field(default=None, foreign_key="outcome.id", index=True, ondelete="CASCADE")
    self_assessment_id: Optional[int] = Field(
        default=None, foreign_key="self_assessment.id", index=True, ondelete="CASCADE"
    )
    original_name: str = Field(max_length=255)
    stored_name: str = Field(max_length=80, unique=True)
    content_type: str = Field(max_length=100)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
