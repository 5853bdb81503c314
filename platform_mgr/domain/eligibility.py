"""Funding eligibility: the rule set, the seven rules, verdicts, awards and the frozen snapshot (DESIGN §5).

`evaluate(rules, facts_list, budget_yuan)` is a pure function of plain values.  Every row carries every
rule's outcome with the figures that decided it and a full sentence in Chinese and English, so a
grade, verdict or award can be traced back to scores, rules and data.  `EligibilityRow.to_dict()` written
with `platform_mgr.canonical.canonical_json` gives bytes that are identical whenever the inputs are,
whatever their order.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from platform_mgr.domain.rubric import Dimension
from platform_mgr.domain.scoring import Grade, PlatformResult, grade_for, round2, round_half_up, top_cutoff

from ..bilingual import Bilingual
from ..enums import PlatformStatus, RuleCode, Tier, Verdict  # noqa: F401  (re-exported)
from .errors import DomainError

__all__ = [
    "EligibilityRow",
    "MilestoneFigures",
    "PlatformFacts",
    "RuleCode",
    "RuleResult",
    "RuleSet",
    "RuleSetError",
    "Tier",
    "Verdict",
    "evaluate",
    "milestone_figures",
    "rank_facts",
]


# failures that still allow a conditional verdict (when R2 passes): remediable within the cycle
_REMEDIABLE = frozenset({RuleCode.R4_MILESTONES, RuleCode.R5_ACTIVITY})


# --------------------------------------------------------------------------------------------------
# rule set


#: an invalid rule-set override: a DomainError whose `field` is the parameter name (as in `RuleSet.to_dict()`)
RuleSetError = DomainError

# name → (lowest, highest); every parameter is a whole number (their names for people: messages.RULE_PARAMETERS)
PARAMETER_RANGES: dict[str, tuple[int, int]] = {
    "min_reviews": (1, 100),
    "dimension_floor_pct": (0, 100),
    "overdue_days": (0, 3650),
    "on_time_rate_pct": (0, 100),
    "min_gates_passed": (0, 1000),
    "tier_a_cap": (0, 10**12),
    "tier_b_cap": (0, 10**12),
    "excellent": (0, 100),
    "good": (0, 100),
    "pass_": (0, 100),
    "top_share_pct": (0, 100),
    "dispute_spread": (0, 100),
}
_ALIASES = {"pass": "pass_"}
_DIGITS_RE = re.compile(r"\s*\d{1,13}\s*")


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """Every threshold of DESIGN §5 plus the grade thresholds; money in integer yuan, points whole.

    Constructing one validates it (`RuleSetError`); `from_overrides` applies a cycle's overrides to the
    defaults and `to_dict` gives the plain dict that a snapshot freezes (it round-trips).
    Has the attributes of `scoring.GradeThresholds`, so it can be passed to `grade_for`.
    """

    min_reviews: int = 3
    dimension_floor_pct: int = 60
    overdue_days: int = 90
    on_time_rate_pct: int = 70
    min_gates_passed: int = 1
    tier_a_cap: int = 5_000_000
    tier_b_cap: int = 2_000_000
    excellent: int = 90
    good: int = 75
    pass_: int = 60
    top_share_pct: int = 30
    dispute_spread: int = 20

    def __post_init__(self) -> None:
        for name, (low, high) in PARAMETER_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise DomainError("rule_not_whole", name, name=name)
            if not low <= value <= high:
                raise DomainError("rule_out_of_range", name, name=name, low=low, high=high)
        if self.good > self.excellent:
            raise DomainError("good_above_excellent", "good")
        if self.pass_ > self.good:
            raise DomainError("pass_above_good", "pass_")
        if self.tier_b_cap > self.tier_a_cap:
            raise DomainError("tier_b_above_a", "tier_b_cap")

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None = None) -> RuleSet:
        """Defaults with `overrides` applied.  Names must be parameters of the rule set (``pass`` is
        accepted for ``pass_``); values must be whole numbers (int, an integral float/Decimal, or a
        string of digits from a form) within range.  Raises `RuleSetError` naming the field."""
        if overrides is None:
            return cls()
        if not isinstance(overrides, Mapping):
            raise DomainError("rules_not_object", "rules")
        values: dict[str, int] = {}
        for raw_name, raw_value in overrides.items():
            name = _ALIASES.get(raw_name, raw_name)
            if name not in PARAMETER_RANGES:
                raise DomainError("rule_unknown", str(raw_name), name=str(raw_name))
            if name in values:
                raise DomainError("rule_twice", name, name=str(raw_name))
            values[name] = _whole_number(name, raw_value)
        return cls(**values)

    def to_dict(self) -> dict[str, int]:
        """Plain dict in field order; `RuleSet.from_overrides(rules.to_dict()) == rules`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _whole_number(name: str, value: Any) -> int:
    error = DomainError("rule_not_whole", name, name=name)
    if isinstance(value, bool) or value is None:
        raise error
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return int(value)
        raise error
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        raise error
    if isinstance(value, str) and _DIGITS_RE.fullmatch(value):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-\s*\d+\s*", value):
        return int(value.replace(" ", ""))  # let the range check explain that it is too small
    raise error


