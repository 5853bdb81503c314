"""Conflicts of interest (DESIGN §10): the rules C1–C4 of one reviewer and one platform, declarations (C2),
and the recheck made on every change of a host institution, an affiliation, an institution's parent, a
gatekeeper or operator binding, or a declaration: an assignment of a draft or open cycle that now conflicts is
marked conflicted (its review stops counting) and the admins are notified; closed cycles are frozen and never
touched. The functions flush; the view commits."""
from __future__ import annotations

from typing import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from sqlmodel import Session, select

from ..domain.institutions import conflict_rules, normalise
from ..enums import ConflictRule
from ..errors import Conflict
from ..i18n import label
from ..models import Assignment, Gatekeeper, Institution, OperatorPlatform, Platform, ReviewCycle, User
from ..queries.cycles import lock_cycle_state
from ..queries.institutions import find_by_name
from ..queries.jobs import active_admin_ids
from . import audit

LIVE_STATES = ("draft", "open")
#: the notification kinds this module sends (templates/mail/<kind>.txt)
MAIL_KINDS = ("assignment_conflicted",)


def _institution_id(session: Session, institution_id: int | None, name: str | None) -> int | None:
    if institution_id is not None:
        return institution_id
    found = find_by_name(session, name)
    return found.id if found is not None else None


def reviewer_marks(session: Session, reviewer: User) -> frozenset:
    """The reviewer's institution: its id (from the reference, or found by the affiliation's name) and the
    affiliation's normalised name."""
    return frozenset({_institution_id(session, reviewer.institution_id, reviewer.affiliation),
                      normalise(reviewer.affiliation)})


def host_marks(session: Session, platform: Platform) -> frozenset:
    """The host institution, its parent and its children (ids), and the host's normalised name."""
    host_id = _institution_id(session, platform.institution_id, platform.host_institution)
    marks = {normalise(platform.host_institution), host_id}
    if host_id is not None:
        host = session.get(Institution, host_id)
        if host is not None and host.parent_id is not None:
            marks.add(host.parent_id)
        marks.update(session.exec(select(Institution.id).where(Institution.parent_id == host_id)).all())
    return frozenset(marks)


def gatekeeper_rule(cycle: ReviewCycle) -> bool:
    """Whether C3 applies in the cycle: DESIGN §10 makes it a per-cycle switch, on by default. No cycle can
    turn it off yet (the switch is not built: the cycle's ``rules`` are the eligibility rule set's only)."""
    return True


def rules_for(session: Session, cycle: ReviewCycle, reviewer: User, platform: Platform, *,
              declared: bool = False) -> list[str]:
    def bound(model) -> bool:
        return session.exec(select(model.user_id).where(model.user_id == reviewer.id,
                                                        model.platform_id == platform.id)).first() is not None

    return conflict_rules(reviewer_marks(session, reviewer), host_marks(session, platform), declared=declared,
                          gatekeeper=bound(Gatekeeper), operator=bound(OperatorPlatform),
                          gatekeeper_rule=gatekeeper_rule(cycle))


def _why(rule: str, reviewer: User, platform: Platform):
    name = reviewer.display_name
    return {
        "C1_INSTITUTION": lambda: _l("%(name)s works at %(host)s, the platform's host institution, or at its parent "
                                     "or child institution.", name=name, host=platform.host_institution),
        "C2_DECLARED": lambda: _l("%(name)s declared a relationship with the platform.", name=name),
        "C3_GATEKEEPER": lambda: _l("%(name)s is the platform's gatekeeper.", name=name),
        "C4_OPERATOR": lambda: _l("%(name)s is bound to the platform as operator.", name=name),
    }[rule]()


def refuse(reviewer: User, platform: Platform, rules: list[str]) -> Conflict:
    """The 409 ``conflict_of_interest`` that names the rules and says why each holds."""
    reason = _l("Conflict of interest (%(rules)s): %(why)s", rules=", ".join(rules),
                why=" ".join(str(_why(r, reviewer, platform)) for r in rules))
    return Conflict(reason, fields={"reviewer_id": reason}, code="conflict_of_interest")


def _snapshot(a: Assignment) -> dict:
    return audit.snapshot(a, ("cycle_id", "reviewer_id", "platform_id", "conflicted", "conflict_rules",
                              "conflict_declared", "conflict_kind"))


def apply(session: Session, actor, assignment: Assignment, rules: list[str], *, why: str) -> bool:
    """Set the assignment's rules; audit a change; True when it became conflicted."""
    if list(assignment.conflict_rules or []) == rules and assignment.conflicted == bool(rules):
        return False
    before = _snapshot(assignment)
    newly = bool(rules) and not assignment.conflicted
    assignment.conflict_rules, assignment.conflicted = rules, bool(rules)
    session.add(assignment)
    session.flush()
    audit.record(session, actor, "assignment", assignment.id, "conflict", before, {**_snapshot(assignment), "why": why})
    return newly


