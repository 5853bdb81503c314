from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..enums import ConflictKind, CycleState, Dimension, ReviewState
from .base import Timestamped, Updated, UTCDateTime, Versioned, enum_field, utcnow


class Rubric(SQLModel, table=True):
    __tablename__ = "rubric"
    id: Optional[int] = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class Criterion(SQLModel, table=True):
    __tablename__ = "criterion"
    __table_args__ = (
        UniqueConstraint("rubric_id", "code"),
        CheckConstraint(Dimension.check("dimension"), name="dimension"),
        CheckConstraint("max_tenths > 0", name="max_tenths"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    rubric_id: int = Field(foreign_key="rubric.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=10)
    dimension: Dimension = enum_field(Dimension, 20)
    position: int = Field(default=0)
    max_tenths: int  # maximum points × 10
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    guidance_zh: str = Field(default="", sa_type=Text)
    guidance_en: str = Field(default="", sa_type=Text)


class ReviewCycle(Versioned, table=True):
    __tablename__ = "review_cycle"
    __table_args__ = (
        CheckConstraint(CycleState.check("state"), name="state"),
        CheckConstraint("window_start <= window_end", name="window"),
        CheckConstraint("opens_at < closes_at", name="times"),
        CheckConstraint("budget >= 0", name="budget"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    window_start: date
    window_end: date
    opens_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    closes_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    budget: int = Field(default=0)  # integer yuan
    state: CycleState = enum_field(CycleState, 20, default=CycleState.DRAFT, index=True)
    rubric_id: int = Field(foreign_key="rubric.id")  # frozen when the cycle opens
    rules: dict = Field(default_factory=dict, sa_type=JSON)  # overrides of the DESIGN §5 defaults
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    opened_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    closed_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    published_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    close_reason: str = Field(default="", sa_type=Text)  # the written reason of a guarded close by hand (§10)


class Assignment(Timestamped, Versioned, table=True):
    """A reviewer's assignment to a platform in a cycle; carries that review's state."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("cycle_id", "reviewer_id", "platform_id"),
        CheckConstraint(ReviewState.check("review_state"), name="review_state"),
        CheckConstraint(ConflictKind.check("conflict_kind"), name="conflict_kind"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="review_cycle.id", index=True, ondelete="CASCADE")
    reviewer_id: int = Field(foreign_key="user.id", index=True)
    platform_id: int = Field(foreign_key="platform.id", index=True)
    conflict_declared: bool = Field(default=False)  # rule C2: the reviewer declared a relationship
    conflict_kind: Optional[ConflictKind] = enum_field(ConflictKind, 20, default=None, nullable=True)
    conflict_note: str = Field(default="", max_length=1000)
    # any conflict rule holds (DESIGN §10): the review does not count; the codes of the rules that hold
    conflicted: bool = Field(default=False, index=True)
    conflict_rules: list = Field(default_factory=list, sa_type=JSON)
    review_state: ReviewState = enum_field(ReviewState, 20, default=ReviewState.NOT_STARTED)
    comment: str = Field(default="", sa_type=Text)
    submitted_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class Score(SQLModel, table=True):
    """Points for one criterion in one review, stored exactly as integer tenths."""

    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("assignment_id", "criterion_id"),
        CheckConstraint("points_tenths >= 0", name="points"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True, ondelete="CASCADE")
    criterion_id: int = Field(foreign_key="criterion.id", index=True)
    points_tenths: int
    comment: str = Field(default="", max_length=2000)


class SelfAssessment(Updated, Versioned, table=True):
    __tablename__ = "self_assessment"
    __table_args__ = (UniqueConstraint("cycle_id", "platform_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="review_cycle.id", index=True, ondelete="CASCADE")
    platform_id: int = Field(foreign_key="platform.id", index=True)
    verification: str = Field(default="", sa_type=Text)
    service: str = Field(default="", sa_type=Text)
    operating: str = Field(default="", sa_type=Text)
    updated_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class EligibilitySnapshot(SQLModel, table=True):
    """The frozen result of a cycle's eligibility run at close."""

    __tablename__ = "eligibility_snapshot"
    id: Optional[int] = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="review_cycle.id", unique=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    rubric_version: int
    rules: dict = Field(default_factory=dict, sa_type=JSON)
    payload: str = Field(sa_type=Text)  # canonical JSON of rows and results
    inputs_digest: str = Field(max_length=64)
    payload_digest: str = Field(max_length=64)
    export_digests: dict = Field(default_factory=dict, sa_type=JSON)  # "eligibility.csv" -> sha256 hex
    # HMAC under the audit key of the digests, the rules and the cycle (services.eligibility.snapshot_seal): a
    # payload edited together with its digest does not match it
    seal: Optional[str] = Field(default=None, max_length=64)