# --------------------------------------------------------------------------------------------------
# inputs


@dataclasses.dataclass(frozen=True)
class MilestoneFigures:
    """The milestone figures R4 needs (see `milestone_figures`)."""

    max_must_meet_overdue_days: int
    due_in_window: int
    on_time_in_window: int

    @property
    def on_time_rate(self) -> Fraction | None:
        """Exact on-time share (0..1), None when no milestone fell due in the window."""
        return Fraction(self.on_time_in_window, self.due_in_window) if self.due_in_window else None


MilestoneTuple = tuple[bool, str, dt.date | None, dt.date | None]


def _as_date(value: dt.date | None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def milestone_figures(
    milestones: Iterable[Sequence[Any]], window_start: dt.date, window_end: dt.date
) -> MilestoneFigures:
    """R4's figures from milestones given as ``(is_gate_criterion, status, due_on, completed_on)``.

    * max_must_meet_overdue_days: the largest ``window_end − due_on`` in days over must-meet
      (gate-criterion) milestones that were overdue at the window's end: due before `window_end` and
      not done by then (status not done/waived, or done with a completion date after `window_end`).
      Waived milestones never count.  0 when there is none.
    * due_in_window: milestones (all kinds) with window_start ≤ due_on ≤ window_end, waived excluded.
    * on_time_in_window: those of them that are done with completed_on ≤ due_on (a done milestone
      without a completion date cannot be shown to be on time and does not count).

    Filtering by project (e.g. leaving out killed projects) is the caller's business.
    """
    window_start, window_end = _as_date(window_start), _as_date(window_end)
    if window_start is None or window_end is None or window_start > window_end:
        raise ValueError("the window must have a start on or before its end")
    max_overdue = 0
    due = 0
    on_time = 0
    for is_gate_criterion, status, due_on, completed_on in milestones:
        due_on, completed_on = _as_date(due_on), _as_date(completed_on)
        status = str(status)
        if due_on is None or status == "waived":
            continue
        if is_gate_criterion and due_on < window_end:
            done_by_end = status == "done" and (completed_on is None or completed_on <= window_end)
            if not done_by_end:
                max_overdue = max(max_overdue, (window_end - due_on).days)
        if window_start <= due_on <= window_end:
            due += 1
            if status == "done" and completed_on is not None and completed_on <= due_on:
                on_time += 1
    return MilestoneFigures(max_must_meet_overdue_days=max_overdue, due_in_window=due, on_time_in_window=on_time)


@dataclasses.dataclass(frozen=True)
class PlatformFacts:
    """Everything `evaluate` needs about one platform.

    `result` is the platform's `scoring.PlatformResult` (None or n = 0 when unscored);
    `dimension_max` maps each dimension to its maximum in *points* (`rubric.dimension_max_points`);
    `gates_passed_in_window` counts gate decisions go / conditional_go dated inside the data window.
    """

    platform_id: Hashable
    code: str
    field: str
    origin: str
    status: str
    integrity_flag: bool
    result: PlatformResult | None
    dimension_max: Mapping[Dimension | str, int | Decimal | Fraction]
    milestones: MilestoneFigures
    gates_passed_in_window: int

    @property
    def scored(self) -> bool:
        return self.result is not None and self.result.n > 0 and self.result.total_exact is not None


# --------------------------------------------------------------------------------------------------
# outputs


@dataclasses.dataclass(frozen=True)
class RuleResult:
    rule: RuleCode
    passed: bool
    figures: dict[str, Any]
    detail_zh: str
    detail_en: str

    def detail(self, lang: str = "zh") -> str:
        return Bilingual(self.detail_zh, self.detail_en).text(lang)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": str(self.rule),
            "passed": self.passed,
            "figures": dict(self.figures),
            "detail_zh": self.detail_zh,
            "detail_en": self.detail_en,
        }


