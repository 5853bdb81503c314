"""Load a cycle's rubric and reviews as domain values (shared by results, eligibility, exports).

Two queries whatever the size: the criteria of the cycle's rubric, then every score of the
cycle joined to its assignment.
"""
from __future__ import annotations

from sqlmodel import Session, select

from ..domain.rubric import CriterionDef, Dimension
from ..domain.scoring import ReviewInput
from ..models import Assignment, Criterion, ReviewCycle, Score


def load_criteria(session: Session, rubric_id: int) -> tuple[list[CriterionDef], dict[int, str]]:
    """The rubric's criteria in order, and criterion id → code."""
    rows = session.exec(select(Criterion).where(Criterion.rubric_id == rubric_id)
                        .order_by(Criterion.position, Criterion.id)).all()
    defs = [CriterionDef(code=c.code, dimension=Dimension(c.dimension), max_tenths=c.max_tenths, name_zh=c.name_zh,
                         name_en=c.name_en, guidance_zh=c.guidance_zh, guidance_en=c.guidance_en) for c in rows]
    return defs, {c.id: c.code for c in rows}


def load_review_inputs(session: Session, cycle: ReviewCycle) -> tuple[list[CriterionDef], list[ReviewInput]]:
    """Every assignment of the cycle as a ReviewInput (drafts and conflicts included; the domain filters)."""
    criteria, code_by_id = load_criteria(session, cycle.rubric_id)
    assignments = session.exec(select(Assignment).where(Assignment.cycle_id == cycle.id)
                               .order_by(Assignment.id)).all()
    scores: dict[int, dict[str, int]] = {a.id: {} for a in assignments}
    rows = session.exec(
        select(Score.assignment_id, Score.criterion_id, Score.points_tenths)
        .join(Assignment, Assignment.id == Score.assignment_id)
        .where(Assignment.cycle_id == cycle.id)).all()
    for assignment_id, criterion_id, points in rows:
        code = code_by_id.get(criterion_id)
        if code is not None:
            scores[assignment_id][code] = points
    reviews = [ReviewInput(reviewer_id=a.reviewer_id, platform_id=a.platform_id, scores=scores[a.id],
                           submitted=a.review_state == "submitted", conflict=a.conflicted)
               for a in assignments]
    return criteria, reviews
