"""A reviewer's review of one platform: save as draft, declare a conflict, submit (which locks).

Nothing is accepted unless the cycle is open; a submitted review never changes; points are checked
against the cycle's frozen rubric (0..max in steps of 0.1, known criteria only) and stored exactly as
integer tenths. Declared conflicts and drafts are kept but never counted (`domain.scoring.counted`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, select

from ..domain.errors import DomainError
from ..domain.rubric import ScoreError, collect_score_errors, criteria_by_code, parse_points
from ..errors import Conflict, Invalid, StateConflict
from ..i18n import label
from ..inputs.cycles import ReviewPut
from ..messages import message_for
from ..models import Assignment, Criterion, ReviewCycle, Score, utcnow
from ..queries.scores import load_criteria
from . import audit, conflicts
from .assignments import lock_cycle_state


def parse_review_scores(criteria, scores: Mapping[str, Any], *, complete: bool) -> dict[str, int]:
    """Raw points by criterion code (numbers or strings; None or "" = not scored) → tenths.

    Raises `Invalid` whose fields name every criterion code at fault, its message the first problem.
    """
    by_code = criteria_by_code(criteria)
    errors: dict[str, Any] = {}
    tenths: dict[str, int] = {}
    if not isinstance(scores, Mapping):
        raise Invalid(_l("Please correct the marked fields."), fields={"scores": _l("Enter an object.")})
    for raw_code, raw in scores.items():
        code = str(raw_code)
        if code not in by_code:
            errors[code] = message_for(DomainError("unknown_criterion", code, code=code))
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            tenths[code] = parse_points(raw, field=code)
        except ScoreError as exc:
            errors[code] = _l("%(code)s: %(message)s", code=code, message=message_for(exc))
    for exc in collect_score_errors(criteria, tenths, complete=complete):
        errors.setdefault(exc.field, message_for(exc))
    if errors:
        ordered = {c: errors[c] for c in list(by_code) + sorted(set(errors) - set(by_code)) if c in errors}
        raise Invalid(next(iter(ordered.values())), fields=ordered)
    return tenths


def _state(assignment: Assignment, scores: dict[str, int]) -> dict:
    return {"review_state": assignment.review_state, "conflict_declared": assignment.conflict_declared,
            "conflict_note": assignment.conflict_note, "comment": assignment.comment, "scores": dict(sorted(scores.items()))}


def save_review(session: Session, user, cycle: ReviewCycle, assignment: Assignment, data: ReviewPut, *,
                now: datetime | None = None) -> Assignment:
    """Replace the review's scores, comment and conflict declaration; ``data.submit`` locks it.

    Submitting needs every criterion scored, unless a conflict is declared (then the scores do not count).
    ``data.version`` (the assignment's, as read) is required: a stale one is refused (409) before anything is
    written, so a second tab or client never silently overwrites the review.
    """
    now = now or utcnow()
    version, conflict, submit = data.version, data.conflict, data.submit
    comment, conflict_note = data.comment, data.conflict_note
    if version != assignment.version:
        raise Conflict(_l("This record was changed by someone else. Reload and try again."),
                       fields={"version": _l("Stale version.")})
    state = lock_cycle_state(session, cycle)
    if state != "open":
        raise StateConflict(_l("The cycle is %(state)s: reviews are accepted only while it is open.",
                               state=label(state, "CycleState")), subject="cycle", state=state)
    if assignment.review_state == "submitted":
        raise StateConflict(_l("This review has been submitted and is locked."), subject="review",
                            state=assignment.review_state)
    criteria, _codes = load_criteria(session, cycle.rubric_id)
    tenths = parse_review_scores(criteria, data.scores, complete=submit and not conflict)

    rows = {c.code: c for c in session.exec(select(Criterion).where(Criterion.rubric_id == cycle.rubric_id)).all()}
    existing = {s.criterion_id: s for s in session.exec(select(Score).where(Score.assignment_id == assignment.id)).all()}
    before_scores = {code: existing[c.id].points_tenths for code, c in rows.items() if c.id in existing}
    before = _state(assignment, before_scores)

    # the assignment row first: its version check (and row lock) decides a race before any score is written
    assignment.comment = comment
    assignment.conflict_declared = conflict
    assignment.conflict_note = conflict_note if conflict else ""
    assignment.conflict_kind = (data.conflict_kind or assignment.conflict_kind or "other") if conflict else None
    assignment.review_state = "submitted" if submit else "draft"
    assignment.submitted_at = now if submit else None
    # every accepted write is a new version, also one that changes only scores (rows of another table): the
    # assignment row is updated regardless, so its version moves on and a tab that read the old one is refused
    flag_modified(assignment, "comment")
    session.add(assignment)
    session.flush()
    for code, criterion in rows.items():
        score = existing.get(criterion.id)
        if code in tenths:
            if score is None:
                session.add(Score(assignment_id=assignment.id, criterion_id=criterion.id, points_tenths=tenths[code]))
            elif score.points_tenths != tenths[code]:
                score.points_tenths = tenths[code]
                session.add(score)
        elif score is not None:
            session.delete(score)
    session.flush()
    action = "submit" if submit else "save_draft"
    audit.record(session, user, "assignment", assignment.id, action, before, _state(assignment, tenths), at=now)
    conflicts.recheck_one(session, user, cycle, assignment, why="declaration")
    return assignment
