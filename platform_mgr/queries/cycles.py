"""Read side of review cycles: cycles, rubrics, assignments, reviews and self-assessments.

Every list is a bounded number of queries: the rows, then related rows by id in one query each.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func
from sqlmodel import Session, select

from ..errors import NotFound
from ..models import Assignment, Criterion, EvidenceFile, Platform, ReviewCycle, Rubric, Score, SelfAssessment, User

# --- cycles ---------------------------------------------------------------------------------------

def get_cycle_or_404(session: Session, cycle_id: int) -> ReviewCycle:
    cycle = session.get(ReviewCycle, cycle_id)
    if cycle is None:
        raise NotFound(_l("No such review cycle."))
    return cycle


def list_cycles(session: Session, *, page: int = 1, per_page: int = 25, state: str | None = None):
    q = select(ReviewCycle)
    count_q = select(func.count()).select_from(ReviewCycle)
    if state:
        q = q.where(ReviewCycle.state == state)
        count_q = count_q.where(ReviewCycle.state == state)
    total = session.exec(count_q).one()
    rows = session.exec(q.order_by(ReviewCycle.opens_at.desc(), ReviewCycle.id.desc())
                        .offset((page - 1) * per_page).limit(per_page)).all()
    return rows, total


@dataclass(frozen=True)
class Progress:
    assigned: int = 0
    not_started: int = 0
    draft: int = 0
    submitted: int = 0
    conflicts: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.assigned) if self.assigned else 0


def cycle_progress(session: Session, cycle_ids: Iterable[int], reviewer_id: int | None = None) -> dict[int, Progress]:
    """Review progress per cycle (optionally of one reviewer): one grouped query."""
    ids = list(cycle_ids)
    if not ids:
        return {}
    q = (select(Assignment.cycle_id, func.count(),
                func.sum(case((Assignment.review_state == "not_started", 1), else_=0)),
                func.sum(case((Assignment.review_state == "draft", 1), else_=0)),
                func.sum(case((Assignment.review_state == "submitted", 1), else_=0)),
                func.sum(case((Assignment.conflicted, 1), else_=0)))
         .where(Assignment.cycle_id.in_(ids)).group_by(Assignment.cycle_id))
    if reviewer_id is not None:
        q = q.where(Assignment.reviewer_id == reviewer_id)
    out = {}
    for cid, n, ns, dr, sub, conf in session.exec(q).all():
        out[cid] = Progress(int(n), int(ns or 0), int(dr or 0), int(sub or 0), int(conf or 0))
    return out


# --- rubrics --------------------------------------------------------------------------------------

def get_rubric_or_404(session: Session, rubric_id: int) -> Rubric:
    rubric = session.get(Rubric, rubric_id)
    if rubric is None:
        raise NotFound(_l("No such rubric version."))
    return rubric


def list_rubrics(session: Session) -> list[tuple[Rubric, int]]:
    """Every version, newest first, with its number of criteria."""
    rows = session.exec(select(Rubric).order_by(Rubric.version.desc())).all()
    counts = dict(session.exec(select(Criterion.rubric_id, func.count()).group_by(Criterion.rubric_id)).all())
    return [(r, counts.get(r.id, 0)) for r in rows]


def rubric_versions(session: Session, rubric_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(rubric_ids))
    if not ids:
        return {}
    return dict(session.exec(select(Rubric.id, Rubric.version).where(Rubric.id.in_(ids))).all())


def rubric_criteria(session: Session, rubric_id: int) -> list[Criterion]:
    return list(session.exec(select(Criterion).where(Criterion.rubric_id == rubric_id)
                             .order_by(Criterion.position, Criterion.id)).all())


def cycles_using_rubrics(session: Session) -> dict[int, list[ReviewCycle]]:
    out: dict[int, list[ReviewCycle]] = {}
    for c in session.exec(select(ReviewCycle).order_by(ReviewCycle.id)).all():
        out.setdefault(c.rubric_id, []).append(c)
    return out


# --- assignments ----------------------------------------------------------------------------------

def users_by_id(session: Session, ids: Iterable[int]) -> dict[int, User]:
    ids = set(ids)
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(User.id.in_(sorted(ids)))).all()}


def platforms_by_id(session: Session, ids: Iterable[int]) -> dict[int, Platform]:
    ids = set(ids)
    if not ids:
        return {}
    return {p.id: p for p in session.exec(select(Platform).where(Platform.id.in_(sorted(ids)))).all()}


def list_assignments(session: Session, cycle: ReviewCycle, *, reviewer_id: int | None = None,
                     platform_id: int | None = None, page: int = 1, per_page: int | None = None):
    """Assignments of a cycle ordered by platform code then reviewer, with reviewers and platforms by id.

    Returns (rows, total, users_by_id, platforms_by_id): four queries whatever the size.
    """
    conds = [Assignment.cycle_id == cycle.id]
    if reviewer_id is not None:
        conds.append(Assignment.reviewer_id == reviewer_id)
    if platform_id is not None:
        conds.append(Assignment.platform_id == platform_id)
    total = session.exec(select(func.count()).select_from(Assignment).where(*conds)).one()
    q = (select(Assignment).join(Platform, Platform.id == Assignment.platform_id).where(*conds)
         .order_by(Platform.code, Assignment.reviewer_id, Assignment.id))
    if per_page is not None:
        q = q.offset((page - 1) * per_page).limit(per_page)
    rows = list(session.exec(q).all())
    return (rows, total, users_by_id(session, {a.reviewer_id for a in rows}),
            platforms_by_id(session, {a.platform_id for a in rows}))


def get_assignment(session: Session, cycle_id: int, reviewer_id: int, platform_id: int) -> Assignment | None:
    return session.exec(select(Assignment).where(Assignment.cycle_id == cycle_id,
                                                 Assignment.reviewer_id == reviewer_id,
                                                 Assignment.platform_id == platform_id)).first()


def get_assignment_or_404(session: Session, cycle: ReviewCycle, assignment_id: int) -> Assignment:
    a = session.get(Assignment, assignment_id)
    if a is None or a.cycle_id != cycle.id:
        raise NotFound(_l("No such assignment."))
    return a


def my_reviews(session: Session, reviewer_id: int):
    """A reviewer's assignments in every cycle that is not a draft, newest cycle first,
    with cycles and platforms by id and each assignment's number of scored criteria (four queries)."""
    rows = list(session.exec(
        select(Assignment).join(ReviewCycle, ReviewCycle.id == Assignment.cycle_id)
        .join(Platform, Platform.id == Assignment.platform_id)
        .where(Assignment.reviewer_id == reviewer_id, ReviewCycle.state != "draft")
        .order_by(ReviewCycle.opens_at.desc(), ReviewCycle.id.desc(), Platform.code)).all())
    cycles = {c.id: c for c in session.exec(
        select(ReviewCycle).where(ReviewCycle.id.in_(sorted({a.cycle_id for a in rows}) or [0]))).all()}
    platforms = platforms_by_id(session, {a.platform_id for a in rows})
    scored = scored_counts(session, [a.id for a in rows])
    return rows, cycles, platforms, scored