def recheck(session: Session, actor, *, why: str, platform_ids: Iterable[int] | None = None,
            reviewer_ids: Iterable[int] | None = None, everything: bool = False) -> list[Assignment]:
    """Recompute the rules of the draft and open cycles' assignments of these platforms or reviewers (or of
    every one); mark the ones that now conflict, notify the admins of them. Returns the newly conflicted."""
    stmt = (select(Assignment, ReviewCycle).join(ReviewCycle, ReviewCycle.id == Assignment.cycle_id)
            .where(ReviewCycle.state.in_(LIVE_STATES)))
    if not everything:
        conditions = []
        if platform_ids is not None:
            conditions.append(Assignment.platform_id.in_(list(platform_ids)))
        if reviewer_ids is not None:
            conditions.append(Assignment.reviewer_id.in_(list(reviewer_ids)))
        if not conditions:
            return []
        stmt = stmt.where(or_(*conditions))
    rows = session.exec(stmt.order_by(Assignment.id)).all()
    if not rows:
        return []
    # what the rules read, once per reviewer, platform and binding table — not once per assignment
    rids, pids = {a.reviewer_id for a, _ in rows}, {a.platform_id for a, _ in rows}
    reviewers = {u.id: u for u in session.exec(select(User).where(User.id.in_(rids))).all()}
    platforms = {p.id: p for p in session.exec(select(Platform).where(Platform.id.in_(pids))).all()}
    bound = {model: set(session.exec(select(model.user_id, model.platform_id)
                                     .where(model.user_id.in_(rids), model.platform_id.in_(pids))).all())
             for model in (Gatekeeper, OperatorPlatform)}
    reviewer_mark = {rid: reviewer_marks(session, u) for rid, u in reviewers.items()}
    host_mark = {pid: host_marks(session, p) for pid, p in platforms.items()}
    newly = []
    for assignment, cycle in rows:
        pair = (assignment.reviewer_id, assignment.platform_id)
        rules = conflict_rules(reviewer_mark[pair[0]], host_mark[pair[1]], declared=assignment.conflict_declared,
                               gatekeeper=pair in bound[Gatekeeper], operator=pair in bound[OperatorPlatform],
                               gatekeeper_rule=gatekeeper_rule(cycle))
        if apply(session, actor, assignment, rules, why=why):
            newly.append(assignment)
    _notify_admins(session, actor, newly)
    return newly


def declare(session: Session, actor, cycle: ReviewCycle, assignment: Assignment, kind: str, note: str) -> Assignment:
    """The reviewer declares a relationship (C2): the assignment is conflicted at once."""
    state = lock_cycle_state(session, cycle)
    if state not in LIVE_STATES:
        raise Conflict(_l("The cycle is %(state)s: assignments can no longer change.",
                          state=label(state, "CycleState")), code=f"cycle_{state}")
    before = _snapshot(assignment)
    assignment.conflict_declared, assignment.conflict_kind, assignment.conflict_note = True, kind, note
    session.add(assignment)
    session.flush()
    audit.record(session, actor, "assignment", assignment.id, "declare_conflict", before, _snapshot(assignment))
    recheck_one(session, actor, cycle, assignment, why="declaration")
    return assignment


def recheck_one(session: Session, actor, cycle: ReviewCycle, assignment: Assignment, *, why: str) -> None:
    """Recompute one assignment's rules (its declaration included); notify the admins when it now conflicts."""
    rules = rules_for(session, cycle, session.get(User, assignment.reviewer_id),
                      session.get(Platform, assignment.platform_id), declared=assignment.conflict_declared)
    if apply(session, actor, assignment, rules, why=why):
        _notify_admins(session, actor, [assignment])


def _notify_admins(session: Session, actor, assignments: list[Assignment]) -> None:
    if not assignments:
        return
    from . import notifications

    admins = active_admin_ids(session)
    messages = []
    for a in assignments:
        reviewer, platform = session.get(User, a.reviewer_id), session.get(Platform, a.platform_id)
        cycle = session.get(ReviewCycle, a.cycle_id)
        context = {"reviewer": reviewer.display_name, "platform_code": platform.code, "cycle_name": cycle.name,
                   "rules": [ConflictRule(r) for r in a.conflict_rules]}  # texts: templates/mail/assignment_conflicted.txt
        rules_key = "+".join(a.conflict_rules)
        messages += [notifications.Message("assignment_conflicted", uid,
                                           f"assignment_conflicted:{a.id}:{rules_key}:user={uid}", context,
                                           link=f"/cycles/{a.cycle_id}/assignments")
                     for uid in admins]
    notifications.notify(session, messages)
