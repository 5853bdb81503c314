"""Review cycles: create, edit, and move through draft → open → closed → published (DESIGN §2, §4, §6).

What each state allows:

* draft: everything about the cycle may be edited; assignments may be made; operators may write their
  self-assessment; nobody scores. A draft cycle follows the latest rubric version (see `rubrics`).
* open: reviewers score; assignments may still be added; self-assessments may still be edited; the
  admin may change the name, the budget, the rule overrides and move the closing time (later than now).
  The data window, the opening time and the rubric are fixed.
* closed: nothing is accepted any more; the eligibility snapshot is frozen; reviewers may see the
  other reviewers' scores of the platforms they reviewed; results stay admin-only.
* published: as closed, and everyone may read the results.

The state changes are conditional updates (``UPDATE … WHERE id = :id AND state = :expected``): when the
scheduler and an admin race, or a tick runs twice, exactly one of them moves the cycle and the other
gets `Conflict`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlmodel import Session, select

from ..domain.eligibility import RuleSet, RuleSetError
from ..errors import Conflict, Invalid, StateConflict
from ..i18n import label
from ..inputs.cycles import CycleCreate, CycleUpdate
from ..messages import message_for
from ..models import Assignment, Platform, ReviewCycle, User, utcnow
from . import audit
from .rubrics import current_rubric, ensure_default_rubric, latest_rubric  # noqa: F401  (re-exported)

__all__ = ["ClosingGuard", "close_cycle", "closing_guard", "create_cycle", "ensure_default_rubric", "open_cycle", "publish_cycle", "update_cycle",
           "check_manual_open", "EDITABLE_BY_STATE"]

FIELDS = ("name", "window_start", "window_end", "opens_at", "closes_at", "budget", "rules")
EDITABLE_BY_STATE = {
    "draft": frozenset(FIELDS),
    "open": frozenset({"name", "closes_at", "budget", "rules"}),
    "closed": frozenset(),
    "published": frozenset(),
}
AUDIT_FIELDS = ("name", "window_start", "window_end", "opens_at", "closes_at", "budget", "rules", "state",
                "rubric_id", "opened_at", "closed_at", "published_at", "close_reason")


def clean_rules(raw: Any) -> dict[str, int]:
    """Validate rule overrides against the DESIGN §5 rule set; keep only the given names, as whole numbers."""
    if raw is None:
        return {}
    try:
        rule_set = RuleSet.from_overrides(raw)
    except RuleSetError as exc:
        raise Invalid(_l("Please correct the marked fields."),
                      fields={f"rules.{exc.field}": message_for(exc)}) from None
    names = ["pass_" if name == "pass" else name for name in raw]
    return {name: getattr(rule_set, name) for name in names}


def _check(clean: dict[str, Any], current: ReviewCycle | None) -> dict[str, Any]:
    """The rules of a cycle's fields together: the rule overrides, the window's order, open before close."""
    errors: dict[str, Any] = {}
    if "rules" in clean:
        try:
            clean["rules"] = clean_rules(clean["rules"])
        except Invalid as exc:
            errors.update(exc.fields)

    def merged(key):
        return clean[key] if key in clean else getattr(current, key, None)

    if merged("window_start") and merged("window_end") and merged("window_start") > merged("window_end"):
        errors["window_end"] = _l("The window must end on or after its start.")
    if merged("opens_at") and merged("closes_at") and merged("opens_at") >= merged("closes_at"):
        errors["closes_at"] = _l("Scoring must close after it opens.")
    if errors:
        raise Invalid(_l("Please correct the marked fields."), fields=errors)
    return clean


def create_cycle(session: Session, actor, data: CycleCreate) -> ReviewCycle:
    """A draft cycle on the latest rubric version."""
    clean = _check(data.model_dump(), current=None)
    cycle = ReviewCycle(state="draft", rubric_id=current_rubric(session).id, **clean)
    session.add(cycle)
    session.flush()
    audit.record(session, actor, "cycle", cycle.id, "create", None, audit.snapshot(cycle, AUDIT_FIELDS))
    return cycle


def _check_version(cycle: ReviewCycle, version: int | None) -> None:
    if version is not None and version != cycle.version:
        raise Conflict(_l("This record was changed by someone else. Reload and try again."),
                       fields={"version": _l("Stale version.")})


def update_cycle(session: Session, actor, cycle: ReviewCycle, changes: CycleUpdate, *,
                 now: datetime | None = None) -> ReviewCycle:
    """Edit what the cycle's state allows (see the module docstring); its version guards against lost updates."""
    now = now or utcnow()
    _check_version(cycle, changes.version)
    data = changes.model_dump(exclude_unset=True, exclude={"version"})
    allowed = EDITABLE_BY_STATE.get(cycle.state, frozenset())
    if not allowed:
        raise StateConflict(_l("A closed or published cycle can no longer be edited."), subject="cycle",
                            state=cycle.state)
    locked = {k: _l("This can no longer be changed once the cycle is open.") for k in data
              if k in FIELDS and k not in allowed and data[k] != getattr(cycle, k)}
    if locked:
        raise StateConflict(_l("The cycle is open: only the name, budget, rules and closing time may change."),
                            subject="cycle", state=cycle.state, fields=locked)
    clean = _check({k: v for k, v in data.items() if k in allowed}, current=cycle)
    if cycle.state == "open" and "closes_at" in clean and clean["closes_at"] != cycle.closes_at \
            and clean["closes_at"] <= now:
        raise Invalid(_l("Please correct the marked fields."),
                      fields={"closes_at": _l("An open cycle's closing time must lie in the future.")})
    before = audit.snapshot(cycle, AUDIT_FIELDS)
    for key, value in clean.items():
        setattr(cycle, key, value)
    session.add(cycle)
    session.flush()
    audit.record(session, actor, "cycle", cycle.id, "update", before, audit.snapshot(cycle, AUDIT_FIELDS))
    return cycle


