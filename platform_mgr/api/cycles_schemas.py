"""Answers of the cycle, assignment, review, results, rubric and self-assessment endpoints (their request
bodies are `inputs.cycles`)."""
from __future__ import annotations

from datetime import date
from typing import Any, Optional

from pydantic import BaseModel, Field

from ..enums import ConflictRule, CycleState, Dimension, ReviewState
from .schemas import Instant


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
    opens_at: Instant
    closes_at: Instant
    budget: int
    rules: dict[str, int]
    rubric_id: int
    rubric_version: Optional[int] = None
    opened_at: Optional[Instant] = None
    closed_at: Optional[Instant] = None
    published_at: Optional[Instant] = None
    close_reason: str = ""
    version: int
    progress: Optional[ProgressOut] = None


class AssignmentOut(BaseModel):
    id: int
    cycle_id: int
    reviewer_id: int
    reviewer_name: Optional[str] = None
    platform_id: int
    platform_code: Optional[str] = None
    review_state: ReviewState
    conflict_declared: bool
    conflicted: bool = False  # a conflict rule holds (DESIGN §10): the review does not count
    conflict_rules: list[ConflictRule] = []
    submitted_at: Optional[Instant] = None
    version: int


class BalancedPairOut(BaseModel):
    reviewer_id: int
    platform_id: int
    reason: str = Field(
        description="field_match: the reviewer works in the platform's field (the least loaded such); "
                    "least_loaded: none eligible does, so the least loaded eligible reviewer (DESIGN §10)")
    reason_text: str  # the same, in the reader's language
    load: int  # the reviewer's assignments in the cycle with this one
    max_load: Optional[int] = None  # the reviewer's cap per cycle


class BalancedOut(BaseModel):
    applied: bool
    pairs: list[BalancedPairOut]
    shortfall: dict[str, int]
    loads: dict[str, int]


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
    submitted_at: Optional[Instant] = None
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


class RubricOut(BaseModel):
    id: int
    version: int
    name: str
    created_at: Instant
    criteria: Optional[list[CriterionOut]] = None
    criteria_count: Optional[int] = None


class SelfAssessmentOut(BaseModel):
    cycle_id: int
    platform_id: int
    verification: str
    service: str
    operating: str
    updated_at: Optional[Instant] = None
    version: int
    attachments: list[dict[str, Any]]
