"""Project stages and gate decisions (DESIGN §2, §3).

Pure standard library: no Flask, no database, no clock. Every rule that depends on "today" takes it as a
parameter. Services load rows, call these functions with plain values and write what comes back.

Stage strings, statuses and decisions are `StrEnum`s, so they compare equal to the strings stored in the
database ("S1" == Stage.S1, "on_hold" == ProjectStatus.ON_HOLD); every function also accepts the plain
strings.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from .trl import TRL_MAX, TRL_MIN

MAX_TITLE_LENGTH = 200  # milestone titles (and so gate conditions) are at most 200 characters


def _lang(lang: str | None) -> str:
    """'en', 'en_US', 'en-GB' → 'en'; anything else (the UI default) → 'zh'."""
    return "en" if lang and str(lang).lower().startswith("en") else "zh"


# --------------------------------------------------------------------------------------------------
# Errors


class GateError(ValueError):
    """A refused transition or invalid input.

    `code` is a short machine string for the API and tests; `message_zh` / `message_en` are shown to a
    person; `field` names the form field at fault, when one is.
    """

    def __init__(self, code: str, message_zh: str, message_en: str, field: str | None = None):
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field

    def message(self, lang: str = "zh") -> str:
        return self.message_en if _lang(lang) == "en" else self.message_zh


# --------------------------------------------------------------------------------------------------
# Enumerations and their bilingual labels


class _Labelled(StrEnum):
    """A StrEnum whose members know their zh/en label (looked up in `_LABELS`)."""

    def label(self, lang: str = "zh") -> str:
        return _LABELS[type(self)][self][_lang(lang)]


class Stage(_Labelled):
    S0 = "S0"
    S1 = "S1"
    S2 = "S2"
    S3 = "S3"
    S4 = "S4"

    @property
    def position(self) -> int:
        """0 for S0 … 4 for S4."""
        return int(self.value[1])

    def next_stage(self) -> Stage | None:
        """The stage after this one; None after S4 (passing the S4 gate means transfer)."""
        members = list(Stage)
        i = members.index(self)
        return members[i + 1] if i + 1 < len(members) else None

    def typical_trl(self, lang: str = "zh") -> str:
        return STAGE_TYPICAL_TRL[self][_lang(lang)]


class Decision(_Labelled):
    GO = "go"
    CONDITIONAL_GO = "conditional_go"
    HOLD = "hold"
    RECYCLE = "recycle"
    KILL = "kill"

    @property
    def passes(self) -> bool:
        return self in (Decision.GO, Decision.CONDITIONAL_GO)


class ProjectStatus(_Labelled):
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    KILLED = "killed"
    TRANSFERRED = "transferred"
    WITHDRAWN = "withdrawn"


class MilestoneStatus(_Labelled):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WAIVED = "waived"


class SelectionMode(_Labelled):
    OPEN_CALL = "open_call"
    HORSE_RACE = "horse_race"
    DIRECT = "direct"


class OutcomeKind(_Labelled):
    LICENCE = "licence"
    ASSIGNMENT = "assignment"
    EQUITY = "equity"
    SPINOUT = "spinout"
    FOLLOW_ON_INVESTMENT = "follow_on_investment"
    CONTRACT = "contract"


STAGE_NAMES: dict[Stage, dict[str, str]] = {
    Stage.S0: {"zh": "需求发现", "en": "Demand discovery"},
    Stage.S1: {"zh": "技术寻源", "en": "Technology sourcing"},
    Stage.S2: {"zh": "概念验证", "en": "Concept verification"},
    Stage.S3: {"zh": "场景应用", "en": "Scenario application"},
    Stage.S4: {"zh": "转化落地", "en": "Transfer"},
}

STAGE_TYPICAL_TRL: dict[Stage, dict[str, str]] = {
    Stage.S0: {"zh": "—", "en": "—"},
    Stage.S1: {"zh": "TRL 1–3 → 3", "en": "TRL 1–3 → 3"},
    Stage.S2: {"zh": "TRL 3 → 4–6", "en": "TRL 3 → 4–6"},
    Stage.S3: {"zh": "TRL 5–6 → 6–7", "en": "TRL 5–6 → 6–7"},
    Stage.S4: {"zh": "TRL ≥ 7", "en": "TRL ≥ 7"},
}

DECISION_LABELS: dict[Decision, dict[str, str]] = {
    Decision.GO: {"zh": "通过", "en": "Go"},
    Decision.CONDITIONAL_GO: {"zh": "有条件通过", "en": "Conditional go"},
    Decision.HOLD: {"zh": "暂停", "en": "Hold"},
    Decision.RECYCLE: {"zh": "返工", "en": "Recycle"},
    Decision.KILL: {"zh": "终止", "en": "Kill"},
}

PROJECT_STATUS_LABELS: dict[ProjectStatus, dict[str, str]] = {
    ProjectStatus.ACTIVE: {"zh": "进行中", "en": "Active"},
    ProjectStatus.ON_HOLD: {"zh": "已暂停", "en": "On hold"},
    ProjectStatus.KILLED: {"zh": "已终止", "en": "Killed"},
    ProjectStatus.TRANSFERRED: {"zh": "已转化", "en": "Transferred"},
    ProjectStatus.WITHDRAWN: {"zh": "已撤回", "en": "Withdrawn"},
}

MILESTONE_STATUS_LABELS: dict[MilestoneStatus, dict[str, str]] = {
    MilestoneStatus.PLANNED: {"zh": "计划中", "en": "Planned"},
    MilestoneStatus.IN_PROGRESS: {"zh": "进行中", "en": "In progress"},
    MilestoneStatus.DONE: {"zh": "已完成", "en": "Done"},
    MilestoneStatus.WAIVED: {"zh": "已豁免", "en": "Waived"},
}

SELECTION_MODE_LABELS: dict[SelectionMode, dict[str, str]] = {
    SelectionMode.OPEN_CALL: {"zh": "揭榜挂帅", "en": "Open call"},
    SelectionMode.HORSE_RACE: {"zh": "赛马制", "en": "Horse race"},
    SelectionMode.DIRECT: {"zh": "定向委托", "en": "Direct commission"},
}

OUTCOME_KIND_LABELS: dict[OutcomeKind, dict[str, str]] = {
    OutcomeKind.LICENCE: {"zh": "许可", "en": "Licence"},
    OutcomeKind.ASSIGNMENT: {"zh": "转让", "en": "Assignment"},
    OutcomeKind.EQUITY: {"zh": "作价投资", "en": "Equity investment"},
    OutcomeKind.SPINOUT: {"zh": "衍生企业", "en": "Spin-out"},
    OutcomeKind.FOLLOW_ON_INVESTMENT: {"zh": "后续融资", "en": "Follow-on investment"},
    OutcomeKind.CONTRACT: {"zh": "技术合同", "en": "Technology contract"},
}

_LABELS: dict[type, Mapping] = {
    Stage: STAGE_NAMES,
    Decision: DECISION_LABELS,
    ProjectStatus: PROJECT_STATUS_LABELS,
    MilestoneStatus: MILESTONE_STATUS_LABELS,
    SelectionMode: SELECTION_MODE_LABELS,
    OutcomeKind: OUTCOME_KIND_LABELS,
}


def stage_name(stage: Stage | str, lang: str = "zh") -> str:
    return STAGE_NAMES[_coerce(Stage, stage, "unknown_stage", "stage")][_lang(lang)]


def gate_target(stage: Stage | str) -> Stage | None:
    """Where a passing gate out of `stage` leads: the next stage, or None at S4 (transfer)."""
    return _coerce(Stage, stage, "unknown_stage", "stage").next_stage()


# --------------------------------------------------------------------------------------------------
# Default gate templates (DESIGN §3 table): the must-meet milestones to leave each stage


@dataclass(frozen=True, slots=True)
class TemplateItem:
    title_zh: str
    title_en: str
    deliverable_zh: str = ""
    deliverable_en: str = ""

    def title(self, lang: str = "zh") -> str:
        return self.title_en if _lang(lang) == "en" else self.title_zh

    def deliverable(self, lang: str = "zh") -> str:
        return self.deliverable_en if _lang(lang) == "en" else self.deliverable_zh


DEFAULT_GATE_TEMPLATES: dict[Stage, tuple[TemplateItem, ...]] = {
    Stage.S0: (
        TemplateItem("明确需求方或应用场景", "Named demand owner or application scenario",
                     "需求方确认函或场景说明", "Demand owner's confirmation or scenario description"),
        TemplateItem("符合平台领域方向", "Fits the platform's field",
                     "领域符合性说明", "Statement of fit with the platform's field"),
    ),
    Stage.S1: (
        TemplateItem("知识产权权属清晰", "IP ownership clear",
                     "专利/软著清单及权属证明", "List of patents/software copyrights with proof of ownership"),
        TemplateItem("TRL≥3 的证据", "Evidence of TRL ≥ 3",
                     "关键功能实验验证报告", "Experimental proof-of-concept report for the critical function"),
    ),
    Stage.S2: (
        TemplateItem("实验室/相关环境验证报告", "Validation report in laboratory/relevant environment",
                     "技术验证报告", "Technical validation report"),
        TemplateItem("市场验证（客户访谈）", "Market validation (customer interviews)",
                     "客户访谈记录与市场分析", "Customer interview records and market analysis"),
    ),
    Stage.S3: (
        TemplateItem("真实或相关场景原型演示及用户证明函",
                     "Prototype demonstrated in a real or relevant scenario, with a user letter",
                     "演示记录及用户证明函", "Demonstration record and user letter"),
    ),
    Stage.S4: (
        TemplateItem("签署许可/转让/作价投资合同或注册衍生企业",
                     "Licence/assignment/equity contract signed, or spin-out registered",
                     "合同文本或企业营业执照", "Signed contract or the spin-out's business licence"),
    ),
}


# --------------------------------------------------------------------------------------------------
# Status rules


_READ_ONLY = frozenset({ProjectStatus.KILLED, ProjectStatus.TRANSFERRED, ProjectStatus.WITHDRAWN})
_CLOSED_MILESTONE = frozenset({MilestoneStatus.DONE, MilestoneStatus.WAIVED})


def _coerce(enum_cls: type, value: Any, code: str, field_name: str | None):
    try:
        return enum_cls(value)
    except ValueError:
        raise GateError(code, f"无效的取值：{value!r}", f"Invalid value: {value!r}", field_name) from None


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
    """Whether a gate review may be requested now; `code` is "ok" or the reason for refusal."""

    ok: bool
    code: str
    message_zh: str
    message_en: str
    blockers: tuple[Any, ...] = ()

    def message(self, lang: str = "zh") -> str:
        return self.message_en if _lang(lang) == "en" else self.message_zh

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
    if status is not ProjectStatus.ACTIVE:
        return GateCheck(
            False, "not_active",
            f"项目状态为「{status.label('zh')}」，不能申请阶段评审。",
            f"The project is {status.label('en').lower()}; a gate review cannot be requested.",
        )
    if has_pending_review:
        return GateCheck(
            False, "review_pending",
            "该项目已有待决策的阶段评审。",
            "A gate review for this project is already pending.",
        )
    blockers = gate_blockers(current, milestones)
    if blockers:
        titles_zh = "、".join(str(_attr(m, "title")) for m in blockers)
        titles_en = "; ".join(str(_attr(m, "title")) for m in blockers)
        return GateCheck(
            False, "blockers",
            f"{current.value}「{current.label('zh')}」阶段还有 {len(blockers)} 项必达里程碑未完成或豁免：{titles_zh}",
            f"{len(blockers)} must-meet milestone(s) of {current.value} {current.label('en')} are neither "
            f"done nor waived: {titles_en}",
            tuple(blockers),
        )
    target = current.next_stage()
    to_zh = f"{target.value}「{target.label('zh')}」" if target else "转化"
    to_en = f"{target.value} {target.label('en')}" if target else "transfer"
    return GateCheck(
        True, "ok",
        f"可以申请 {current.value} → {to_zh} 阶段评审。",
        f"A gate review {current.value} → {to_en} may be requested.",
    )


# --------------------------------------------------------------------------------------------------
# Deciding a gate


@dataclass(frozen=True, slots=True)
class NewMilestone:
    """A must-meet milestone the service must create after a decision.

    `reason` is "condition" (a conditional_go condition, title as the gatekeeper wrote it, in both
    language slots) or "rework" (recycle; generated bilingual title).
    """

    stage: Stage
    title_zh: str
    title_en: str
    due_on: date | None = None
    is_gate_criterion: bool = True
    reason: str = "condition"

    @property
    def title(self) -> str:
        return self.title_zh

    def title_for(self, lang: str = "zh") -> str:
        return self.title_en if _lang(lang) == "en" else self.title_zh


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
            raise GateError("condition_empty", "条件标题不能为空。", "A condition title may not be blank.",
                            "conditions")
        title = raw.strip()
        if len(title) > MAX_TITLE_LENGTH:
            raise GateError(
                "condition_too_long",
                f"条件标题不能超过 {MAX_TITLE_LENGTH} 个字符。",
                f"A condition title may be at most {MAX_TITLE_LENGTH} characters.",
                "conditions",
            )
        if title in cleaned:
            raise GateError("condition_duplicate", f"条件重复：{title}", f"Duplicate condition: {title}",
                            "conditions")
        cleaned.append(title)
    if not cleaned:
        raise GateError("conditions_required", "有条件通过须至少列出一项条件。",
                        "A conditional go needs at least one condition.", "conditions")
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
            raise GateError("invalid_trl", f"无效的 TRL：{v!r}", f"Invalid TRL: {v!r}", "trl_claimed")
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
    """What a gate decision does to a project (DESIGN §3). Raises GateError for illegal combinations.

    go → next stage; conditional_go → next stage + one must-meet milestone there per condition;
    go at S4 → transferred (stage stays S4), conditional_go at S4 → refused (no next stage);
    hold → on_hold; recycle → same stage + one must-meet rework milestone due `rework_due_on`;
    kill → killed. Only an active project can receive a decision.
    """
    dec = _coerce(Decision, decision, "unknown_decision", "decision")
    current = _coerce(Stage, stage, "unknown_stage", "stage")
    st = _coerce(ProjectStatus, status, "unknown_status", "status")

    if st is not ProjectStatus.ACTIVE:
        raise GateError(
            "not_active",
            f"项目状态为「{st.label('zh')}」，不能作出阶段评审决策。",
            f"The project is {st.label('en').lower()}; it cannot receive a gate decision.",
        )

    if isinstance(conditions, str):
        raise TypeError("conditions must be an iterable of titles, not a single string")
    conditions = list(conditions)
    if dec is not Decision.CONDITIONAL_GO and any(
        c is not None and str(c).strip() for c in conditions
    ):
        raise GateError("conditions_not_allowed", "只有「有条件通过」可以附带条件。",
                        "Only a conditional go may carry conditions.", "conditions")
    if dec is not Decision.RECYCLE and rework_due_on is not None:
        raise GateError("rework_date_not_allowed", "只有「返工」需要返工截止日期。",
                        "Only a recycle takes a rework due date.", "rework_due_on")

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
            raise GateError(
                "no_next_stage",
                "S4 阶段之后没有下一阶段，无法承接条件；请选择「通过」或「返工」。",
                "There is no stage after S4 to carry conditions; choose go or recycle.",
                "decision",
            )
        titles = clean_conditions(conditions)
        new = tuple(NewMilestone(target, t, t, None, True, "condition") for t in titles)
        return GateOutcome(dec, current, target, ProjectStatus.ACTIVE,
                           passing_trl(current_trl, claimed_trls), True, new)

    if dec is Decision.HOLD:
        return GateOutcome(dec, current, current, ProjectStatus.ON_HOLD, trl_unchanged, False)

    if dec is Decision.RECYCLE:
        if rework_due_on is None:
            raise GateError("rework_date_required", "返工须指定新的截止日期。",
                            "A recycle needs a new due date for the rework.", "rework_due_on")
        if isinstance(rework_due_on, datetime) or not isinstance(rework_due_on, date):
            raise GateError("rework_date_invalid", "返工截止日期无效。", "The rework due date is invalid.",
                            "rework_due_on")
        rework = NewMilestone(
            current,
            f"返工：{STAGE_NAMES[current]['zh']}",
            f"Rework: {STAGE_NAMES[current]['en']}",
            rework_due_on,
            True,
            "rework",
        )
        return GateOutcome(dec, current, current, ProjectStatus.ACTIVE, trl_unchanged, False, (rework,))

    # Decision.KILL
    return GateOutcome(dec, current, current, ProjectStatus.KILLED, trl_unchanged, False)


def resume(status: ProjectStatus | str) -> ProjectStatus:
    """An admin resumes a held project: on_hold → active; anything else is refused."""
    st = _coerce(ProjectStatus, status, "unknown_status", "status")
    if st is not ProjectStatus.ON_HOLD:
        raise GateError(
            "not_on_hold",
            f"只有已暂停的项目可以恢复（当前：{st.label('zh')}）。",
            f"Only a project on hold can be resumed (currently {st.label('en').lower()}).",
        )
    return ProjectStatus.ACTIVE


# --------------------------------------------------------------------------------------------------
# Date checks for milestone forms / API


def _require_date(value: Any, field_name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise GateError("date_invalid", "日期无效。", "Invalid date.", field_name)
    return value


def validate_completion(completed_on: date | None, today: date) -> date | None:
    """A completion date may not lie in the future (DESIGN §3). None passes through."""
    if completed_on is None:
        return None
    _require_date(completed_on, "completed_on")
    if completed_on > today:
        raise GateError("completion_in_future", "完成日期不能晚于今天。",
                        "The completion date may not be in the future.", "completed_on")
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