def scored_counts(session: Session, assignment_ids: list[int]) -> dict[int, int]:
    if not assignment_ids:
        return {}
    return dict(session.exec(select(Score.assignment_id, func.count()).where(Score.assignment_id.in_(assignment_ids))
                             .group_by(Score.assignment_id)).all())


def criteria_counts(session: Session, rubric_ids: Iterable[int]) -> dict[int, int]:
    ids = set(rubric_ids)
    if not ids:
        return {}
    return dict(session.exec(select(Criterion.rubric_id, func.count()).where(Criterion.rubric_id.in_(sorted(ids)))
                             .group_by(Criterion.rubric_id)).all())


def review_scores(session: Session, assignment_id: int) -> dict[str, int]:
    """One review's points: criterion code → tenths."""
    rows = session.exec(select(Criterion.code, Score.points_tenths)
                        .join(Criterion, Criterion.id == Score.criterion_id)
                        .where(Score.assignment_id == assignment_id)).all()
    return {code: points for code, points in rows}


def platform_review_scores(session: Session, cycle_id: int, platform_id: int):
    """Every review of a platform in a cycle with its scores (code → tenths): two queries."""
    assignments = list(session.exec(select(Assignment).where(Assignment.cycle_id == cycle_id,
                                                             Assignment.platform_id == platform_id)
                                    .order_by(Assignment.id)).all())
    scores: dict[int, dict[str, int]] = {a.id: {} for a in assignments}
    if assignments:
        rows = session.exec(select(Score.assignment_id, Criterion.code, Score.points_tenths)
                            .join(Criterion, Criterion.id == Score.criterion_id)
                            .where(Score.assignment_id.in_(list(scores)))).all()
        for aid, code, points in rows:
            scores[aid][code] = points
    return [(a, scores[a.id]) for a in assignments]


# --- self-assessments -----------------------------------------------------------------------------

def get_self_assessment(session: Session, cycle_id: int, platform_id: int) -> SelfAssessment | None:
    return session.exec(select(SelfAssessment).where(SelfAssessment.cycle_id == cycle_id,
                                                     SelfAssessment.platform_id == platform_id)).first()


def self_assessment_files(session: Session, self_assessment_id: int | None) -> list[EvidenceFile]:
    if self_assessment_id is None:
        return []
    return list(session.exec(select(EvidenceFile).where(EvidenceFile.self_assessment_id == self_assessment_id)
                             .order_by(EvidenceFile.id)).all())


def get_attachment_or_404(session: Session, file_id: int) -> tuple[EvidenceFile, SelfAssessment]:
    f = session.get(EvidenceFile, file_id)
    if f is None or f.self_assessment_id is None:
        raise NotFound(_l("No such file."))
    sa = session.get(SelfAssessment, f.self_assessment_id)
    if sa is None:  # pragma: no cover - cascades keep them together
        raise NotFound(_l("No such file."))
    return f, sa


def self_assessment_status(session: Session, cycle_id: int, platform_ids: Iterable[int]) -> dict[int, SelfAssessment]:
    ids = set(platform_ids)
    if not ids:
        return {}
    return {s.platform_id: s for s in session.exec(
        select(SelfAssessment).where(SelfAssessment.cycle_id == cycle_id, SelfAssessment.platform_id.in_(sorted(ids)))).all()}


def self_assessments_for(session: Session, cycle_ids: Iterable[int],
                         platform_ids: Iterable[int]) -> dict[tuple[int, int], SelfAssessment]:
    """Self-assessments keyed by (cycle id, platform id): one query."""
    cids, pids = sorted(set(cycle_ids)), sorted(set(platform_ids))
    if not cids or not pids:
        return {}
    rows = session.exec(select(SelfAssessment).where(SelfAssessment.cycle_id.in_(cids),
                                                     SelfAssessment.platform_id.in_(pids))).all()
    return {(s.cycle_id, s.platform_id): s for s in rows}


def lock_cycle_state(session: Session, cycle: ReviewCycle) -> str:
    """Re-read the cycle's state with a shared row lock (PostgreSQL ``FOR SHARE``; SQLite's write
    transaction is already exclusive), so a concurrent close waits for this transaction or is seen."""
    return session.execute(select(ReviewCycle.state).where(ReviewCycle.id == cycle.id)
                           .with_for_update(read=True)).scalar_one()
