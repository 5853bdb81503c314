"""The words of the domain's refusals: a `DomainError` code and its values → a sentence in the reader's
language (gettext, lazily: rendered when the response is built). The domain itself only names codes
(`platform_mgr/domain/errors.py`).
"""
from __future__ import annotations

from typing import Any

from flask_babel import LazyString, gettext
from flask_babel import lazy_gettext as _l

from .domain.errors import DomainError
from .enums import Labelled
from .i18n import N_, LazyLabel, lang_code

#: the parameters of an eligibility rule set (names of `domain.eligibility.RuleSet`), in form order
RULE_PARAMETERS = {
    "excellent": _l("Excellent threshold"),
    "good": _l("Good threshold"),
    "pass_": _l("Pass threshold"),
    "top_share_pct": _l("Share of platforms eligible for Excellent (%)"),
    "min_reviews": _l("Minimum counted reviews"),
    "dimension_floor_pct": _l("Dimension floor (% of maximum)"),
    "overdue_days": _l("Maximum days a must-meet milestone may be overdue"),
    "on_time_rate_pct": _l("Minimum on-time milestone rate (%)"),
    "min_gates_passed": _l("Minimum gates passed in the window"),
    "dispute_spread": _l("Dispute spread (points)"),
    "tier_a_cap": _l("Tier A cap (yuan)"),
    "tier_b_cap": _l("Tier B cap (yuan)"),
}

MESSAGES: dict[str, str] = {  # msgids; the catalog holds their Chinese
    # values that are not one of an enumeration's (a stage, a status, a decision)
    "unknown_stage": N_("This value is not one of the allowed choices."),
    "unknown_status": N_("This value is not one of the allowed choices."),
    "unknown_decision": N_("This value is not one of the allowed choices."),
    "date_invalid": N_("Enter a date as YYYY-MM-DD."),
    # gates (domain/gates.py)
    "condition_empty": N_("A condition title may not be blank."),
    "condition_too_long": N_("A condition title may be at most %(max)d characters."),
    "condition_duplicate": N_("Duplicate condition: %(title)s"),
    "conditions_required": N_("A conditional go needs at least one condition."),
    "conditions_not_allowed": N_("Only a conditional go may carry conditions."),
    "invalid_trl": N_("Invalid TRL: %(value)s"),
    "not_active": N_("The project's status is %(status)s; it cannot receive a gate decision."),
    "no_next_stage": N_("There is no stage after S4 to carry conditions; choose go or recycle."),
    "rework_date_required": N_("A recycle needs a new due date for the rework."),
    "rework_date_invalid": N_("Enter a date as YYYY-MM-DD."),
    "rework_date_not_allowed": N_("Only a recycle takes a rework due date."),
    "not_on_hold": N_("Only a project on hold can be resumed (its status is %(status)s)."),
    "completion_in_future": N_("The completion date may not be in the future."),
    # eligibility rule sets (domain/eligibility.py)
    "rules_not_object": N_("Rule overrides must be an object"),
    "rule_unknown": N_("Unknown rule parameter: %(name)s"),
    "rule_twice": N_("Rule parameter given twice: %(name)s"),
    "rule_not_whole": N_("%(name)s must be a whole number"),
    "rule_out_of_range": N_("%(name)s must be between %(low)s and %(high)s"),
    "good_above_excellent": N_("The Good threshold cannot be above the Excellent threshold"),
    "pass_above_good": N_("The Pass threshold cannot be above the Good threshold"),
    "tier_b_above_a": N_("The tier B cap cannot be above the tier A cap"),
    # points and scores (domain/rubric.py)
    "points_invalid": N_("Points must be a number"),
    "points_negative": N_("Points cannot be negative"),
    "points_too_large": N_("Points are too large"),
    "points_too_many_decimals": N_("Points allow at most one decimal place"),
    "score_missing": N_("Criterion %(code)s has not been scored"),
    "score_out_of_range": N_("Points for %(code)s must be between 0 and %(max)s"),
    "unknown_criterion": N_("The rubric has no criterion %(code)s"),
}


def _shown(value: Any) -> Any:
    """A value as a sentence shows it: an enum member by its label in the reader's language."""
    if isinstance(value, Labelled):
        return LazyLabel(value)
    return value


def message_for(error: DomainError) -> Any:
    """The sentence for a domain refusal, in the language of the response that shows it."""
    msgid = MESSAGES.get(error.code)
    if msgid is None:  # a code without words is a programming error; still say something useful
        return _l("This value is not valid.")
    params = {k: _shown(v) for k, v in error.params.items()}
    if "name" in params and params["name"] in RULE_PARAMETERS:
        params["name"] = RULE_PARAMETERS[params["name"]]
    return _l(msgid, **params)


def _gate_check_text(check) -> str:
    stage = check.stage.label(lang_code())
    if check.code == "not_active":
        return gettext("The project's status is %(status)s; a gate review cannot be requested.",
                       status=check.status.label(lang_code()))
    if check.code == "review_pending":
        return gettext("A gate review for this project is already pending.")
    if check.code == "blockers":
        titles = ("、" if lang_code() == "zh" else "; ").join(check.blocker_titles)
        return gettext("%(n)d must-meet milestone(s) of %(stage)s are neither done nor waived: %(titles)s",
                       n=len(check.blockers), stage=stage, titles=titles)
    end = check.target.label(lang_code()) if check.target else gettext("transfer")
    return gettext("A gate review %(start)s → %(end)s may be requested.", start=stage, end=end)


def gate_check_message(check) -> LazyString:
    """Why the gate out of a project's stage may or may not be requested now (the project page, the 409)."""
    return LazyString(_gate_check_text, check)
