"""Response models of the eligibility API (they also document it in /api/openapi.json)."""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel


class ReasonOut(BaseModel):
    rule: Literal["R1_MIN_REVIEWS", "R2_GRADE", "R3_DIMENSION_FLOOR", "R4_MILESTONES", "R5_ACTIVITY", "R6_INTEGRITY",
                  "R7_STATUS"]
    passed: bool
    detail: str  # in the caller's language
    detail_zh: str
    detail_en: str
    figures: dict[str, Any]


class EligibilityRowOut(BaseModel):
    platform_id: int
    code: str
    name_zh: str
    name_en: str
    field: str
    origin: str
    rank: Optional[int]
    total: Optional[float]
    grade: Optional[Literal["excellent", "good", "pass", "fail"]]
    verdict: Literal["eligible", "conditional", "ineligible"]
    tier: Optional[Literal["A", "B"]]
    award: int
    disputed: bool
    provisional: bool
    n_reviews: int
    explained: bool  # False: the caller may see the public list only, so `reasons` is empty
    reasons: list[ReasonOut]


class EligibilityListOut(BaseModel):
    cycle_id: int
    state: Literal["draft", "open", "closed", "published"]
    provisional: bool
    as_of: str
    frozen_at: Optional[str]
    payload_digest: Optional[str]
    inputs_digest: str
    rubric_version: int
    rules: dict[str, int]
    budget: int
    awarded: int
    remaining: int
    items: list[EligibilityRowOut]
    page: int
    per_page: int
    total: int
