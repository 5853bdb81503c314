"""Assigning reviewers to platforms in a cycle: one by one or by a balanced suggestion (DESIGN §4).

A reviewer whose affiliation is the platform's host institution can never be assigned (409 with the
reason). Assignments are made while a cycle is a draft or open; a submitted review's assignment stays.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..errors import Conflict, Invalid, StateConflict
from ..i18n import label
from ..models import Assignment, Platform, ReviewCycle, User, utcnow
from . import audit

ASSIGNABLE_STATES = ("draft", "open")
MAX_PER_PLATFORM = 20
_PUNCT = re.compile(r"[\s\u3000·・.,，。、()（）\-—_/]+")


def normalise_institution(name: str | None) -> str:
    """Institution names compared without spaces, punctuation or case: "复兴大学 " equals "复兴大学"."""
    return _PUNCT.sub("", name or "").casefold()


def host_conflict(affiliation: str | None, host_institution: str | None) -> bool:
    """True when the reviewer works at the platform's host institution (an empty affiliation never does)."""
    a = normalise_institution(affiliation)
    return bool(a) and a == normalise_institution(host_institution)


def lock_cycle_state(session: Session, cycle: ReviewCycle) -> str:
    """Re-read the cycle's state with a shared row lock (PostgreSQL ``FOR SHARE``; SQLite's write
    transaction is already exclusive), so a concurrent close waits for this transaction or is seen."""
    return session.execute(select(ReviewCycle.state).where(ReviewCycle.id == cycle.id)
                           .with_for_update(read=True)).scalar_one()


def _require_assignable(session: Session, cycle: ReviewCycle) -> None:
    state = lock_cycle_state(session, cycle)
    if state not in ASSIGNABLE_STATES:
        raise StateConflict(_l("The cycle is %(state)s: assignments can no longer change.",
                               state=label(state, "CycleState")), subject="cycle", state=state)


def _snapshot(a: Assignment) -> dict:
    return audit.snapshot(a, ("cycle_id", "reviewer_id", "platform_id", "conflict_declared", "review_state"))


def assign_reviewer(session: Session, actor, cycle: ReviewCycle, reviewer_id: int, platform_id: int) -> Assignment:
    _require_assignable(session, cycle)
    errors = {}
    reviewer = session.get(User, reviewer_id) if isinstance(reviewer_id, int) else None
    if reviewer is None or reviewer.role != "reviewer":
        errors["reviewer_id"] = _l("No reviewer with this id.")
    elif not reviewer.active:
        errors["reviewer_id"] = _l("This reviewer's account is deactivated.")
    platform = session.get(Platform, platform_id) if isinstance(platform_id, int) else None
    if platform is None:
        errors["platform_id"] = _l("No platform with this id.")
    elif platform.status == "delisted":
        errors["platform_id"] = _l("A delisted platform is not evaluated.")
    if errors:
        raise Invalid(_l("Please correct the marked fields."), fields=errors)
    if host_conflict(reviewer.affiliation, platform.host_institution):
        reason = _l("Conflict of interest: %(name)s works at %(host)s, the platform's host institution.",
                    name=reviewer.display_name, host=platform.host_institution)
        raise Conflict(reason, fields={"reviewer_id": reason})
    if session.exec(select(Assignment.id).where(Assignment.cycle_id == cycle.id,
                                                Assignment.reviewer_id == reviewer.id,
                                                Assignment.platform_id == platform.id)).first() is not None:
        raise Conflict(_l("This reviewer is already assigned to this platform."),
                       fields={"reviewer_id": _l("Already assigned to this platform.")})
    assignment = Assignment(cycle_id=cycle.id, reviewer_id=reviewer.id, platform_id=platform.id)
    session.add(assignment)
    try:
        session.flush()
    except IntegrityError:  # the same pair assigned concurrently
        raise Conflict(_l("This reviewer is already assigned to this platform."),
                       fields={"reviewer_id": _l("Already assigned to this platform.")}) from None
    audit.record(session, actor, "assignment", assignment.id, "create", None, _snapshot(assignment))
    return assignment


def remove_assignment(session: Session, actor, cycle: ReviewCycle, assignment: Assignment) -> None:
    """Remove an assignment (and its draft scores); a submitted review stays."""
    _require_assignable(session, cycle)
    if assignment.review_state == "submitted":
        raise StateConflict(_l("A submitted review cannot be removed."), subject="review",
                            state=assignment.review_state)
    before, assignment_id = _snapshot(assignment), assignment.id
    session.delete(assignment)
    session.flush()
    audit.record(session, actor, "assignment", assignment_id, "delete", before, None)