# --- state changes --------------------------------------------------------------------------------

def _state_conflict(session: Session, cycle: ReviewCycle, action) -> StateConflict:
    state = session.execute(select(ReviewCycle.state).where(ReviewCycle.id == cycle.id)).scalar_one_or_none()
    return StateConflict(_l("The cycle is %(state)s: it cannot be %(action)s.",
                            state=label(state, "CycleState"), action=action),
                         subject="cycle", state=state, fields={"state": label(state, "CycleState")})


def _move(session: Session, actor, cycle: ReviewCycle, *, expected: str, new: str, stamp: str, now: datetime,
          action: str, action_label, extra: dict[str, Any] | None = None,
          note: dict[str, Any] | None = None) -> ReviewCycle:
    """The conditional update: moves the cycle only when it is still in `expected`."""
    session.flush()
    before = audit.snapshot(cycle, AUDIT_FIELDS)
    values = {"state": new, stamp: now, "version": ReviewCycle.version + 1, **(extra or {})}
    result = session.execute(
        update(ReviewCycle).where(ReviewCycle.id == cycle.id, ReviewCycle.state == expected).values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise _state_conflict(session, cycle, action_label)
    session.refresh(cycle)
    audit.record(session, actor, "cycle", cycle.id, action, before,
                 {**audit.snapshot(cycle, AUDIT_FIELDS), **(note or {})}, at=now)
    return cycle


def check_manual_open(cycle: ReviewCycle, now: datetime) -> None:
    """An admin opening by hand: refuse when the closing time has already passed (it would close at once)."""
    if cycle.closes_at <= now:
        raise Conflict(_l("The closing time has passed: move it later before opening the cycle."),
                       fields={"closes_at": _l("An open cycle's closing time must lie in the future.")})


def open_cycle(session: Session, actor_user_or_None, cycle: ReviewCycle, *, now: datetime) -> ReviewCycle:
    """draft → open; freezes the rubric: the cycle takes the latest version now and keeps it."""
    rubric = current_rubric(session)
    return _move(session, actor_user_or_None, cycle, expected="draft", new="open", stamp="opened_at", now=now,
                 action="open", action_label=_l("opened"), extra={"rubric_id": rubric.id})


@dataclass(frozen=True)
class Shortfall:
    """An assigned platform with fewer counted reviews (submitted, no conflict) than R1 requires."""

    platform_id: int
    code: str
    name_zh: str
    name_en: str
    counted: int
    required: int
    unsubmitted: tuple[str, ...] = ()  # the display names of its reviewers who have not submitted

    def to_dict(self) -> dict[str, Any]:
        return {"platform_id": self.platform_id, "code": self.code, "counted": self.counted,
                "required": self.required, "unsubmitted": list(self.unsubmitted)}


@dataclass(frozen=True)
class ClosingGuard:
    """DESIGN §10: closing by hand before `closes_at`, or while an assigned platform has fewer counted reviews
    than R1 requires, shows what is missing and needs a written reason."""

    early: bool
    closes_at: datetime
    required: int
    short: list[Shortfall] = field(default_factory=list)

    @property
    def applies(self) -> bool:
        return self.early or bool(self.short)

    def to_dict(self) -> dict[str, Any]:
        return {"early": self.early, "required": self.required, "short": [x.to_dict() for x in self.short]}


def closing_guard(session: Session, cycle: ReviewCycle, *, now: datetime) -> ClosingGuard:
    """What closing `cycle` at `now` by hand would leave missing (two queries, whatever the size)."""
    try:
        required = RuleSet.from_overrides(cycle.rules or {}).min_reviews
    except RuleSetError:  # stored overrides are validated on write
        required = RuleSet().min_reviews
    rows = session.exec(
        select(Assignment.platform_id, Assignment.review_state, Assignment.conflicted, User.display_name)
        .join(User, User.id == Assignment.reviewer_id)
        .where(Assignment.cycle_id == cycle.id).order_by(Assignment.platform_id, Assignment.id)).all()
    counted: dict[int, int] = {}
    unsubmitted: dict[int, list[str]] = {}
    for platform_id, state, conflict, name in rows:
        counted.setdefault(platform_id, 0)
        unsubmitted.setdefault(platform_id, [])
        if state == "submitted":
            counted[platform_id] += 0 if conflict else 1
        elif not conflict:
            unsubmitted[platform_id].append(name)
    short_ids = [pid for pid, n in counted.items() if n < required]
    platforms = {p.id: p for p in session.exec(select(Platform).where(Platform.id.in_(short_ids))).all()} \
        if short_ids else {}
    short = sorted((Shortfall(pid, platforms[pid].code, platforms[pid].name_zh, platforms[pid].name_en, counted[pid],
                              required, tuple(unsubmitted[pid])) for pid in short_ids if pid in platforms),
                   key=lambda x: x.code)
    return ClosingGuard(early=now < cycle.closes_at, closes_at=cycle.closes_at, required=required, short=short)


REASON_REQUIRED = _l("Closing now leaves reviews missing or comes before the closing time: give a written reason.")


def close_cycle(session: Session, actor_user_or_None, cycle: ReviewCycle, *, now: datetime,
                reason: str | None = None, by_hand: bool = False) -> ReviewCycle:
    """open → closed, and in the same transaction freeze the eligibility snapshot.

    By hand (`by_hand`, the admin's button or API call), the closing guard applies: closing before `closes_at`
    or with platforms below R1's minimum needs a written `reason` (409 ``reason_required`` otherwise), which
    is stored on the cycle and, with what was missing, in the audit event.  The scheduler closes on time."""
    reason = (reason or "").strip()
    note: dict[str, Any] = {}
    if by_hand:
        guard = closing_guard(session, cycle, now=now) if cycle.state == "open" else None
        if guard is not None and guard.applies:
            if not reason:
                raise Conflict(REASON_REQUIRED, code="reason_required",
                               fields={"reason": _l("Say why the cycle is closed now.")})
            note = {"closing_guard": guard.to_dict()}
    _move(session, actor_user_or_None, cycle, expected="open", new="closed", stamp="closed_at", now=now,
          action="close", action_label=_l("closed"), extra={"close_reason": reason}, note=note)
    from .delisting import mark_at_close
    from .eligibility import freeze_snapshot

    snapshot = freeze_snapshot(session, cycle, now=now)
    mark_at_close(session, cycle, snapshot, now=now)  # a second consecutive Fail: delisting review (§4)
    return cycle


def publish_cycle(session: Session, actor_user_or_None, cycle: ReviewCycle, *, now: datetime) -> ReviewCycle:
    """closed → published: results become readable by everyone."""
    return _move(session, actor_user_or_None, cycle, expected="closed", new="published", stamp="published_at",
                 now=now, action="publish", action_label=_l("published"))
