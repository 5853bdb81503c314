"""A cycle's results: the aggregation of DESIGN §4 per platform, the per-reviewer breakdown, reviewer
statistics, rank and grade. The arithmetic is `domain.scoring`; this module only loads and arranges.

Five queries whatever the size: criteria, assignments, scores (`queries.scores`), assignment states,
platforms and reviewers by id.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlmodel import Session, select

from ..domain.eligibility import RuleSet, RuleSetError
from ..domain.rubric import CriterionDef, Dimension, ScoreError, dimension_max_points
from ..domain.scoring import (
    Grade,
    PlatformResult,
    ReviewerStats,
    aggregate,
    grade_for,
    reviewer_stats,
    reviewer_total,
    round2,
)
from ..models import Assignment, Platform, ReviewCycle, User
from .cycles import platforms_by_id, users_by_id
from .scores import load_review_inputs


@dataclass(frozen=True)
class ReviewerLine:
    """One reviewer's review of a platform as the admin breakdown shows it."""

    reviewer_id: int
    reviewer: User | None
    state: str  # not_started | draft | submitted
    conflict: bool
    counted: bool
    total: Decimal | None  # points; None when nothing is scored
    dimensions: dict[Dimension, Decimal]
    scores: dict[str, int]  # code → tenths


@dataclass(frozen=True)
class ResultRow:
    platform: Platform
    result: PlatformResult
    rank: int | None
    grade: Grade | None
    lines: list[ReviewerLine] = field(default_factory=list)


@dataclass(frozen=True)
class CycleResults:
    cycle: ReviewCycle
    criteria: list[CriterionDef]
    rules: RuleSet
    rows: list[ResultRow]
    reviewers: list[tuple[User | None, ReviewerStats, int]]  # (user, stats, assigned)

    @property
    def provisional(self) -> bool:
        return self.cycle.state in ("draft", "open")

    @property
    def dimension_max(self) -> dict[Dimension, Decimal]:
        return dimension_max_points(self.criteria)

    @property
    def n_scored(self) -> int:
        return sum(1 for r in self.rows if r.result.n > 0)


def _rules(cycle: ReviewCycle) -> RuleSet:
    try:
        return RuleSet.from_overrides(cycle.rules or {})
    except RuleSetError:  # stored overrides are validated on write; never fail a read on them
        return RuleSet()


def _line_total(criteria, scores: dict[str, int]) -> tuple[Decimal | None, dict[Dimension, Decimal]]:
    if not scores:
        return None, {}
    try:
        total = reviewer_total(criteria, scores)
    except ScoreError:  # pragma: no cover - scores are validated when saved
        return None, {}
    dims: dict[Dimension, int] = {}
    for c in criteria:
        dims[c.dimension] = dims.get(c.dimension, 0) + scores.get(c.code, 0)
    return round2(Fraction(total, 10)), {d: round2(Fraction(t, 10)) for d, t in dims.items()}


def cycle_results(session: Session, cycle: ReviewCycle) -> CycleResults:
    criteria, reviews = load_review_inputs(session, cycle)
    rules = _rules(cycle)
    results = aggregate(criteria, reviews, dispute_spread=rules.dispute_spread)
    stats = reviewer_stats(criteria, reviews)
    states = {(rid, pid): (state, conflict) for rid, pid, state, conflict in session.exec(
        select(Assignment.reviewer_id, Assignment.platform_id, Assignment.review_state, Assignment.conflicted)
        .where(Assignment.cycle_id == cycle.id)).all()}
    platforms = platforms_by_id(session, results.keys())
    users = users_by_id(session, {r.reviewer_id for r in reviews})

    def service_mean(res: PlatformResult) -> Fraction:
        value = res.dimensions_exact.get(Dimension.SERVICE)
        return Fraction(0) if value is None else Fraction(value)

    scored = sorted((r for r in results.values() if r.n > 0),
                    key=lambda r: (-r.total_exact, -service_mean(r), platforms[r.platform_id].code))
    ranks = {r.platform_id: i for i, r in enumerate(scored, start=1)}
    n_scored = len(scored)
    lines: dict[int, list[ReviewerLine]] = {}
    for review in reviews:
        state, conflict = states.get((review.reviewer_id, review.platform_id), ("not_started", False))
        total, dims = _line_total(criteria, dict(review.scores))
        lines.setdefault(review.platform_id, []).append(ReviewerLine(
            reviewer_id=review.reviewer_id, reviewer=users.get(review.reviewer_id), state=state, conflict=conflict,
            counted=review.is_counted, total=total, dimensions=dims, scores=dict(review.scores)))
    rows = []
    for pid, res in results.items():
        rank = ranks.get(pid)
        grade = grade_for(res.total_exact, rank, n_scored, rules) if res.n > 0 else None
        mine = sorted(lines.get(pid, []), key=lambda line: (line.reviewer.display_name if line.reviewer else "",
                                                             line.reviewer_id))
        rows.append(ResultRow(platform=platforms[pid], result=res, rank=rank, grade=grade, lines=mine))
    rows.sort(key=lambda row: (row.rank is None, row.rank or 0, row.platform.code))
    assigned: dict[int, int] = {}
    for review in reviews:
        assigned[review.reviewer_id] = assigned.get(review.reviewer_id, 0) + 1
    reviewer_rows = sorted(((users.get(rid), s, assigned.get(rid, 0)) for rid, s in stats.items()),
                           key=lambda t: (t[0].display_name if t[0] else "", t[1].reviewer_id))
    return CycleResults(cycle=cycle, criteria=criteria, rules=rules, rows=rows, reviewers=reviewer_rows)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def results_json(res: CycleResults, *, include_reviewers: bool) -> dict[str, Any]:
    """The API document of GET /cycles/{id}/results; the breakdown and statistics only for admins."""
    items = []
    for row in res.rows:
        item = row.result.to_dict(include_reviewers=include_reviewers)
        item.update(code=row.platform.code, name_zh=row.platform.name_zh, name_en=row.platform.name_en,
                    rank=row.rank, grade=None if row.grade is None else str(row.grade))
        if include_reviewers:
            item["reviews"] = [{
                "reviewer_id": line.reviewer_id,
                "reviewer": line.reviewer.display_name if line.reviewer else None,
                "state": line.state, "conflict": line.conflict, "counted": line.counted,
                "total": _float(line.total),
                "dimensions": {str(d): _float(v) for d, v in line.dimensions.items()},
                "scores": {code: t / 10 for code, t in line.scores.items()},
            } for line in row.lines]
        items.append(item)
    doc: dict[str, Any] = {
        "cycle_id": res.cycle.id, "state": res.cycle.state, "provisional": res.provisional,
        "rubric_id": res.cycle.rubric_id, "dispute_spread": res.rules.dispute_spread,
        "dimension_max": {str(d): float(v) for d, v in res.dimension_max.items()},
        "items": items,
    }
    if include_reviewers:
        doc["reviewers"] = [{**stats.to_dict(), "reviewer": user.display_name if user else None, "assigned": n}
                            for user, stats, n in res.reviewers]
    return doc
