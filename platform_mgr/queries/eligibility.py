"""The read side of funding eligibility (DESIGN §5): the facts the rules need, as SQL aggregates.

Every function issues one query whatever the number of platforms, projects or milestones, so a
live eligibility run costs a fixed handful of queries (platforms, milestone figures, gates, rubric,
reviews) on a programme of any size.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, not_, or_
from sqlmodel import Session, select

from ..domain.eligibility import MilestoneFigures
from ..i18n import SHANGHAI
from ..models import Assignment, EligibilitySnapshot, GateReview, Milestone, Platform, Project, ReviewCycle, Rubric
from .cycles import get_cycle_or_404  # noqa: F401  (eq.get_cycle_or_404)

# Projects whose milestones do not count for R4: a killed or withdrawn project has been stopped on
# purpose (often *because* it was falling behind); holding its unfinished milestones against the
# platform would punish the very decision the programme asks gatekeepers to take.
EXCLUDED_PROJECT_STATUSES = ("killed", "withdrawn")
PASSING_DECISIONS = ("go", "conditional_go")


def get_snapshot(session: Session, cycle_id: int) -> EligibilitySnapshot | None:
    return session.exec(select(EligibilitySnapshot).where(EligibilitySnapshot.cycle_id == cycle_id)).first()


def rubric_version(session: Session, rubric_id: int) -> int:
    version = session.exec(select(Rubric.version).where(Rubric.id == rubric_id)).first()
    return int(version) if version is not None else 0


def platforms_for_cycle(session: Session, cycle: ReviewCycle) -> list[Platform]:
    """The platforms a cycle evaluates: every platform that is not delisted, and any platform (even a
    delisted one) that has an assignment in the cycle.  One query."""
    assigned = select(Assignment.platform_id).where(Assignment.cycle_id == cycle.id)
    return list(session.exec(
        select(Platform).where(or_(Platform.status != "delisted", Platform.id.in_(assigned)))
        .order_by(Platform.code)).all())


def milestone_figures_by_platform(session: Session, window_start: date, as_of: date) -> dict[int, MilestoneFigures]:
    """R4's figures per platform at `as_of` (normally the window's end), in one GROUP BY query.

    The same definitions as `domain.eligibility.milestone_figures` (which tests compare it with):
    the longest overdue must-meet milestone is found as the earliest due date among must-meet
    milestones due before `as_of`, not waived and not done by then; due/on-time counts cover
    milestones due in [window_start, as_of], waived ones excluded.  Milestones of killed or
    withdrawn projects are left out (EXCLUDED_PROJECT_STATUSES).  Platforms without any counted
    milestone are absent (the caller treats them as zeros).
    """
    done_by_end = and_(Milestone.status == "done",
                       or_(Milestone.completed_on.is_(None), Milestone.completed_on <= as_of))
    overdue = and_(Milestone.is_gate_criterion.is_(True), Milestone.due_on < as_of, not_(done_by_end))
    in_window = and_(Milestone.due_on >= window_start, Milestone.due_on <= as_of)
    on_time = and_(in_window, Milestone.status == "done", Milestone.completed_on.is_not(None),
                   Milestone.completed_on <= Milestone.due_on)
    rows = session.exec(
        select(
            Project.platform_id,
            func.min(case((overdue, Milestone.due_on), else_=None)),
            func.sum(case((in_window, 1), else_=0)),
            func.sum(case((on_time, 1), else_=0)),
        )
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.status.not_in(EXCLUDED_PROJECT_STATUSES))
        .where(Milestone.status != "waived")
        .where(Milestone.due_on <= as_of)
        .group_by(Project.platform_id)
    ).all()
    figures: dict[int, MilestoneFigures] = {}
    for platform_id, earliest_overdue, due, done_on_time in rows:
        if isinstance(earliest_overdue, str):  # SQLite may hand back the ISO text of an aggregate
            earliest_overdue = date.fromisoformat(earliest_overdue[:10])
        if isinstance(earliest_overdue, datetime):
            earliest_overdue = earliest_overdue.date()
        max_overdue = (as_of - earliest_overdue).days if earliest_overdue is not None else 0
        figures[platform_id] = MilestoneFigures(max_must_meet_overdue_days=max_overdue, due_in_window=int(due or 0),
                                                on_time_in_window=int(done_on_time or 0))
    return figures


def window_bounds_utc(window_start: date, as_of: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the Shanghai calendar days window_start … as_of."""
    start = datetime.combine(window_start, time(0), SHANGHAI).astimezone(timezone.utc)
    end = datetime.combine(as_of + timedelta(days=1), time(0), SHANGHAI).astimezone(timezone.utc)
    return start, end


def gates_passed_by_platform(session: Session, window_start: date, as_of: date) -> dict[int, int]:
    """Gate decisions go / conditional_go decided inside the window (Shanghai days), per platform."""
    start, end = window_bounds_utc(window_start, as_of)
    rows = session.exec(
        select(Project.platform_id, func.count(GateReview.id))
        .join(Project, Project.id == GateReview.project_id)
        .where(GateReview.decision.in_(PASSING_DECISIONS))
        .where(GateReview.decided_at >= start, GateReview.decided_at < end)
        .group_by(Project.platform_id)
    ).all()
    return {platform_id: int(n) for platform_id, n in rows}


def list_eligibility_cycles(session: Session, *, states: tuple[str, ...], page: int = 1, per_page: int = 25):
    """Cycles in the given states, newest window first, with the ids of those that have a snapshot."""
    cond = ReviewCycle.state.in_(states)
    total = session.exec(select(func.count()).select_from(ReviewCycle).where(cond)).one()
    cycles = list(session.exec(select(ReviewCycle).where(cond)
                               .order_by(ReviewCycle.window_end.desc(), ReviewCycle.id.desc())
                               .offset((page - 1) * per_page).limit(per_page)).all())
    frozen: set[int] = set()
    if cycles:
        frozen = set(session.exec(select(EligibilitySnapshot.cycle_id)
                                  .where(EligibilitySnapshot.cycle_id.in_([c.id for c in cycles]))).all())
    return cycles, frozen, total
