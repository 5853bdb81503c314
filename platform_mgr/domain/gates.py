"""Project stages and gate decisions (DESIGN §2, §3).

Pure standard library: no Flask, no database, no clock. Every rule that depends on "today" takes it as a
parameter. Services load rows, call these functions with plain values and write what comes back.

Stage strings, statuses and decisions are the `StrEnum`s of `platform_mgr.enums`, so they compare equal to
the strings stored in the database ("S1" == Stage.S1, "on_hold" == ProjectStatus.ON_HOLD); every function
also accepts the plain strings. A refusal is a `DomainError` with a code, the field at fault and the values
of the case; the sentences a person reads are made from them outside the domain (`platform_mgr/messages.py`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..enums import (  # noqa: F401  (the gate vocabulary, re-exported for the services)
    READ_ONLY_PROJECT_STATUSES,
    Decision,
    MilestoneStatus,
    OutcomeKind,
    ProjectStatus,
    SelectionMode,
    Stage,
)
from .errors import DomainError
from .trl import TRL_MAX, TRL_MIN

MAX_TITLE_LENGTH = 200  # milestone titles (and so gate conditions) are at most 200 characters


#: the domain's one error (a code, the field at fault, the values); kept under its old name for the callers
GateError = DomainError


# --------------------------------------------------------------------------------------------------
# Enumerations (defined once, with their labels, in platform_mgr.enums)

STAGE_TYPICAL_TRL: dict[Stage, str] = {
    Stage.S0: "—",
    Stage.S1: "TRL 1–3 → 3",
    Stage.S2: "TRL 3 → 4–6",
    Stage.S3: "TRL 5–6 → 6–7",
    Stage.S4: "TRL ≥ 7",
}


def gate_target(stage: Stage | str) -> Stage | None:
    """Where a passing gate out of `stage` leads: the next stage, or None at S4 (transfer)."""
    return _coerce(Stage, stage, "unknown_stage", "stage").next_stage()


# --------------------------------------------------------------------------------------------------
# Default gate templates (DESIGN §3 table): the must-meet milestones to leave each stage


def N_(text: str) -> str:
    """Marks a text for the translation catalog (extracted by pybabel); the services translate it."""
    return text


@dataclass(frozen=True, slots=True)
class TemplateItem:
    """A default must-meet milestone: its title and deliverable are catalog msgids (English); copying the
    templates into the database writes them in both languages (`services.gates`)."""

    title: str
    deliverable: str = ""


DEFAULT_GATE_TEMPLATES: dict[Stage, tuple[TemplateItem, ...]] = {
    Stage.S0: (
        TemplateItem(N_("Named demand owner or application scenario"),
                     N_("Demand owner's confirmation or scenario description")),
        TemplateItem(N_("Fits the platform's field"), N_("Statement of fit with the platform's field")),
    ),
    Stage.S1: (
        TemplateItem(N_("IP ownership clear"), N_("List of patents/software copyrights with proof of ownership")),
        TemplateItem(N_("Evidence of TRL ≥ 3"), N_("Experimental proof-of-concept report for the critical function")),
    ),
    Stage.S2: (
        TemplateItem(N_("Validation report in laboratory/relevant environment"), N_("Technical validation report")),
        TemplateItem(N_("Market validation (customer interviews)"),
                     N_("Customer interview records and market analysis")),
    ),
    Stage.S3: (
        TemplateItem(N_("Prototype demonstrated in a real or relevant scenario, with a user letter"),
                     N_("Demonstration record and user letter")),
    ),
    Stage.S4: (
        TemplateItem(N_("Licence/assignment/equity contract signed, or spin-out registered"),
                     N_("Signed contract or the spin-out's business licence")),
    ),
}


# --------------------------------------------------------------------------------------------------
# Status rules


_READ_ONLY = READ_ONLY_PROJECT_STATUSES
_CLOSED_MILESTONE = frozenset(m for m in MilestoneStatus if m.closed)


def _coerce(enum_cls: type, value: Any, code: str, field_name: str | None):
    try:
        return enum_cls(value)
    except ValueError:
        raise DomainError(code, field_name, value=value) from None


def is_read_only(status: ProjectStatus | str) -> bool:
    """Killed, transferred and withdrawn projects are read-only (final)."""
    return _coerce(ProjectStatus, status, "unknown_status", "status") in _READ_ONLY


def milestones_editable(status: ProjectStatus | str) -> bool:
    """Milestones may be added/edited only on an active project (on_hold forbids edits too)."""
    return _coerce(ProjectStatus, status, "unknown_status", "status") is ProjectStatus.ACTIVE


def can_receive_decision(status: ProjectStatus | str) -> bool:
    return _coerce(ProjectStatus, status, "unknown_status", "status") is ProjectStatus.ACTIVE


def is_overdue(status: MilestoneStatus | str, due_on: date | None, today: date) -> bool:
    """Derived (DESIGN §2): not done/waived and due_on < today. A milestone due today is not overdue."""
    if due_on is None:
        return False
    if _coerce(MilestoneStatus, status, "unknown_status", "status") in _CLOSED_MILESTONE:
        return False
    return due_on < today


def days_overdue(status: MilestoneStatus | str, due_on: date | None, today: date) -> int:
    """Whole days past due (1 the day after due_on); 0 when not overdue."""
    return (today - due_on).days if is_overdue(status, due_on, today) else 0


# --------------------------------------------------------------------------------------------------
# Requesting a gate


_MILESTONE_FIELDS = ("id", "stage", "is_gate_criterion", "status", "title")


def _attr(milestone: Any, name: str) -> Any:
    """Read a milestone field from an object/namedtuple (attribute), a mapping, or a plain tuple
    ordered (id, stage, is_gate_criterion, status, title)."""
    if isinstance(milestone, Mapping):
        return milestone[name]
    if hasattr(milestone, name):
        return getattr(milestone, name)
    if isinstance(milestone, (tuple, list)):
        return milestone[_MILESTONE_FIELDS.index(name)]
    raise TypeError(f"cannot read {name!r} from {type(milestone).__name__}")


def gate_blockers(stage: Stage | str, milestones: Iterable[Any]) -> list[Any]:
    """The must-meet milestones of `stage` that are neither done nor waived, in the given order.

    Returns the very objects passed in. Milestones of other stages and non-gate milestones never block.
    """
    current = _coerce(Stage, stage, "unknown_stage", "stage")
    blockers = []
    for m in milestones:
        if _attr(m, "stage") != current or not _attr(m, "is_gate_criterion"):
            continue
        if _coerce(MilestoneStatus, _attr(m, "status"), "unknown_status", "status") in _CLOSED_MILESTONE:
            continue
        blockers.append(m)
    return blockers


@dataclass(frozen=True, slots=True)
class GateCheck:
    """Whether a gate review may be requested now. `code`: "ok", or the reason for refusal
    ("not_active", "review_pending", "blockers"); `stage`/`target`/`status` and `blockers` are what the
    sentence shown to a person is made from (`messages.gate_check_message`)."""

    ok: bool
    code: str
    stage: Stage
    target: Stage | None = None
    status: ProjectStatus | None = None
    blockers: tuple[Any, ...] = ()

    @property
    def blocker_titles(self) -> tuple[str, ...]:
        return tuple(str(_attr(m, "title")) for m in self.blockers)

    def __bool__(self) -> bool:
        return self.ok


def can_request_gate(
    project_status: ProjectStatus | str,
    stage: Stage | str,
    milestones: Iterable[Any],
    has_pending_review: bool,
) -> GateCheck:
    """Refused when the project is not active, when a review is already pending, or when must-meet
    milestones of the current stage are still open (checked in that order)."""
    status = _coerce(ProjectStatus, project_status, "unknown_status", "status")
    current = _coerce(Stage, stage, "unknown_stage", "stage")
    target = current.next_stage()
    if status is not ProjectStatus.ACTIVE:
        return GateCheck(False, "not_active", current, target, status)
    if has_pending_review:
        return GateCheck(False, "review_pending", current, target, status)
    blockers = gate_blockers(current, milestones)
    if blockers:
        return GateCheck(False, "blockers", current, target, status, tuple(blockers))
    return GateCheck(True, "ok", current, target, status)


# --------------------------------------------------------------------------------------------------
# Deciding a gate


@dataclass(frozen=True, slots=True)
class NewMilestone:
    """A must-meet milestone the service must create after a decision.

    `reason` is "condition" (a conditional_go condition: `title` is the condition as the gatekeeper wrote
    it) or "rework" (recycle: `title` is empty and the service names it "Rework: <stage>" in the catalog's
    words).
    """

    stage: Stage
    title: str
    due_on: date | None = None
    is_gate_criterion: bool = True
    reason: str = "condition"


@dataclass(frozen=True, slots=True)
class GateOutcome:
    decision: Decision
    from_stage: Stage
    new_stage: Stage
    new_status: ProjectStatus
    new_trl: int | None
    passed: bool
    milestones_to_create: tuple[NewMilestone, ...] = field(default_factory=tuple)

    @property
    def entered_stage(self) -> Stage | None:
        """The stage the project newly entered (to copy its gate template onto), else None."""
        return self.new_stage if self.new_stage != self.from_stage else None


def clean_conditions(conditions: Iterable[str]) -> tuple[str, ...]:
    """Strip each condition title; refuse an empty list, blank, over-long or duplicate titles."""
    if isinstance(conditions, str):
        raise TypeError("conditions must be an iterable of titles, not a single string")
    cleaned: list[str] = []
    for raw in conditions:
        if not isinstance(raw, str) or not raw.strip():
            raise DomainError("condition_empty", "conditions")
        title = raw.strip()
        if len(title) > MAX_TITLE_LENGTH:
            raise DomainError("condition_too_long", "conditions", max=MAX_TITLE_LENGTH)
        if title in cleaned:
            raise DomainError("condition_duplicate", "conditions", title=title)
        cleaned.append(title)
    if not cleaned:
        raise DomainError("conditions_required", "conditions")
    return tuple(cleaned)


def _is_trl_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def passing_trl(current_trl: int | None, claimed_trls: Iterable[int | None] = ()) -> int | None:
    """TRL after a passing gate: max(current, claims) clamped to 1..9; None entries are missing.

    None when there is neither a current TRL nor any claim.
    """
    values = [v for v in (current_trl, *claimed_trls) if v is not None]
    for v in values:
        if not _is_trl_int(v):
            raise DomainError("invalid_trl", "trl_claimed", value=v)
    if not values:
        return None
    return max(TRL_MIN, min(TRL_MAX, max(values)))


def apply_decision(
    stage: Stage | str,
    status: ProjectStatus | str,
    decision: Decision | str,
    *,
    conditions: Iterable[str] = (),
    rework_due_on: date | None = None,
    current_trl: int | None,
    claimed_trls: Iterable[int | None] = (),
) -> GateOutcome:
    """What a gate decision does to a project (DESIGN §3). Raises DomainError for illegal combinations.

    go → next stage; conditional_go → next stage + one must-meet milestone there per condition;
    go at S4 → transferred (stage stays S4), conditional_go at S4 → refused (no next stage);
    hold → on_hold; recycle → same stage + one must-meet rework milestone due `rework_due_on`;
    kill → killed. Only an active project can receive a decision.
    """
    dec = _coerce(Decision, decision, "unknown_decision", "decision")
    current = _coerce(Stage, stage, "unknown_stage", "stage")
    st = _coerce(ProjectStatus, status, "unknown_status", "status")

    if st is not ProjectStatus.ACTIVE:
        raise DomainError("not_active", status=st)

    if isinstance(conditions, str):
        raise TypeError("conditions must be an iterable of titles, not a single string")
    conditions = list(conditions)
    if dec is not Decision.CONDITIONAL_GO and any(
        c is not None and str(c).strip() for c in conditions
    ):
        raise DomainError("conditions_not_allowed", "conditions")
    if dec is not Decision.RECYCLE and rework_due_on is not None:
        raise DomainError("rework_date_not_allowed", "rework_due_on")

    trl_unchanged = current_trl
    target = current.next_stage()

    if dec is Decision.GO:
        if target is None:
            return GateOutcome(dec, current, current, ProjectStatus.TRANSFERRED,
                               passing_trl(current_trl, claimed_trls), True)
        return GateOutcome(dec, current, target, ProjectStatus.ACTIVE,
                           passing_trl(current_trl, claimed_trls), True)

    if dec is Decision.CONDITIONAL_GO:
        if target is None:
            raise DomainError("no_next_stage", "decision", stage=current)
        titles = clean_conditions(conditions)
        new = tuple(NewMilestone(target, t, None, True, "condition") for t in titles)
        return GateOutcome(dec, current, target, ProjectStatus.ACTIVE,
                           passing_trl(current_trl, claimed_trls), True, new)

    if dec is Decision.HOLD:
        return GateOutcome(dec, current, current, ProjectStatus.ON_HOLD, trl_unchanged, False)

    if dec is Decision.RECYCLE:
        if rework_due_on is None:
            raise DomainError("rework_date_required", "rework_due_on")
        if isinstance(rework_due_on, datetime) or not isinstance(rework_due_on, date):
            raise DomainError("rework_date_invalid", "rework_due_on")
        rework = NewMilestone(current, "", rework_due_on, True, "rework")
        return GateOutcome(dec, current, current, ProjectStatus.ACTIVE, trl_unchanged, False, (rework,))

    # Decision.KILL
    return GateOutcome(dec, current, current, ProjectStatus.KILLED, trl_unchanged, False)


def resume(status: ProjectStatus | str) -> ProjectStatus:
    """An admin resumes a held project: on_hold → active; anything else is refused."""
    st = _coerce(ProjectStatus, status, "unknown_status", "status")
    if st is not ProjectStatus.ON_HOLD:
        raise DomainError("not_on_hold", status=st)
    return ProjectStatus.ACTIVE


# --------------------------------------------------------------------------------------------------
# Date checks for milestone forms / API


def _require_date(value: Any, field_name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise DomainError("date_invalid", field_name)
    return value


def validate_completion(completed_on: date | None, today: date) -> date | None:
    """A completion date may not lie in the future (DESIGN §3). None passes through."""
    if completed_on is None:
        return None
    _require_date(completed_on, "completed_on")
    if completed_on > today:
        raise DomainError("completion_in_future", "completed_on")
    return completed_on


def validate_dates(*, today: date, due_on: date | None = None, completed_on: date | None = None) -> None:
    """Check a milestone's dates. Past due dates are allowed (registering running projects)."""
    if due_on is not None:
        _require_date(due_on, "due_on")
    validate_completion(completed_on, today)


def resolve_completion(status: MilestoneStatus | str, completed_on: date | None, today: date) -> date | None:
    """The completed_on to store for a milestone in `status`.

    done → the given date (validated: not in the future) or today when none was given;
    any other status → None (a reopened milestone loses its completion date).
    """
    st = _coerce(MilestoneStatus, status, "unknown_status", "status")
    if st is not MilestoneStatus.DONE:
        return None
    return validate_completion(completed_on if completed_on is not None else today, today)
