"""How eligibility figures and rules are shown to people (labels in the user's language)."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...i18n import label
from ...messages import RULE_PARAMETERS

RULE_NAMES = {
    "R1_MIN_REVIEWS": _l("R1 Minimum reviews"),
    "R2_GRADE": _l("R2 Grade"),
    "R3_DIMENSION_FLOOR": _l("R3 Dimension floor"),
    "R4_MILESTONES": _l("R4 Milestones"),
    "R5_ACTIVITY": _l("R5 Gate activity"),
    "R6_INTEGRITY": _l("R6 Integrity"),
    "R7_STATUS": _l("R7 Platform status"),
}

FIGURES = {
    "n_reviews": _l("Counted reviews"),
    "min_reviews": _l("Required reviews"),
    "total": _l("Total"),
    "rank": _l("Rank"),
    "n_scored": _l("Scored platforms"),
    "grade": _l("Grade"),
    "excellent": _l("Excellent threshold"),
    "good": _l("Good threshold"),
    "pass": _l("Pass threshold"),
    "top_share_pct": _l("Share eligible for Excellent (%)"),
    "top_rank_cutoff": _l("Last rank inside the top share"),
    "floor_pct": _l("Dimension floor (% of maximum)"),
    "below": _l("Dimensions below the floor"),
    "max_must_meet_overdue_days": _l("Longest must-meet overdue (days)"),
    "overdue_days_limit": _l("Overdue limit (days)"),
    "due_in_window": _l("Milestones due in the window"),
    "on_time_in_window": _l("Done on time"),
    "on_time_rate_pct": _l("On-time rate (%)"),
    "min_on_time_rate_pct": _l("Required on-time rate (%)"),
    "gates_passed": _l("Gates passed in the window"),
    "min_gates_passed": _l("Required gates passed"),
    "integrity_flag": _l("Integrity flag"),
    "status": _l("Platform status"),
}

# the what-if parameters, in form order (names of domain.eligibility.RuleSet)
PARAMETERS = RULE_PARAMETERS


def rule_name(code: str) -> str:
    return str(RULE_NAMES.get(code, code))


def figure_label(key: str) -> str:
    if key in FIGURES:
        return str(FIGURES[key])
    for suffix, text in (("_mean", _l("%(dimension)s: mean")), ("_max", _l("%(dimension)s: maximum")),
                         ("_floor", _l("%(dimension)s: floor"))):
        if key.endswith(suffix):
            dimension = key[: -len(suffix)]
            return str(text) % {"dimension": label(dimension, "Dimension")}
    return key


def figure_value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key == "grade":
        return label(value, "Grade")
    if key == "status":
        return label(value, "PlatformStatus")
    if key == "below":
        return "、".join(label(d, "Dimension") for d in str(value).split(",") if d)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


_ORDER = {key: i for i, key in enumerate(FIGURES)}
_DIMENSION_ORDER = ("verification", "service", "operating")
_SUFFIX_ORDER = ("_mean", "_max", "_floor")


def _order(key: str) -> tuple[int, int, int, str]:
    if key in _ORDER:
        return (0, _ORDER[key], 0, key)
    for i, dim in enumerate(_DIMENSION_ORDER):
        for j, suffix in enumerate(_SUFFIX_ORDER):
            if key == dim + suffix:
                return (1, i, j, key)
    return (2, 0, 0, key)


def figures(reason: dict) -> list[tuple[str, str]]:
    """The figures that decided a rule, labelled, in a stable order (live and frozen alike)."""
    items = sorted(reason.get("figures", {}).items(), key=lambda kv: _order(kv[0]))
    return [(figure_label(k), figure_value(k, v)) for k, v in items]


def detail(reason: dict, lang: str) -> str:
    return reason["detail_en"] if lang == "en" else reason["detail_zh"]
