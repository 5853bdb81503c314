"""Review cycles, assignments, reviews, self-assessments and rubric versions: what an admin, a reviewer or an
operator sends (the API's JSON bodies; the cycle pages build the same models from their forms)."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Optional

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ..domain.errors import DomainError
from ..domain.rubric import parse_points
from ..enums import ConflictKind, Dimension
from .types import MAX_INT, DbInt, Id, Input, OptionalText, Text, Version, refuse_null

#: a cycle's budget in integer yuan (its column is a 32-bit integer)
Budget = Annotated[int, Field(ge=0, le=MAX_INT, description="integer yuan")]


class CycleCreate(Input):
    name: Text(200)
    window_start: date
    window_end: date
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    budget: Budget = 0
    rules: dict[Text(40), DbInt] = Field(default_factory=dict, description="overrides of the DESIGN §5 defaults")


class CycleUpdate(Input):
    """Only the fields sent change: everything while a draft; name, budget, rules and closing time while open."""

    version: Version
    name: Optional[Text(200)] = None
    window_start: Optional[date] = None
    window_end: Optional[date] = None
    opens_at: Optional[AwareDatetime] = None
    closes_at: Optional[AwareDatetime] = None
    budget: Optional[Budget] = None
    rules: Optional[dict[Text(40), DbInt]] = None

    _not_null = field_validator("name", "window_start", "window_end", "opens_at", "closes_at", "budget", "rules",
                                mode="before")(lambda cls, v: refuse_null(v))


class CycleClose(Input):
    """Closing by hand: a written reason, required when the closing guard applies (DESIGN §10)."""

    reason: OptionalText(2000) = Field(default="", description="required when closing before closes_at or with "
                                                               "platforms below R1's minimum (409 reason_required)")


class AssignmentCreate(Input):
    reviewer_id: Id
    platform_id: Id


class BalancedRequest(Input):
    min_per_platform: int = Field(default=3, ge=1, le=20)
    apply: StrictBool = Field(default=False, description="false: only show the suggestion; true: create it")


class ConflictDeclaration(Input):
    """A reviewer's declaration of a relationship with the platform (rule C2, DESIGN §10, §17)."""

    kind: ConflictKind
    note: Text(1000)


def _blank_as_none(value):
    return None if value == "" else value


class ReviewPut(Input):
    scores: dict[Text(10), Any] = Field(default_factory=dict,
                                        description="criterion code → points (0..max, one decimal); the whole set: "
                                                    "criteria left out are not scored")
    comment: OptionalText(10_000) = ""
    conflict: StrictBool = False
    conflict_kind: Optional[ConflictKind] = Field(default=None, description="the relationship declared (rule C2)")
    conflict_note: OptionalText(1000) = ""
    submit: StrictBool = False
    version: Version = Field(description="the assignment version you read (GET); a stale one answers 409")

    _kind = field_validator("conflict_kind", mode="before")(lambda cls, v: _blank_as_none(v))


def _points(value: Any) -> Any:
    """Points with at most one decimal, exactly (the domain's rule: "7.50" is 7.5, "7.55" is refused)."""
    try:
        parse_points(value)
    except DomainError as exc:
        raise PydanticCustomError(exc.code, exc.code) from None
    return value


#: a criterion code: capital letters and digits, starting with a letter (stored in capitals)
CriterionCode = Annotated[Text(10), AfterValidator(str.upper), StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,9}$")]


class CriterionIn(Input):
    code: CriterionCode
    dimension: Dimension
    max_points: Annotated[float, BeforeValidator(_points), Field(gt=0, le=100)]
    name_zh: Text(200)
    name_en: Text(200)
    guidance_zh: OptionalText(5000) = ""
    guidance_en: OptionalText(5000) = ""

    @property
    def max_tenths(self) -> int:
        return parse_points(self.max_points)


class RubricCreate(Input):
    name: OptionalText(200) = ""
    criteria: list[CriterionIn] = Field(min_length=1, max_length=40)


class SelfAssessmentPut(Input):
    verification: Optional[OptionalText(8000)] = None
    service: Optional[OptionalText(8000)] = None
    operating: Optional[OptionalText(8000)] = None
    version: Annotated[int, Field(ge=0, le=MAX_INT)] = Field(
        description="the version you read (GET; 0 while none exists yet); a stale one answers 409")
