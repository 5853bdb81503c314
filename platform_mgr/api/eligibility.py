"""GET /api/v1/cycles/{id}/eligibility (DESIGN §7): admins always (provisional while the cycle is
open), everyone once the cycle is published; reasons only for the platforms the caller may see
explained (admins all, an operator their own)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Optional

from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from .. import permissions
from ..db import get_session
from ..enums import Grade, PlatformField, PlatformOrigin, Verdict
from ..i18n import lang_code
from ..loaders import load_cycle
from ..queries.platforms import under_delisting_review
from ..services import eligibility as svc
from .core import current_actor
from .eligibility_schemas import EligibilityListOut, EligibilityRowOut, ReasonOut
from .spec import PageQuery, endpoint

GRADE_FILTERS = (*Grade.values(), "none")


def _grade_filter(value: str) -> str:
    if value not in GRADE_FILTERS:
        raise PydanticCustomError("enum", "not a grade")
    return value


class EligibilityQuery(PageQuery):
    model_config = ConfigDict(extra="ignore")

    per_page: int = Field(default=100, ge=1, le=500)
    verdict: Optional[Verdict] = None
    grade: Optional[Annotated[str, AfterValidator(_grade_filter),
                              WithJsonSchema({"type": "string", "enum": list(GRADE_FILTERS)})]] = Field(
        default=None, description="a grade, or none: not graded")
    field: Optional[PlatformField] = None
    origin: Optional[PlatformOrigin] = None


def row_out(row: dict, *, provisional: bool, explained: bool, lang: str,
            delisting_review: bool = False) -> EligibilityRowOut:
    reasons = [ReasonOut(rule=r["rule"], passed=r["passed"], detail=r["detail_en"] if lang == "en" else r["detail_zh"],
                         detail_zh=r["detail_zh"], detail_en=r["detail_en"], figures=r["figures"])
               for r in row["reasons"]] if explained else []
    return EligibilityRowOut(
        platform_id=row["platform_id"], code=row["code"], name_zh=row["name_zh"], name_en=row["name_en"],
        field=row["field"], origin=row["origin"], rank=row["rank"], total=row["total"], grade=row["grade"],
        verdict=row["verdict"], tier=row["tier"], award=row["award"], disputed=row["disputed"],
        provisional=provisional, n_reviews=row["n_reviews"], delisting_review=delisting_review, explained=explained,
        reasons=reasons)


def _may_see(cycle_id: int) -> dict:
    return {"cycle": load_cycle(cycle_id, need=permissions.can_view_results)}


@endpoint("/cycles/<int:cycle_id>/eligibility", resp=EligibilityListOut, authorise=_may_see)
def cycles_eligibility(cycle_id: int, cycle, query: EligibilityQuery):
    """Funding eligibility of a cycle: ranked rows with every rule's outcome (admin; everyone once published; provisional while open)"""  # noqa: E501
    actor = current_actor()
    result = svc.get_eligibility(get_session(), cycle)
    rows = result.filtered(verdict=query.verdict, grade=query.grade, field=query.field, origin=query.origin)
    lang = lang_code()
    under_review = under_delisting_review(get_session(), cycle.id)
    items = [row_out(r, provisional=result.provisional, lang=lang, delisting_review=r["platform_id"] in under_review,
                     explained=permissions.can_view_platform_result(actor, cycle, r["platform_id"]))
             for r in query.slice(rows)]
    summary = result.summary
    frozen_at: Optional[datetime] = result.frozen_at
    return EligibilityListOut(
        cycle_id=cycle.id, state=cycle.state, provisional=result.provisional, as_of=result.document["as_of"],
        frozen_at=frozen_at, payload_digest=result.payload_digest, inputs_digest=result.inputs_digest,
        rubric_version=result.rubric_version, rules=result.document["rules"], budget=result.budget,
        awarded=summary["awarded"], remaining=summary["remaining"], items=items, page=query.page,
        per_page=query.per_page, total=len(rows))