# --- balanced suggestion ------------------------------------------------------------------------

@dataclass
class Suggestion:
    """New (reviewer_id, platform_id) pairs, and platforms that still lack reviewers (platform_id → missing)."""

    pairs: list[tuple[int, int]] = field(default_factory=list)
    shortfall: dict[int, int] = field(default_factory=dict)
    loads: dict[int, int] = field(default_factory=dict)  # reviewer_id → assignments after applying


def suggest_balanced(platforms: Iterable[tuple[int, str]], reviewers: Iterable[tuple[int, str]],
                     existing: Iterable[tuple[int, int]], min_per_platform: int) -> Suggestion:
    """Give every platform at least `min_per_platform` reviewers, spreading the load, never across a
    host-institution conflict, keeping the existing assignments. Pure and deterministic.

    `platforms`: (id, host institution); `reviewers`: (id, affiliation); `existing`: (reviewer, platform).
    Each step serves the platform with the largest remaining need (then the fewest candidates left, then
    the lowest id) with the least-loaded eligible reviewer (then the lowest id).
    """
    platforms = sorted(platforms)
    reviewers = sorted(reviewers)
    existing = set(existing)
    load: dict[int, int] = defaultdict(int)
    have: dict[int, int] = defaultdict(int)
    for rid, pid in existing:
        load[rid] += 1
        have[pid] += 1
    for rid, _aff in reviewers:
        load[rid] += 0
    candidates: dict[int, list[int]] = {
        pid: [rid for rid, aff in reviewers if (rid, pid) not in existing and not host_conflict(aff, host)]
        for pid, host in platforms}
    need = {pid: max(0, min_per_platform - have[pid]) for pid, _host in platforms}
    pairs: list[tuple[int, int]] = []
    while True:
        open_ = [pid for pid in need if need[pid] > 0 and candidates[pid]]
        if not open_:
            break
        pid = min(open_, key=lambda p: (-need[p], len(candidates[p]), p))
        rid = min(candidates[pid], key=lambda r: (load[r], r))
        candidates[pid].remove(rid)
        pairs.append((rid, pid))
        load[rid] += 1
        need[pid] -= 1
    return Suggestion(pairs=pairs, shortfall={pid: n for pid, n in need.items() if n > 0}, loads=dict(load))


def _check_min(min_per_platform) -> int:
    if isinstance(min_per_platform, bool) or not isinstance(min_per_platform, int) \
            or not 1 <= min_per_platform <= MAX_PER_PLATFORM:
        raise Invalid(_l("Please correct the marked fields."),
                      fields={"min_per_platform": _l("Enter a whole number from 1 to %(n)d.", n=MAX_PER_PLATFORM)})
    return min_per_platform


def balanced_suggestion(session: Session, cycle: ReviewCycle, min_per_platform: int) -> Suggestion:
    """The suggestion for a cycle: active platforms, active reviewers, the cycle's assignments (3 queries)."""
    min_per_platform = _check_min(min_per_platform)
    platforms = session.exec(select(Platform.id, Platform.host_institution).where(Platform.status == "active")).all()
    reviewers = session.exec(select(User.id, User.affiliation).where(User.role == "reviewer", User.active)).all()
    existing = session.exec(select(Assignment.reviewer_id, Assignment.platform_id)
                            .where(Assignment.cycle_id == cycle.id)).all()
    return suggest_balanced([tuple(p) for p in platforms], [tuple(r) for r in reviewers],
                            [tuple(e) for e in existing], min_per_platform)


def apply_balanced(session: Session, actor, cycle: ReviewCycle, min_per_platform: int) -> Suggestion:
    """Compute the suggestion afresh and create its assignments (one audit event each)."""
    _require_assignable(session, cycle)
    suggestion = balanced_suggestion(session, cycle, min_per_platform)
    now = utcnow()
    for rid, pid in suggestion.pairs:
        a = Assignment(cycle_id=cycle.id, reviewer_id=rid, platform_id=pid, created_at=now, updated_at=now)
        session.add(a)
        session.flush()
        audit.record(session, actor, "assignment", a.id, "create", None, {**_snapshot(a), "via": "balanced"})
    return suggestion
