"""Assigning reviewers to platforms in a cycle: one by one or by a balanced suggestion (DESIGN §4).

A reviewer in a conflict of interest with the platform (rules C1, C3, C4 of DESIGN §10, `services.conflicts`)
is never assigned (409 ``conflict_of_interest`` naming the rules), nor beyond their maximum load per cycle
(409 ``load_cap_reached`` naming the cap); the balanced suggestion prefers reviewers of the platform's field
and says why it picked each pair. Assignments are made while a cycle is a draft or open; a submitted review's
assignment stays.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
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
    _require_below_cap(session, cycle, reviewer)
    assignment = Assignment(cycle_id=cycle.id, reviewer_id=reviewer.id, platform_id=platform.id)
    session.add(assignment)
    try:
        session.flush()
    except IntegrityError:  # the same pair assigned concurrently
        raise Conflict(_l("This reviewer is already assigned to this platform."),
                       fields={"reviewer_id": _l("Already assigned to this platform.")}) from None
    audit.record(session, actor, "assignment", assignment.id, "create", None, _snapshot(assignment))
    return assignment


def _require_below_cap(session: Session, cycle: ReviewCycle, reviewer: User) -> None:
    """409 ``load_cap_reached`` when the reviewer already has their maximum of assignments in the cycle (every
    assignment of the cycle counts, as on the assignments page)."""
    if reviewer.max_load is None:
        return
    load = session.exec(select(func.count()).select_from(Assignment).where(
        Assignment.cycle_id == cycle.id, Assignment.reviewer_id == reviewer.id)).one()
    if load >= reviewer.max_load:
        message = _l("%(name)s already has %(load)d assignments in this cycle: their cap is %(cap)d.",
                     name=reviewer.display_name, load=load, cap=reviewer.max_load)
        raise Conflict(message, fields={"reviewer_id": message}, code="load_cap_reached")


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

#: why the balanced assignment picked a pair (DESIGN §10)
FIELD_MATCH, LEAST_LOADED = "field_match", "least_loaded"


@dataclass(frozen=True)
class Pick:
    """Why a pair was proposed: ``field_match`` — the reviewer works in the platform's field and is the least
    loaded such reviewer; ``least_loaded`` — no eligible reviewer with the field was left, so the least loaded
    eligible one. ``load`` is the reviewer's assignments in the cycle with this one, ``cap`` their maximum."""

    code: str
    load: int
    cap: int | None = None


@dataclass
class Suggestion:
    """New (reviewer_id, platform_id) pairs, and platforms that still lack reviewers (platform_id → missing)."""

    pairs: list[tuple[int, int]] = field(default_factory=list)
    shortfall: dict[int, int] = field(default_factory=dict)
    loads: dict[int, int] = field(default_factory=dict)  # reviewer_id → assignments after applying
    reasons: dict[tuple[int, int], Pick] = field(default_factory=dict)  # (reviewer_id, platform_id) → why
    fields: dict[int, str | None] = field(default_factory=dict)  # platform_id → its field

    def why(self, reviewer_id: int, platform_id: int):
        """The sentence that explains a proposed pair."""
        return reason_text(self.reasons[(reviewer_id, platform_id)], self.fields.get(platform_id))


def reason_text(pick: Pick, platform_field: str | None):
    """The sentence a person reads for a pick (translatable)."""
    name = label(platform_field, "PlatformField") if platform_field else ""
    if pick.code == FIELD_MATCH:
        text = _l("Works in the platform's field (%(field)s); the least loaded such reviewer (%(load)d assignments "
                  "with this one).", field=name, load=pick.load)
    else:
        text = _l("No eligible reviewer works in the platform's field; the least loaded eligible reviewer "
                  "(%(load)d assignments with this one).", load=pick.load)
    if pick.cap is not None:
        return _l("%(text)s Cap: %(cap)d per cycle.", text=text, cap=pick.cap)
    return text