@dataclasses.dataclass(frozen=True)
class EligibilityRow:
    """One platform's eligibility; `reasons` holds all seven rules in R1…R7 order."""

    platform_id: Hashable
    code: str
    rank: int | None
    total: Decimal | None
    grade: Grade | None
    verdict: Verdict
    tier: Tier | None
    award: int
    disputed: bool
    reasons: tuple[RuleResult, ...]

    def reason(self, rule: RuleCode | str) -> RuleResult:
        for r in self.reasons:
            if r.rule == rule:
                return r
        raise KeyError(rule)

    @property
    def failed_rules(self) -> tuple[RuleCode, ...]:
        return tuple(r.rule for r in self.reasons if not r.passed)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, keys in a stable order (the order of the eligibility API)."""
        return {
            "platform_id": self.platform_id,
            "code": self.code,
            "rank": self.rank,
            "total": None if self.total is None else float(self.total),
            "grade": None if self.grade is None else str(self.grade),
            "verdict": str(self.verdict),
            "tier": None if self.tier is None else str(self.tier),
            "award": self.award,
            "disputed": self.disputed,
            "reasons": [r.to_dict() for r in self.reasons],
        }


# --------------------------------------------------------------------------------------------------
# formatting helpers for the detail sentences


def _f2(value: Fraction | Decimal | int) -> str:
    """Two decimals, half-up: 87.5 → '87.50'."""
    return f"{round2(value):.2f}"


def _f2_against(value: Fraction | Decimal | int, *thresholds: Fraction | Decimal | int) -> str:
    """Two decimals, or as many more as it takes for the shown figure to sit on the same side of every
    threshold as the exact value (89.995 is shown as '89.995', not '90.00', next to a threshold of 90)."""
    exact = Fraction(value)
    limits = [Fraction(t) for t in thresholds]
    for places in range(2, 10):
        shown = round_half_up(exact, places)
        if all((Fraction(shown) >= t) == (exact >= t) for t in limits):
            return f"{shown:.{places}f}"
    return f"{round_half_up(exact, 10):.10f}"


def _num(value: Fraction | Decimal | int) -> str:
    """A maximum or threshold without needless decimals: 30 → '30', 7.5 → '7.5'."""
    exact = Fraction(value)
    if exact.denominator == 1:
        return str(exact.numerator)
    return format(round2(exact).normalize(), "f")


def _json_num(value: Fraction | Decimal | int) -> int | float:
    exact = Fraction(value)
    if exact.denominator == 1:
        return exact.numerator
    return float(round2(exact))


def _status_words(status: str) -> tuple[str, str]:
    """A platform status as the R7 sentence names it: the label in Chinese, lower case in English."""
    try:
        member = PlatformStatus(status)
    except ValueError:
        return status, status
    return member.zh, member.en.lower()


def _dimension_names(key: Dimension | str) -> tuple[str, str, str]:
    try:
        dim = Dimension(key)
    except ValueError:
        return str(key), str(key), str(key)
    return dim.value, dim.zh, dim.en


# --------------------------------------------------------------------------------------------------
# the rules


def _r1(rules: RuleSet, facts: PlatformFacts) -> RuleResult:
    n = facts.result.n if facts.result is not None else 0
    passed = n >= rules.min_reviews
    return RuleResult(
        RuleCode.R1_MIN_REVIEWS, passed,
        {"n_reviews": n, "min_reviews": rules.min_reviews},
        f"有效评审 {n} 份，要求至少 {rules.min_reviews} 份",
        f"{n} counted review{'s' if n != 1 else ''}; at least {rules.min_reviews} required",
    )


def _r2(rules: RuleSet, facts: PlatformFacts, rank: int | None, n_scored: int, grade: Grade | None) -> RuleResult:
    cutoff = top_cutoff(n_scored, rules.top_share_pct)
    figures: dict[str, Any] = {
        "total": None, "rank": rank, "n_scored": n_scored, "grade": None,
        "excellent": rules.excellent, "good": rules.good, "pass": rules.pass_,
        "top_share_pct": rules.top_share_pct, "top_rank_cutoff": cutoff,
    }
    if grade is None or not facts.scored:
        return RuleResult(RuleCode.R2_GRADE, False, figures,
                          "无有效评审，未评定等级，不具备资助资格",
                          "No counted review, so no grade; not eligible for funding")
    total = facts.result.total_exact  # type: ignore[union-attr]
    figures["total"] = float(round2(total))
    figures["grade"] = str(grade)
    t = _f2_against(total, rules.excellent, rules.good, rules.pass_)
    top_zh = f"前 {rules.top_share_pct}%（共 {n_scored} 个已评分平台中的前 {cutoff} 名）"
    top_en = f"the top {rules.top_share_pct}% (first {cutoff} of {n_scored} scored platforms)"
    if grade is Grade.EXCELLENT:
        zh = f"总分 {t}，达到优秀分数线 {rules.excellent}，排名第 {rank} 位，在{top_zh}之内，评为优秀，对应 A 档"
        en = (f"Total {t} reaches the Excellent threshold {rules.excellent} and rank {rank} is within {top_en}: "
              f"grade Excellent, tier A")
    elif grade is Grade.GOOD and total >= rules.excellent:
        zh = f"总分 {t}，达到优秀分数线 {rules.excellent}，但排名第 {rank} 位，不在{top_zh}之内，评为良好，对应 B 档"
        en = (f"Total {t} reaches the Excellent threshold {rules.excellent} but rank {rank} is outside {top_en}: "
              f"grade Good, tier B")
    elif grade is Grade.GOOD:
        zh = f"总分 {t}，达到良好分数线 {rules.good}（优秀分数线 {rules.excellent}），评为良好，对应 B 档"
        en = f"Total {t} reaches the Good threshold {rules.good} (Excellent: {rules.excellent}): grade Good, tier B"
    elif grade is Grade.PASS:
        zh = f"总分 {t}，低于良好分数线 {rules.good}，评为合格，不具备资助资格"
        en = f"Total {t} is below the Good threshold {rules.good}: grade Pass, not eligible for funding"
    else:
        zh = f"总分 {t}，低于合格分数线 {rules.pass_}，评为不合格，不具备资助资格"
        en = f"Total {t} is below the Pass threshold {rules.pass_}: grade Fail, not eligible for funding"
    return RuleResult(RuleCode.R2_GRADE, grade in (Grade.EXCELLENT, Grade.GOOD), figures, zh, en)


def _ordered_dimensions(keys: Iterable[Dimension | str]) -> list[Dimension | str]:
    keys = list(keys)
    known = [d for d in Dimension if d in keys]
    return known + sorted((k for k in keys if k not in known), key=str)


def _r3(rules: RuleSet, facts: PlatformFacts) -> RuleResult:
    pct = rules.dimension_floor_pct
    figures: dict[str, Any] = {"floor_pct": pct}
    if not facts.scored:
        return RuleResult(RuleCode.R3_DIMENSION_FLOOR, False, figures,
                          "无有效评审，无法核对各维度得分",
                          "No counted review, so the dimension scores cannot be checked")
    if not facts.dimension_max:
        raise ValueError(f"platform {facts.code}: dimension_max is empty")
    means = facts.result.dimensions_exact  # type: ignore[union-attr]
    all_zh, all_en, low_zh, low_en, below = [], [], [], [], []
    for key in _ordered_dimensions(facts.dimension_max):
        value, name_zh, name_en = _dimension_names(key)
        maximum = Fraction(facts.dimension_max[key])
        mean = means.get(key)
        mean = Fraction(0) if mean is None else Fraction(mean)
        floor = maximum * pct / 100
        figures[f"{value}_mean"] = float(round2(mean))
        figures[f"{value}_max"] = _json_num(maximum)
        figures[f"{value}_floor"] = _json_num(floor)
        shown = _f2_against(mean, floor)
        all_zh.append(f"{name_zh} {shown}/{_num(maximum)}（下限 {_f2(floor)}）")
        all_en.append(f"{name_en} {shown}/{_num(maximum)} (floor {_f2(floor)})")
        if mean < floor:  # exact comparison
            below.append(value)
            low_zh.append(f"{name_zh} {shown}/{_num(maximum)}，低于下限 {_f2(floor)}")
            low_en.append(f"{name_en} {shown}/{_num(maximum)} is below the floor of {_f2(floor)}")
    figures["below"] = ",".join(below)
    if below:
        return RuleResult(RuleCode.R3_DIMENSION_FLOOR, False, figures,
                          f"各维度得分须达到满分的 {pct}%：" + "；".join(low_zh),
                          f"Every dimension must reach {pct}% of its maximum: " + "; ".join(low_en))
    return RuleResult(RuleCode.R3_DIMENSION_FLOOR, True, figures,
                      f"各维度均达到满分的 {pct}%：" + "；".join(all_zh),
                      f"Every dimension reaches {pct}% of its maximum: " + "; ".join(all_en))


def _r4(rules: RuleSet, facts: PlatformFacts) -> RuleResult:
    m = facts.milestones
    overdue_ok = m.max_must_meet_overdue_days <= rules.overdue_days
    rate = m.on_time_rate
    rate_ok = rate is None or rate * 100 >= rules.on_time_rate_pct
    figures = {
        "max_must_meet_overdue_days": m.max_must_meet_overdue_days,
        "overdue_days_limit": rules.overdue_days,
        "due_in_window": m.due_in_window,
        "on_time_in_window": m.on_time_in_window,
        "on_time_rate_pct": None if rate is None else float(round2(rate * 100)),
        "min_on_time_rate_pct": rules.on_time_rate_pct,
    }
    if m.max_must_meet_overdue_days == 0:
        overdue_zh = f"窗口结束时没有逾期的必达里程碑（上限 {rules.overdue_days} 天）"
        overdue_en = f"At the window's end no must-meet milestone was overdue (limit {rules.overdue_days} days)"
    else:
        overdue_zh = (f"窗口结束时必达里程碑最长逾期 {m.max_must_meet_overdue_days} 天"
                      f"（{'未超过' if overdue_ok else '超过'}上限 {rules.overdue_days} 天）")
        overdue_en = (f"At the window's end the longest-overdue must-meet milestone was "
                      f"{m.max_must_meet_overdue_days} days overdue "
                      f"({'within' if overdue_ok else 'over'} the limit of {rules.overdue_days})")
    if rate is None:
        rate_zh = "窗口内没有到期的里程碑，不考核按期率"
        rate_en = "no milestone fell due in the window, so the on-time rate does not apply"
    else:
        shown = _f2_against(rate * 100, rules.on_time_rate_pct)
        rate_zh = (f"窗口内到期里程碑 {m.due_in_window} 个，按期完成 {m.on_time_in_window} 个，"
                   f"按期率 {shown}%（要求不低于 {rules.on_time_rate_pct}%）")
        rate_en = (f"{m.on_time_in_window} of {m.due_in_window} milestones due in the window were done on time, "
                   f"{shown}% (at least {rules.on_time_rate_pct}% required)")
    return RuleResult(RuleCode.R4_MILESTONES, overdue_ok and rate_ok, figures,
                      f"{overdue_zh}；{rate_zh}", f"{overdue_en}; {rate_en}")


def _r5(rules: RuleSet, facts: PlatformFacts) -> RuleResult:
    g = facts.gates_passed_in_window
    return RuleResult(
        RuleCode.R5_ACTIVITY, g >= rules.min_gates_passed,
        {"gates_passed": g, "min_gates_passed": rules.min_gates_passed},
        f"数据窗口内通过阶段门 {g} 次，要求至少 {rules.min_gates_passed} 次",
        f"{g} gate{'s' if g != 1 else ''} passed in the data window; at least {rules.min_gates_passed} required",
    )


def _r6(facts: PlatformFacts) -> RuleResult:
    flagged = bool(facts.integrity_flag)
    if flagged:
        return RuleResult(RuleCode.R6_INTEGRITY, False, {"integrity_flag": True},
                          "平台被标记存在诚信问题（数据造假或违规），一票否决",
                          "The platform carries an integrity flag (falsified data or a compliance breach): veto")
    return RuleResult(RuleCode.R6_INTEGRITY, True, {"integrity_flag": False},
                      "平台无诚信问题标记", "The platform carries no integrity flag")


def _r7(facts: PlatformFacts) -> RuleResult:
    status = str(facts.status)
    zh_label, en_label = _status_words(status)
    if status == "active":
        return RuleResult(RuleCode.R7_STATUS, True, {"status": status},
                          "平台状态为运行中", "The platform is active")
    return RuleResult(RuleCode.R7_STATUS, False, {"status": status},
                      f"平台状态为{zh_label}，须为运行中", f"The platform is {en_label}; it must be active")


# --------------------------------------------------------------------------------------------------
# ranking, verdicts, awards


def rank_facts(facts_list: Iterable[PlatformFacts]) -> list[tuple[PlatformFacts, int | None]]:
    """Rank order: scored platforms by exact total desc, then service-effectiveness mean desc, then code
    asc, ranked 1..n_scored; unscored platforms after them by code, with rank None."""
    facts_list = list(facts_list)
    scored = [f for f in facts_list if f.scored]
    unscored = [f for f in facts_list if not f.scored]

    def service_mean(f: PlatformFacts) -> Fraction:
        value = f.result.dimensions_exact.get(Dimension.SERVICE)  # type: ignore[union-attr]
        return Fraction(0) if value is None else Fraction(value)

    scored.sort(key=lambda f: (-f.result.total_exact, -service_mean(f), f.code))  # type: ignore[union-attr, operator]
    unscored.sort(key=lambda f: f.code)
    return [(f, i) for i, f in enumerate(scored, start=1)] + [(f, None) for f in unscored]


def _verdict(reasons: Sequence[RuleResult], grade: Grade | None) -> tuple[Verdict, Tier | None]:
    failed = {r.rule for r in reasons if not r.passed}
    if not failed:
        return Verdict.ELIGIBLE, (Tier.A if grade is Grade.EXCELLENT else Tier.B)
    if RuleCode.R2_GRADE not in failed and failed <= _REMEDIABLE:
        return Verdict.CONDITIONAL, None
    return Verdict.INELIGIBLE, None


def evaluate(rules: RuleSet, facts_list: Iterable[PlatformFacts], budget_yuan: int) -> list[EligibilityRow]:
    """Evaluate every platform against R1…R7 and allocate the budget; rows in rank order.

    Verdict: eligible (tier A for Excellent, B for Good) when all seven rules pass; conditional when R2
    passes and every failure is R4 and/or R5; ineligible otherwise.  Awards: eligible rows in rank order
    receive min(tier cap, remaining budget) until the budget is spent; everyone else 0.  `disputed` is
    recomputed from the result's min/max with `rules.dispute_spread`.  Independent of input order.
    """
    if isinstance(budget_yuan, bool) or not isinstance(budget_yuan, int) or budget_yuan < 0:
        raise ValueError("budget_yuan must be a non-negative integer number of yuan")
    facts_list = list(facts_list)
    for attr in ("platform_id", "code"):
        values = [getattr(f, attr) for f in facts_list]
        if len(set(values)) != len(values):
            raise ValueError(f"duplicate {attr} in facts_list")

    ranked = rank_facts(facts_list)
    n_scored = sum(1 for _, rank in ranked if rank is not None)
    remaining = budget_yuan
    rows: list[EligibilityRow] = []
    for facts, rank in ranked:
        result = facts.result
        grade = None
        if facts.scored and result is not None:
            grade = grade_for(result.total_exact, rank, n_scored, rules)
        reasons = (
            _r1(rules, facts),
            _r2(rules, facts, rank, n_scored, grade),
            _r3(rules, facts),
            _r4(rules, facts),
            _r5(rules, facts),
            _r6(facts),
            _r7(facts),
        )
        verdict, tier = _verdict(reasons, grade)
        award = 0
        if verdict is Verdict.ELIGIBLE:
            cap = rules.tier_a_cap if tier is Tier.A else rules.tier_b_cap
            award = min(cap, remaining)
            remaining -= award
        disputed = bool(
            facts.scored and result is not None and result.min is not None and result.max is not None
            and Fraction(result.max) - Fraction(result.min) > rules.dispute_spread
        )
        rows.append(EligibilityRow(
            platform_id=facts.platform_id,
            code=facts.code,
            rank=rank,
            total=result.total if facts.scored and result is not None else None,
            grade=grade,
            verdict=verdict,
            tier=tier,
            award=award,
            disputed=disputed,
            reasons=reasons,
        ))
    return rows
