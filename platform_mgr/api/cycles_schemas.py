"""Request and response models of the cycle, assignment, review, results and rubric endpoints."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from pydantic import AwareDatetime, BaseModel, Field

from ..enums import CycleState, Dimension, ReviewState
from .schemas import Strict


class CycleCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    window_start: date
    window_end: date
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    budget: int = Field(default=0, ge=0, le=10**12, description="integer yuan")
    rules: dict[str, int] = Field(default_factory=dict, description="overrides of the DESIGN §5 defaults")


class CycleUpdate(Strict):
    version: int = Field(description="the version you read; a stale one answers 409")
    name: Optional[str] = Field(default=None, min_length=1, max_length=200)
    window_start: Optional[date] = None
    window_end: Optional[date] = None
    opens_at: Optional[AwareDatetime] = None
    closes_at: Optional[AwareDatetime] = None
    budget: Optional[int] = Field(default=None, ge=0, le=10**12)
    rules: Optional[dict[str, int]] = None


class ProgressOut(BaseModel):
    assigned: int
    not_started: int
    draft: int
    submitted: int
    conflicts: int


class CycleOut(BaseModel):
    id: int
    name: str
    state: CycleState
    window_start: date
    window_end: date
    opens_at: datetime
    closes_at: datetime
    budget: int
    rules: dict[str, int]
    rubric_id: int
    rubric_version: Optional[int] = None
    opened_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None
    published_at: Optional[datetime] = None
    version: int
    progress: Optional[ProgressOut] = None


class AssignmentCreate(Strict):
    reviewer_id: int
    platform_id: int


class AssignmentOut(BaseModel):
    id: int
    cycle_id: int
    reviewer_id: int
    reviewer_name: Optional[str] = None
    platform_id: int
    platform_code: Optional[str] = None
    review_state: ReviewState
    conflict_declared: bool
    submitted_at: Optional[datetime] = None
    version: int


class BalancedRequest(Strict):
    min_per_platform: int = Field(default=3, ge=1, le=20)
    apply: bool = Field(default=False, description="false: only show the suggestion; true: create it")


class BalancedOut(BaseModel):
    applied: bool
    pairs: list[dict[str, int]]
    shortfall: dict[str, int]
    loads: dict[str, int]


class ReviewPut(Strict):
    scores: dict[str, Any] = Field(default_factory=dict,
                                   description="criterion code → points (0..max, one decimal); the whole set: "
                                               "criteria left out are not scored")
    comment: str = Field(default="", max_length=10_000)
    conflict: bool = False
    conflict_note: str = Field(default="", max_length=1000)
    submit: bool = False
    version: Optional[int] = Field(default=None, description="the assignment version you read (optional)")


class CriterionOut(BaseModel):
    code: str
    dimension: Dimension
    max_points: float
    name_zh: str
    name_en: str
    guidance_zh: str
    guidance_en: str


class ReviewOut(BaseModel):
    cycle_id: int
    platform_id: int
    assignment_id: int
    reviewer_id: int
    review_state: ReviewState
    conflict: bool
    conflict_note: str
    comment: str
    submitted_at: Optional[datetime] = None
    version: int
    scores: dict[str, float]
    total: Optional[float] = None
    criteria: list[CriterionOut]
    evidence: dict[str, Any]
    self_assessment: Optional[dict[str, Any]] = None
    others: Optional[list[dict[str, Any]]] = Field(
        default=None, description="the other reviewers' scores, anonymised; only once the cycle is closed")


class ResultsOut(BaseModel):
    cycle_id: int
    state: CycleState
    provisional: bool
    rubric_id: int
    dispute_spread: int
    dimension_max: dict[str, float]
    items: list[dict[str, Any]]
    reviewers: Optional[list[dict[str, Any]]] = None


class CriterionIn(Strict):
    code: str = Field(min_length=1, max_length=10)
    dimension: Dimension
    max_points: float = Field(gt=0, le=100)
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    guidance_zh: str = Field(default="", max_length=5000)
    guidance_en: str = Field(default="", max_length=5000)


class RubricCreate(Strict):
    name: str = Field(default="", max_length=200)
    criteria: list[CriterionIn] = Field(min_length=1, max_length=40)


class RubricOut(BaseModel):
    id: int
    version: int
    name: str
    created_at: datetime
    criteria: Optional[list[CriterionOut]] = None
    criteria_count: Optional[int] = None


class SelfAssessmentPut(Strict):
    verification: Optional[str] = Field(default=None, max_length=8000)
    service: Optional[str] = Field(default=None, max_length=8000)
    operating: Optional[str] = Field(default=None, max_length=8000)
    version: Optional[int] = Field(default=None, description="the version you read (0 when none exists yet)")


class SelfAssessmentOut(BaseModel):
    cycle_id: int
    platform_id: int
    verification: str
    service: str
    operating: str
    updated_at: Optional[datetime] = None
    version: int
    attachments: list[dict[str, Any]]