def suggest_balanced(platforms: Iterable[tuple], reviewers: Iterable[tuple],
                     existing: Iterable[tuple[int, int]], min_per_platform: int,
                     forbidden: Iterable[tuple[int, int]] = ()) -> Suggestion:
    """Give every platform at least `min_per_platform` reviewers, preferring reviewers of its field, spreading
    the load, never above a reviewer's cap, never across a conflict, keeping the existing assignments. Pure and
    deterministic.

    `platforms`: (id, host institution[, field]); `reviewers`: (id, affiliation[, expertise[, max_load]]) —
    expertise a collection of platform fields, max_load the most assignments in the cycle (None: no cap);
    `existing`: (reviewer, platform), counted in the loads; `forbidden`: (reviewer, platform) pairs in a conflict
    the names do not show (C1 by institution, C3, C4). Each step serves the platform with the largest remaining
    need (then the fewest eligible candidates left, then the lowest id) with an eligible reviewer below their cap:
    one whose expertise holds the platform's field if any, then the least loaded, then one fewer other needy
    platforms want by field, then the lowest id. A platform left without eligible candidates is reported short,
    never over-assigned.
    """
    platforms = sorted((p[0], p[1], p[2] if len(p) > 2 else None) for p in platforms)
    reviewers = sorted((r[0], r[1], frozenset(str(x) for x in (r[2] if len(r) > 2 and r[2] else ())),
                        r[3] if len(r) > 3 else None) for r in reviewers)
    existing = set(existing)
    forbidden = set(forbidden)
    load: dict[int, int] = defaultdict(int)
    have: dict[int, int] = defaultdict(int)
    for rid, pid in existing:
        load[rid] += 1
        have[pid] += 1
    expertise = {rid: fields for rid, _aff, fields, _cap in reviewers}
    cap = {rid: c for rid, _aff, _fields, c in reviewers}
    for rid in cap:
        load[rid] += 0
    field_of = {pid: f for pid, _host, f in platforms}

    def below_cap(rid: int) -> bool:
        return cap[rid] is None or load[rid] < cap[rid]

    candidates: dict[int, list[int]] = {  # eligible and below their cap; a reviewer reaching it leaves every list
        pid: [rid for rid, aff, _fields, _cap in reviewers if (rid, pid) not in existing
              and (rid, pid) not in forbidden and not host_conflict(aff, host) and below_cap(rid)]
        for pid, host, _f in platforms}
    need = {pid: max(0, min_per_platform - have[pid]) for pid, _host, _f in platforms}
    needy = defaultdict(int)  # field → platforms of the field still in need
    for pid, n in need.items():
        if n > 0 and field_of[pid] is not None:
            needy[field_of[pid]] += 1
    pairs: list[tuple[int, int]] = []
    reasons: dict[tuple[int, int], Pick] = {}
    while True:
        open_ = [pid for pid in need if need[pid] > 0 and candidates[pid]]
        if not open_:
            break
        pid = min(open_, key=lambda p: (-need[p], len(candidates[p]), p))
        wanted = field_of[pid]
        # a reviewer of the field first; then the least loaded; then one whom fewer other needy platforms want
        # by field (specialists are kept for their fields); then the lowest id
        rid = min(candidates[pid], key=lambda r: (wanted is None or wanted not in expertise[r], load[r],
                                                  sum(needy[f] for f in expertise[r]), r))
        candidates[pid].remove(rid)
        pairs.append((rid, pid))
        load[rid] += 1
        need[pid] -= 1
        if need[pid] == 0 and wanted is not None:
            needy[wanted] -= 1
        if not below_cap(rid):
            for rids in candidates.values():
                if rid in rids:
                    rids.remove(rid)
        matched = wanted is not None and wanted in expertise[rid]
        reasons[(rid, pid)] = Pick(FIELD_MATCH if matched else LEAST_LOADED, load[rid], cap[rid])
    return Suggestion(pairs=pairs, shortfall={pid: n for pid, n in need.items() if n > 0}, loads=dict(load),
                      reasons=reasons, fields=field_of)


def _check_min(min_per_platform) -> int:
    if isinstance(min_per_platform, bool) or not isinstance(min_per_platform, int) \
            or not 1 <= min_per_platform <= MAX_PER_PLATFORM:
        raise Invalid(_l("Please correct the marked fields."),
                      fields={"min_per_platform": _l("Enter a whole number from 1 to %(n)d.", n=MAX_PER_PLATFORM)})
    return min_per_platform


def balanced_suggestion(session: Session, cycle: ReviewCycle, min_per_platform: int) -> Suggestion:
    """The suggestion for a cycle: active platforms (with their fields), active reviewers (with their expertise
    and caps), the cycle's assignments (3 queries, and the conflict rules')."""
    min_per_platform = _check_min(min_per_platform)
    platforms = session.exec(select(Platform.id, Platform.host_institution, Platform.field)
                             .where(Platform.status == "active")).all()
    reviewers = session.exec(select(User.id, User.affiliation, User.expertise, User.max_load)
                             .where(User.role == "reviewer", User.active)).all()
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
        audit.record(session, actor, "assignment", a.id, "create", None,
                     {**_snapshot(a), "via": "balanced", "reason": suggestion.reasons[(rid, pid)].code})
    return suggestion
