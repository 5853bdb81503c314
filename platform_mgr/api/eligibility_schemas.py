"""Response models of the eligibility API (they also document it in /api/openapi.json)."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel

from ..enums import CycleState, Grade, PlatformField, PlatformOrigin, RuleCode, Tier, Verdict
from .schemas import Instant


class ReasonOut(BaseModel):
    rule: RuleCode
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
    field: PlatformField
    origin: PlatformOrigin
    rank: Optional[int]
    total: Optional[float]
    grade: Optional[Grade]
    verdict: Verdict
    tier: Optional[Tier]
    award: int
    disputed: bool
    provisional: bool
    n_reviews: int
    delisting_review: bool = False  # marked for delisting review at this cycle's close, not yet resolved (§4)
    explained: bool  # False: the caller may see the public list only, so `reasons` is empty
    reasons: list[ReasonOut]


class EligibilityListOut(BaseModel):
    cycle_id: int
    state: CycleState
    provisional: bool
    as_of: str
    frozen_at: Optional[Instant]
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
