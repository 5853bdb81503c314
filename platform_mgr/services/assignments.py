"""Assigning reviewers to platforms in a cycle: one by one or by a balanced suggestion (DESIGN §4).

A reviewer in a conflict of interest with the platform (rules C1, C3, C4 of DESIGN §10, `services.conflicts`)
is never assigned (409 ``conflict_of_interest`` naming the rules). Assignments are made while a cycle is a
draft or open; a submitted review's assignment stays.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..errors import Conflict, Invalid, StateConflict
from ..i18n import label
from ..domain.institutions import normalise
from ..models import Assignment, Gatekeeper, OperatorPlatform, Platform, ReviewCycle, User, utcnow
from ..queries.cycles import lock_cycle_state  # noqa: F401  (services.assignments.lock_cycle_state)
from . import audit, conflicts

ASSIGNABLE_STATES = ("draft", "open")
MAX_PER_PLATFORM = 20


def host_conflict(affiliation: str | None, host_institution: str | None) -> bool:
    """True when the two names are one institution's (``domain.institutions.normalise``; an empty affiliation
    never is): the part of rule C1 that free text can tell."""
    a = normalise(affiliation)
    return bool(a) and a == normalise(host_institution)


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
    rules = conflicts.rules_for(session, cycle, reviewer, platform)
    if rules:
        raise conflicts.refuse(reviewer, platform, rules)
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
                     existing: Iterable[tuple[int, int]], min_per_platform: int,
                     forbidden: Iterable[tuple[int, int]] = ()) -> Suggestion:
    """Give every platform at least `min_per_platform` reviewers, spreading the load, never across a
    host-institution conflict, keeping the existing assignments. Pure and deterministic.

    `platforms`: (id, host institution); `reviewers`: (id, affiliation); `existing`: (reviewer, platform);
    `forbidden`: (reviewer, platform) pairs in a conflict the names do not show (C1 by institution, C3, C4).
    Each step serves the platform with the largest remaining need (then the fewest candidates left, then
    the lowest id) with the least-loaded eligible reviewer (then the lowest id).
    """
    platforms = sorted(platforms)
    reviewers = sorted(reviewers)
    existing = set(existing)
    forbidden = set(forbidden)
    load: dict[int, int] = defaultdict(int)
    have: dict[int, int] = defaultdict(int)
    for rid, pid in existing:
        load[rid] += 1
        have[pid] += 1
    for rid, _aff in reviewers:
        load[rid] += 0
    candidates: dict[int, list[int]] = {
        pid: [rid for rid, aff in reviewers if (rid, pid) not in existing and (rid, pid) not in forbidden
              and not host_conflict(aff, host)]
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
                            [tuple(e) for e in existing], min_per_platform,
                            forbidden=_forbidden_pairs(session, cycle, [p[0] for p in platforms],
                                                       [r[0] for r in reviewers]))


def _forbidden_pairs(session: Session, cycle: ReviewCycle, platform_ids: list[int],
                     reviewer_ids: list[int]) -> set[tuple[int, int]]:
    """The (reviewer, platform) pairs that rules C1 (by institution, its parent or children), C3 (when the
    cycle applies it) and C4 forbid: a query per binding and per rule, whatever the numbers."""
    from ..models import Institution

    pairs: set[tuple[int, int]] = set()
    bindings = [OperatorPlatform] + ([Gatekeeper] if conflicts.gatekeeper_rule(cycle) else [])
    for model in bindings:
        pairs.update(tuple(r) for r in session.exec(select(model.user_id, model.platform_id)
                                                    .where(model.platform_id.in_(platform_ids))).all())
    parents = dict(session.exec(select(Institution.id, Institution.parent_id)).all())
    family: dict[int, set[int]] = defaultdict(set)
    for iid, parent in parents.items():
        family[iid].add(iid)
        if parent is not None:
            family[iid].add(parent)
            family[parent].add(iid)
    hosts = session.exec(select(Platform.id, Platform.institution_id)
                         .where(Platform.id.in_(platform_ids), Platform.institution_id.is_not(None))).all()
    people = session.exec(select(User.id, User.institution_id)
                          .where(User.id.in_(reviewer_ids), User.institution_id.is_not(None))).all()
    for pid, host in hosts:
        for rid, iid in people:
            if iid in family[host]:
                pairs.add((rid, pid))
    return pairs


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
