"""Table tests for funding eligibility (DESIGN §5): rules, verdicts, ranking, awards, snapshot digest."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
from decimal import Decimal
from fractions import Fraction

import pytest

from platform_mgr import canonical
from platform_mgr.messages import MESSAGES

from platform_mgr.domain.eligibility import (
    EligibilityRow,
    MilestoneFigures,
    PlatformFacts,
    RuleCode,
    RuleSet,
    RuleSetError,
    Tier,
    Verdict,
    evaluate,
    milestone_figures,
)
from platform_mgr.domain.rubric import CriterionDef, Dimension, dimension_max_points, parse_points
from platform_mgr.domain.scoring import Grade, ReviewInput, aggregate

CJK = re.compile(r"[\u4e00-\u9fff]")

# One criterion per dimension, with the default maxima 30 / 45 / 25: a review is (V, S, O) in points.
TINY = (
    CriterionDef("V", Dimension.VERIFICATION, 300, "验证", "Verification", "", ""),
    CriterionDef("S", Dimension.SERVICE, 450, "服务", "Service", "", ""),
    CriterionDef("O", Dimension.OPERATING, 250, "运营", "Operating", "", ""),
)
DIM_MAX = dimension_max_points(TINY)

EXCELLENT_90 = [(27, 40, 23)] * 3   # 90 each; floors 18 / 27 / 15 all met
GOOD_80 = [(25, 35, 20)] * 3        # 80 each
ON_TIME = MilestoneFigures(max_must_meet_overdue_days=0, due_in_window=10, on_time_in_window=10)
FAILS = ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]


def facts(code, reviews=EXCELLENT_90, *, status="active", integrity=False, milestones=ON_TIME, gates=1,
          drafts_only=False) -> PlatformFacts:
    """Facts for platform `code` whose counted reviews are `reviews` [(V, S, O) points, …]."""
    review_inputs = [
        ReviewInput(f"r{i}", code, {"V": parse_points(v), "S": parse_points(s), "O": parse_points(o)},
                    submitted=not drafts_only, conflict=False)
        for i, (v, s, o) in enumerate(reviews)
    ]
    result = aggregate(TINY, review_inputs)[code] if review_inputs else None
    return PlatformFacts(
        platform_id=f"id-{code}", code=code, field="other", origin="bottom_up", status=status,
        integrity_flag=integrity, result=result, dimension_max=DIM_MAX, milestones=milestones,
        gates_passed_in_window=gates,
    )


def failed(row: EligibilityRow) -> list[str]:
    return [r.rule.value[:2] for r in row.reasons if not r.passed]


def only(row_facts: PlatformFacts, budget: int = 10_000_000, rules: RuleSet | None = None) -> EligibilityRow:
    (row,) = evaluate(rules or RuleSet(), [row_facts], budget)
    return row


# --- verdicts, one platform at a time (n_scored = 1, so rank 1 is inside the top 30%) --------------

@pytest.mark.parametrize(
    "platform, verdict, tier, award, failures",
    [
        pytest.param(facts("P"), Verdict.ELIGIBLE, Tier.A, 5_000_000, [], id="excellent-all-pass"),
        pytest.param(facts("P", GOOD_80), Verdict.ELIGIBLE, Tier.B, 2_000_000, [], id="good-all-pass"),
        pytest.param(facts("P", EXCELLENT_90[:2]), Verdict.INELIGIBLE, None, 0, ["R1"], id="two-reviews-of-three"),
        pytest.param(facts("P", milestones=MilestoneFigures(0, 0, 0)), Verdict.ELIGIBLE, Tier.A, 5_000_000, [],
                     id="no-milestone-due-in-window"),
        # 7 of 10 on time = 70%: exactly the minimum
        pytest.param(facts("P", milestones=MilestoneFigures(0, 10, 7)), Verdict.ELIGIBLE, Tier.A, 5_000_000, [],
                     id="on-time-exactly-70"),
        # 69 of 100 = 69% < 70%
        pytest.param(facts("P", milestones=MilestoneFigures(0, 100, 69)), Verdict.CONDITIONAL, None, 0, ["R4"],
                     id="on-time-69"),
        # 2 of 3 = 66.67%
        pytest.param(facts("P", milestones=MilestoneFigures(0, 3, 2)), Verdict.CONDITIONAL, None, 0, ["R4"],
                     id="on-time-two-thirds"),
        pytest.param(facts("P", milestones=MilestoneFigures(90, 10, 10)), Verdict.ELIGIBLE, Tier.A, 5_000_000, [],
                     id="overdue-exactly-90-days"),
        pytest.param(facts("P", milestones=MilestoneFigures(91, 10, 10)), Verdict.CONDITIONAL, None, 0, ["R4"],
                     id="overdue-91-days"),
        pytest.param(facts("P", gates=0), Verdict.CONDITIONAL, None, 0, ["R5"], id="only-R5-fails"),
        pytest.param(facts("P", gates=0, milestones=MilestoneFigures(91, 10, 10)), Verdict.CONDITIONAL, None, 0,
                     ["R4", "R5"], id="R4-and-R5-fail"),
        # operating 14 < 15 (60% of 25); total 81 → Good, but the floor fails
        pytest.param(facts("P", [(27, 40, 14)] * 3), Verdict.INELIGIBLE, None, 0, ["R3"], id="dimension-below-floor"),
        # operating mean exactly 15 = 60% of 25 passes
        pytest.param(facts("P", [(27, 40, 15)] * 3), Verdict.ELIGIBLE, Tier.B, 2_000_000, [], id="dimension-at-floor"),
        # operating (15+15+14.9)/3 = 14.9667 < 15
        pytest.param(facts("P", [(27, 40, 15), (27, 40, 15), (27, 40, "14.9")]), Verdict.INELIGIBLE, None, 0, ["R3"],
                     id="dimension-just-below-floor"),
        pytest.param(facts("P", integrity=True), Verdict.INELIGIBLE, None, 0, ["R6"], id="integrity-veto"),
        pytest.param(facts("P", status="suspended"), Verdict.INELIGIBLE, None, 0, ["R7"], id="suspended"),
        pytest.param(facts("P", status="delisted"), Verdict.INELIGIBLE, None, 0, ["R7"], id="delisted"),
        # 20 + 30 + 15 = 65 → Pass: R2 fails, so an R5 failure cannot make it conditional
        pytest.param(facts("P", [(20, 30, 15)] * 3), Verdict.INELIGIBLE, None, 0, ["R2"], id="pass-grade"),
        pytest.param(facts("P", [(20, 30, 15)] * 3, gates=0), Verdict.INELIGIBLE, None, 0, ["R2", "R5"],
                     id="pass-grade-and-no-gates"),
        # R2 passes and R5 fails, but R1 fails as well → ineligible
        pytest.param(facts("P", EXCELLENT_90[:2], gates=0), Verdict.INELIGIBLE, None, 0, ["R1", "R5"],
                     id="too-few-reviews-and-no-gates"),
        pytest.param(facts("P", integrity=True, gates=0), Verdict.INELIGIBLE, None, 0, ["R5", "R6"],
                     id="veto-is-not-remediable"),
        # 10 + 20 + 10 = 40 → Fail, and every dimension is below its floor
        pytest.param(facts("P", [(10, 20, 10)] * 3), Verdict.INELIGIBLE, None, 0, ["R2", "R3"], id="fail-grade"),
        pytest.param(facts("P", []), Verdict.INELIGIBLE, None, 0, ["R1", "R2", "R3"], id="no-result"),
        pytest.param(facts("P", EXCELLENT_90, drafts_only=True), Verdict.INELIGIBLE, None, 0, ["R1", "R2", "R3"],
                     id="drafts-only"),
    ],
)
def test_verdict(platform, verdict, tier, award, failures):
    row = only(platform)
    assert (row.verdict, row.tier, row.award, failed(row)) == (verdict, tier, award, failures)
    assert [r.rule for r in row.reasons] == list(RuleCode)


def test_unscored_platform_row():
    row = only(facts("P", []))
    assert (row.rank, row.total, row.grade, row.disputed) == (None, None, None, False)
    assert row.reason(RuleCode.R1_MIN_REVIEWS).figures == {"n_reviews": 0, "min_reviews": 3}


# --- figures and sentences ----------------------------------------------------------------------

def test_r1_sentence_carries_the_figures():
    r1 = only(facts("P", EXCELLENT_90[:2])).reason(RuleCode.R1_MIN_REVIEWS)
    assert r1.figures == {"n_reviews": 2, "min_reviews": 3}
    assert r1.detail_zh == "有效评审 2 份，要求至少 3 份"
    assert r1.detail_en == "2 counted reviews; at least 3 required"


def test_r4_figures_at_exactly_seventy_percent():
    r4 = only(facts("P", milestones=MilestoneFigures(90, 10, 7))).reason(RuleCode.R4_MILESTONES)
    assert r4.passed
    assert r4.figures == {
        "max_must_meet_overdue_days": 90, "overdue_days_limit": 90, "due_in_window": 10,
        "on_time_in_window": 7, "on_time_rate_pct": 70.0, "min_on_time_rate_pct": 70,
    }
    assert "70.00%" in r4.detail_zh and "70.00%" in r4.detail_en
    assert "90 天" in r4.detail_zh and "7 of 10" in r4.detail_en


def test_r4_without_due_milestones_says_the_rate_does_not_apply():
    r4 = only(facts("P", milestones=MilestoneFigures(0, 0, 0))).reason(RuleCode.R4_MILESTONES)
    assert r4.passed and r4.figures["on_time_rate_pct"] is None
    assert "不考核按期率" in r4.detail_zh and "does not apply" in r4.detail_en
    assert "没有逾期的必达里程碑" in r4.detail_zh and "no must-meet milestone was overdue" in r4.detail_en


def test_r4_sentence_for_an_overdue_milestone():
    r4 = only(facts("P", milestones=MilestoneFigures(91, 4, 1))).reason(RuleCode.R4_MILESTONES)
    assert not r4.passed
    assert r4.detail_zh == ("窗口结束时必达里程碑最长逾期 91 天（超过上限 90 天）；"
                            "窗口内到期里程碑 4 个，按期完成 1 个，按期率 25.00%（要求不低于 70%）")
    assert r4.detail_en == ("At the window's end the longest-overdue must-meet milestone was 91 days overdue "
                            "(over the limit of 90); 1 of 4 milestones due in the window were done on time, "
                            "25.00% (at least 70% required)")


def test_r3_names_the_dimension_below_its_floor():
    r3 = only(facts("P", [(27, 40, 14)] * 3)).reason(RuleCode.R3_DIMENSION_FLOOR)
    assert r3.figures["operating_mean"] == 14.0 and r3.figures["operating_floor"] == 15
    assert r3.figures["verification_floor"] == 18 and r3.figures["service_floor"] == 27
    assert r3.figures["below"] == "operating"
    assert "运营模式 14.00/25，低于下限 15.00" in r3.detail_zh
    assert "Operating model 14.00/25 is below the floor of 15.00" in r3.detail_en


def test_r6_and_r7_sentences():
    row = only(facts("P", status="suspended", integrity=True))
    assert row.reason(RuleCode.R6_INTEGRITY).figures == {"integrity_flag": True}
    assert "一票否决" in row.reason(RuleCode.R6_INTEGRITY).detail_zh
    assert row.reason(RuleCode.R7_STATUS).figures == {"status": "suspended"}
    assert row.reason(RuleCode.R7_STATUS).detail_en == "The platform is suspended; it must be active"


def test_every_reason_is_bilingual_and_json_able():
    platforms = [facts("A"), facts("B", GOOD_80, gates=0), facts("C", []), facts("D", [(10, 20, 10)] * 3)]
    for row in evaluate(RuleSet(), platforms, 1_000_000):
        for reason in row.reasons:
            assert CJK.search(reason.detail_zh) and not CJK.search(reason.detail_en)
            for value in reason.figures.values():
                assert value is None or isinstance(value, (bool, int, float, str))
        json.dumps(row.to_dict(), allow_nan=False)


# --- ranking ------------------------------------------------------------------------------------

def test_ranking_ties_broken_by_service_mean_then_code():
    """SEMI4 95; SIPH, BCI and CGT all 85 — SIPH has SE 45, BCI and CGT SE 40 → BCI before CGT by code.
    ICMAT has no reviews, ZZZ only drafts, AAA no result: unscored, after the scored ones, by code."""
    platforms = [
        facts("CGT", [(25, 40, 20)] * 3),
        facts("ICMAT", []),
        facts("BCI", [(25, 40, 20)] * 3),
        facts("ZZZ", EXCELLENT_90, drafts_only=True),
        facts("SEMI4", [(30, 45, 20)] * 3),
        facts("SIPH", [(20, 45, 20)] * 3),
        facts("AAA", []),
    ]
    rows = evaluate(RuleSet(), platforms, 0)
    assert [(r.code, r.rank) for r in rows] == [
        ("SEMI4", 1), ("SIPH", 2), ("BCI", 3), ("CGT", 4), ("AAA", None), ("ICMAT", None), ("ZZZ", None),
    ]
    assert [r.grade for r in rows] == [Grade.EXCELLENT, Grade.GOOD, Grade.GOOD, Grade.GOOD, None, None, None]


def test_ranking_uses_the_exact_total():
    """X: (80 + 80 + 80.1)/3 = 80.0333…; Y: (80 + 80 + 80 + 80.1)/4 = 80.025.  Both show 80.03.
    Y has the higher service mean and the lower code, so ranking by the rounded total would put Y first."""
    x = facts("X", [(20, 40, 20), (20, 40, 20), (20, "40.1", 20)])
    y = facts("A", [(15, 45, 20)] * 3 + [(15, "45", "20.1")])
    rows = evaluate(RuleSet(), [y, x], 0)
    assert [r.total for r in rows] == [Decimal("80.03"), Decimal("80.03")]
    assert [r.code for r in rows] == ["X", "A"]


@pytest.mark.parametrize(
    "totals, grades",
    [
        # 1 scored platform: ceil(0.3) = 1
        ([95], ["excellent"]),
        # 3 scored: ceil(0.9) = 1 → only rank 1 Excellent, rank 2 with 92 is Good
        ([95, 92, 91], ["excellent", "good", "good"]),
        # 4 scored: ceil(1.2) = 2
        ([95, 92, 91, 90], ["excellent", "excellent", "good", "good"]),
        # 10 scored: ceil(3.0) = 3 (float arithmetic would give 4)
        ([99, 98, 97, 96, 95, 94, 93, 92, 91, 90],
         ["excellent"] * 3 + ["good"] * 7),
        # 89.9 is not 90, even at rank 1 of 10; the top share is a cap, not a quota
        (["89.9", 80, 70, 60, 50, 50, 50, 50, 50, 50],
         ["good", "good", "pass", "pass", "fail", "fail", "fail", "fail", "fail", "fail"]),
    ],
)
def test_top_thirty_percent(totals, grades):
    platforms = [facts(f"P{i:02d}", [split(t)] * 3) for i, t in enumerate(totals)]
    rows = evaluate(RuleSet(), platforms, 0)
    assert [str(r.total) for r in rows] == [f"{Decimal(str(t)):.2f}" for t in totals]
    assert [str(r.grade) for r in rows] == grades


def split(total) -> tuple[Decimal, Decimal, Decimal]:
    """A (V, S, O) review adding up to `total`: service first (≤ 45), then verification (≤ 30), rest operating."""
    rest = Decimal(str(total))
    s = min(Decimal(45), rest)
    v = min(Decimal(30), rest - s)
    return v, s, rest - s - v


def test_grade_uses_the_exact_total_not_the_displayed_one():
    """22 reviews: 89.9 twice and 90 twenty times.  Trimmed: drop one 89.9 and one 90 →
    (89.9 + 19 × 90)/20 = 1799.9/20 = 89.995, shown as 90.00 (half-up) — but below 90, so Good, tier B."""
    platform = facts("P", [(27, 40, "22.9")] * 2 + [(27, 40, 23)] * 20)
    row = only(platform)
    assert row.total == Decimal("90.00")
    assert (row.grade, row.tier, row.award) == (Grade.GOOD, Tier.B, 2_000_000)
    # the sentence must not claim "90.00" next to a threshold of 90: it shows enough decimals
    r2 = row.reason(RuleCode.R2_GRADE)
    assert "89.995" in r2.detail_en and "89.995" in r2.detail_zh and "90.00" not in r2.detail_en


def test_dimension_floor_uses_the_exact_mean():
    """24 reviews, the lowest (81) and highest (83) trimmed; of the 22 counted, operating is 15 twenty-one
    times and 14.9 once: mean 329.9/22 = 14.99545…, shown 15.00 but below 15."""
    platform = facts("P", [(26, 40, 15)] + [(27, 40, 15)] * 21 + [("27.1", 40, "14.9"), (28, 40, 15)])
    row = only(platform)
    r3 = row.reason(RuleCode.R3_DIMENSION_FLOOR)
    assert not r3.passed and row.verdict is Verdict.INELIGIBLE
    assert r3.figures["operating_mean"] == 15.0 and r3.figures["below"] == "operating"
    assert "14.995/25" in r3.detail_zh and "14.995/25" in r3.detail_en


def test_on_time_rate_uses_the_exact_rate():
    """1402 of 2003 on time = 69.99500…%, shown 70.00 at two decimals, but below 70% → R4 fails."""
    row = only(facts("P", milestones=MilestoneFigures(0, 2003, 1402)))
    r4 = row.reason(RuleCode.R4_MILESTONES)
    assert not r4.passed and row.verdict is Verdict.CONDITIONAL
    assert r4.figures["on_time_rate_pct"] == 70.0
    assert "69.995%" in r4.detail_en


def test_r2_explains_a_ninety_outside_the_top_share():
    rows = evaluate(RuleSet(), [facts("A", [(30, 45, 20)] * 3), facts("B", [(28, 43, 21)] * 3),
                                facts("C", [(27, 43, 21)] * 3)], 0)
    r2 = rows[1].reason(RuleCode.R2_GRADE)   # B: 92, rank 2 of 3, top 30% = rank 1
    assert r2.passed and rows[1].grade is Grade.GOOD and rows[1].tier is Tier.B
    assert r2.figures["top_rank_cutoff"] == 1 and r2.figures["rank"] == 2 and r2.figures["n_scored"] == 3
    assert "outside the top 30%" in r2.detail_en and "不在前 30%" in r2.detail_zh


# --- awards -------------------------------------------------------------------------------------

def _award_field():
    """4 scored platforms (top 30% = 2): A1 95 Excellent → tier A; B1 85 Good → B; C1 84 Good but no gate
    passed → conditional; D1 80 Good → B."""
    return [
        facts("D1", [(25, 35, 20)] * 3),
        facts("C1", [(24, 40, 20)] * 3, gates=0),
        facts("B1", [(25, 40, 20)] * 3),
        facts("A1", [(30, 45, 20)] * 3),
    ]


@pytest.mark.parametrize(
    "budget, awards",
    [
        # 6.5M: A1 5M, remaining 1.5M → B1 gets the remainder 1.5M (< its 2M cap); C1 conditional 0; D1 0
        (6_500_000, [5_000_000, 1_500_000, 0, 0]),
        # 7M: 5M + 2M, spent exactly; D1 0
        (7_000_000, [5_000_000, 2_000_000, 0, 0]),
        # 20M: everyone eligible gets the cap; 11M left over
        (20_000_000, [5_000_000, 2_000_000, 0, 2_000_000]),
        # 3M: A1 takes all of it (min(5M, 3M))
        (3_000_000, [3_000_000, 0, 0, 0]),
        (0, [0, 0, 0, 0]),
    ],
)
def test_budget_allocation_in_rank_order(budget, awards):
    rows = evaluate(RuleSet(), _award_field(), budget)
    assert [r.code for r in rows] == ["A1", "B1", "C1", "D1"]
    assert [r.verdict for r in rows] == [Verdict.ELIGIBLE, Verdict.ELIGIBLE, Verdict.CONDITIONAL, Verdict.ELIGIBLE]
    assert [r.tier for r in rows] == [Tier.A, Tier.B, None, Tier.B]
    assert [r.award for r in rows] == awards
    assert sum(awards) <= budget


def test_caps_come_from_the_rule_set():
    rules = RuleSet.from_overrides({"tier_a_cap": 3_000_000, "tier_b_cap": 1_000_000})
    rows = evaluate(rules, _award_field(), 10_000_000)
    assert [r.award for r in rows] == [3_000_000, 1_000_000, 0, 1_000_000]


@pytest.mark.parametrize("budget", [-1, 1.5, "100", True])
def test_budget_must_be_whole_yuan(budget):
    with pytest.raises(ValueError):
        evaluate(RuleSet(), _award_field(), budget)  # type: ignore[arg-type]


def test_duplicate_platforms_are_refused():
    with pytest.raises(ValueError):
        evaluate(RuleSet(), [facts("A"), facts("A")], 0)


# --- thresholds from the rule set ---------------------------------------------------------------

@pytest.mark.parametrize(
    "overrides, platform, failures",
    [
        ({"min_reviews": 4}, facts("P"), ["R1"]),
        ({"min_reviews": 2}, facts("P", EXCELLENT_90[:2]), []),
        ({"overdue_days": 60}, facts("P", milestones=MilestoneFigures(61, 0, 0)), ["R4"]),
        ({"on_time_rate_pct": 80}, facts("P", milestones=MilestoneFigures(0, 10, 7)), ["R4"]),
        ({"min_gates_passed": 0}, facts("P", gates=0), []),
        ({"min_gates_passed": 2}, facts("P", gates=1), ["R5"]),
        ({"dimension_floor_pct": 95}, facts("P"), ["R3"]),  # 27/30 = 90% < 95%
        ({"good": 85, "pass": 70}, facts("P", GOOD_80), ["R2"]),  # 80 is now Pass
    ],
)
def test_rule_set_thresholds_apply(overrides, platform, failures):
    assert failed(only(platform, rules=RuleSet.from_overrides(overrides))) == failures


def test_dispute_flag_uses_the_rule_set_spread():
    spread_20 = facts("P", [(10, 40, 20), (20, 40, 20), (25, 40, 20)])  # 70, 80, 85: spread 15
    assert only(spread_20).disputed is False
    assert only(spread_20, rules=RuleSet.from_overrides({"dispute_spread": 14})).disputed is True
    assert only(spread_20, rules=RuleSet.from_overrides({"dispute_spread": 15})).disputed is False


# --- rule-set validation ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"min_reviews": 0}, "min_reviews"),
        ({"min_reviews": "three"}, "min_reviews"),
        ({"min_reviews": 2.5}, "min_reviews"),
        ({"nope": 1}, "nope"),
        ({"overdue_days": -1}, "overdue_days"),
        ({"overdue_days": "-5"}, "overdue_days"),
        ({"on_time_rate_pct": 101}, "on_time_rate_pct"),
        ({"dimension_floor_pct": 60.5}, "dimension_floor_pct"),
        ({"dimension_floor_pct": float("nan")}, "dimension_floor_pct"),
        ({"tier_a_cap": True}, "tier_a_cap"),
        ({"tier_b_cap": None}, "tier_b_cap"),
        ({"tier_b_cap": 6_000_000}, "tier_b_cap"),   # above the tier A cap
        ({"good": 95}, "good"),                     # above Excellent 90
        ({"pass_": 80}, "pass_"),                   # above Good 75
        ({"pass": 80}, "pass_"),
        ({"pass": 50, "pass_": 55}, "pass_"),       # given twice
        ({"excellent": 101}, "excellent"),
        ({"top_share_pct": [30]}, "top_share_pct"),
        ({"dispute_spread": Decimal("20.5")}, "dispute_spread"),
    ],
)
def test_rule_set_override_errors_name_the_field(overrides, field):
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_overrides(overrides)
    assert info.value.field == field
    assert info.value.code in MESSAGES  # its words for people live in platform_mgr/messages.py


def test_rule_set_overrides_must_be_an_object():
    with pytest.raises(RuleSetError) as info:
        RuleSet.from_overrides(["min_reviews", 3])  # type: ignore[arg-type]
    assert info.value.field == "rules"


def test_rule_set_constructor_validates_too():
    with pytest.raises(RuleSetError) as info:
        RuleSet(min_reviews=0)
    assert info.value.field == "min_reviews"


@pytest.mark.parametrize(
    "overrides, changed",
    [
        (None, {}),
        ({}, {}),
        ({"min_reviews": "4"}, {"min_reviews": 4}),          # from a form
        ({"pass": 55}, {"pass_": 55}),
        ({"overdue_days": 60.0}, {"overdue_days": 60}),     # JSON 60.0
        ({"tier_a_cap": Decimal("6000000")}, {"tier_a_cap": 6_000_000}),
        ({"excellent": 85, "good": 85, "pass_": 85}, {"excellent": 85, "good": 85, "pass_": 85}),
    ],
)
def test_rule_set_overrides(overrides, changed):
    expected = {**RuleSet().to_dict(), **changed}
    rules = RuleSet.from_overrides(overrides)
    assert rules.to_dict() == expected
    assert all(type(v) is int for v in rules.to_dict().values())


def test_rule_set_defaults_and_round_trip():
    rules = RuleSet()
    assert rules.to_dict() == {
        "min_reviews": 3, "dimension_floor_pct": 60, "overdue_days": 90, "on_time_rate_pct": 70,
        "min_gates_passed": 1, "tier_a_cap": 5_000_000, "tier_b_cap": 2_000_000, "excellent": 90, "good": 75,
        "pass_": 60, "top_share_pct": 30, "dispute_spread": 20,
    }
    custom = RuleSet.from_overrides({"min_reviews": 5, "top_share_pct": 20})
    assert RuleSet.from_overrides(custom.to_dict()) == custom
    assert RuleSet.from_overrides(json.loads(json.dumps(custom.to_dict()))) == custom


# --- milestone figures (R4's inputs) ------------------------------------------------------------

D = dt.date
WINDOW = (D(2024, 1, 1), D(2024, 12, 31))


@pytest.mark.parametrize(
    "milestones, expected",
    [
        ([], (0, 0, 0)),
        # must-meet, planned, due 2 Oct: 29 (Oct) + 30 (Nov) + 31 (Dec) = 90 days overdue at 31 Dec
        ([(True, "planned", D(2024, 10, 2), None)], (90, 1, 0)),
        ([(True, "in_progress", D(2024, 10, 1), None)], (91, 1, 0)),
        # due before the window: 30 Jun 2023 → 30 Jun 2024 is 366 days (leap year) + 184 to 31 Dec = 550
        ([(True, "in_progress", D(2023, 6, 30), None)], (550, 0, 0)),
        # not a gate criterion: due in the window, not on time, but never "must-meet overdue"
        ([(False, "planned", D(2024, 6, 1), None)], (0, 1, 0)),
        # waived: excluded from everything
        ([(True, "waived", D(2024, 1, 15), None)], (0, 0, 0)),
        # done after the window's end (10 Jan 2025): at 31 Dec it was 121 days overdue (due 1 Sep)
        ([(True, "done", D(2024, 9, 1), D(2025, 1, 10))], (121, 1, 0)),
        # done late but before the window's end: not overdue at the end, not on time either
        ([(True, "done", D(2024, 9, 1), D(2024, 12, 20))], (0, 1, 0)),
        # done on the due date counts as on time; a day early too; a day late does not
        ([(True, "done", D(2024, 5, 10), D(2024, 5, 10))], (0, 1, 1)),
        ([(False, "done", D(2024, 5, 10), D(2024, 5, 9))], (0, 1, 1)),
        ([(False, "done", D(2024, 5, 10), D(2024, 5, 11))], (0, 1, 0)),
        # due on the window's last day and not done: due in the window, but not yet overdue
        ([(True, "planned", D(2024, 12, 31), None)], (0, 1, 0)),
        # due on the window's first day: inside the window
        ([(False, "planned", D(2024, 1, 1), None)], (0, 1, 0)),
        # due after the window: nothing
        ([(True, "planned", D(2025, 1, 1), None)], (0, 0, 0)),
        # done without a completion date: cannot be shown to be on time
        ([(True, "done", D(2024, 3, 1), None)], (0, 1, 0)),
        # the maximum over several; 7 of 10 due in the window on time
        ([(True, "planned", D(2024, 10, 2), None), (True, "planned", D(2024, 11, 1), None)]
         + [(False, "done", D(2024, m, 1), D(2024, m, 1)) for m in range(1, 8)]
         + [(False, "waived", D(2024, 8, 1), None), (False, "done", D(2024, 8, 1), D(2024, 8, 2))],
         (90, 10, 7)),
    ],
)
def test_milestone_figures(milestones, expected):
    figures = milestone_figures(milestones, *WINDOW)
    assert (figures.max_must_meet_overdue_days, figures.due_in_window, figures.on_time_in_window) == expected


def test_milestone_figures_accept_datetimes_and_reject_a_reversed_window():
    figures = milestone_figures([(True, "planned", dt.datetime(2024, 10, 1, 9, 0), None)],
                                dt.datetime(2024, 1, 1), dt.datetime(2024, 12, 31, 23, 59))
    assert figures == MilestoneFigures(91, 1, 0)
    with pytest.raises(ValueError):
        milestone_figures([], D(2024, 12, 31), D(2024, 1, 1))


def test_on_time_rate_is_exact():
    assert MilestoneFigures(0, 10, 7).on_time_rate == Fraction(7, 10)
    assert MilestoneFigures(0, 0, 0).on_time_rate is None


# --- rows, canonical JSON, digest ---------------------------------------------------------------

def test_row_to_dict_has_a_stable_key_order():
    row = only(facts("P"))
    assert list(row.to_dict()) == [
        "platform_id", "code", "rank", "total", "grade", "verdict", "tier", "award", "disputed", "reasons",
    ]
    assert list(row.to_dict()["reasons"][0]) == ["rule", "passed", "figures", "detail_zh", "detail_en"]
    data = row.to_dict()
    assert (data["platform_id"], data["code"], data["rank"], data["total"], data["grade"], data["verdict"],
            data["tier"], data["award"], data["disputed"]) == ("id-P", "P", 1, 90.0, "excellent", "eligible",
                                                               "A", 5_000_000, False)


def _cycle():
    return [
        facts("BCI", [(25, 40, 20)] * 3),
        facts("SIPH", [(20, 45, 20)] * 3, gates=0),
        facts("SEMI4", [(30, 45, 20)] * 3),
        facts("CGT", [(27, 40, 14)] * 3, integrity=True),
        facts("ICMAT", []),
        facts("OLD", GOOD_80, status="delisted", milestones=MilestoneFigures(120, 4, 1)),
    ]


def canonical_json(rows, rules, *, budget_yuan=None) -> str:
    """A result as a snapshot writes it (services.eligibility): the rows and rules in canonical JSON."""
    document = {"rules": rules.to_dict(), "rows": [row.to_dict() for row in rows]}
    if budget_yuan is not None:
        document["budget_yuan"] = budget_yuan
    return canonical.canonical_json(document)


def digest(rows, rules, *, budget_yuan=None) -> str:
    return canonical.sha256_hex(canonical_json(rows, rules, budget_yuan=budget_yuan))


@pytest.mark.parametrize("seed", range(6))
def test_digest_is_stable_under_input_order(seed):
    rules = RuleSet.from_overrides({"min_reviews": 3})
    reference = evaluate(rules, _cycle(), 6_000_000)
    shuffled = _cycle()
    random.Random(seed).shuffle(shuffled)
    rows = evaluate(rules, shuffled, 6_000_000)
    assert canonical_json(rows, rules, budget_yuan=6_000_000) == canonical_json(reference, rules, budget_yuan=6_000_000)
    assert digest(rows, rules, budget_yuan=6_000_000) == digest(reference, rules, budget_yuan=6_000_000)


def test_canonical_json_and_digest():
    rules = RuleSet()
    rows = evaluate(rules, _cycle(), 6_000_000)
    text = canonical_json(rows, rules)
    document = json.loads(text)
    # canonical: sorted keys, compact separators, Chinese kept as UTF-8 text
    assert text == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "有效评审" in text and "\\u" not in text
    assert document["rules"] == rules.to_dict()
    assert [r["code"] for r in document["rows"]] == ["SEMI4", "SIPH", "BCI", "CGT", "OLD", "ICMAT"]
    value = digest(rows, rules)
    assert re.fullmatch(r"[0-9a-f]{64}", value)
    assert value == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    "change",
    [
        lambda: (RuleSet.from_overrides({"min_reviews": 4}), 6_000_000),   # another rule set
        lambda: (RuleSet.from_overrides({"overdue_days": 91}), 6_000_000),  # even one not deciding anything
        lambda: (RuleSet(), 5_000_000),                                     # another budget → other awards
    ],
)
def test_digest_changes_with_rules_or_results(change):
    baseline = digest(evaluate(RuleSet(), _cycle(), 6_000_000), RuleSet())
    rules, budget = change()
    assert digest(evaluate(rules, _cycle(), budget), rules) != baseline


def test_cycle_summary():
    """The mixed cycle above, by hand; 5 scored platforms → top 30% = ceil(1.5) = ranks 1..2; budget 6M.

    SEMI4 95, rank 1, Excellent → eligible A: min(5M, 6M) = 5M, 1M left.
    SIPH 85 with SE 45 ranks before BCI 85 with SE 40; SIPH passed no gate → conditional, 0.
    BCI 85, rank 3, Good → eligible B: min(2M, 1M left) = 1M.
    CGT 81 (operating 14 < 15, integrity flag) → ineligible; OLD 80, delisted → ineligible;
    ICMAT unscored → after the scored ones, no rank, ineligible.
    """
    rows = evaluate(RuleSet(), _cycle(), 6_000_000)
    table = [(r.code, r.rank, str(r.grade) if r.grade else None, str(r.verdict), r.tier, r.award) for r in rows]
    assert table == [
        ("SEMI4", 1, "excellent", "eligible", Tier.A, 5_000_000),
        ("SIPH", 2, "good", "conditional", None, 0),
        ("BCI", 3, "good", "eligible", Tier.B, 1_000_000),
        ("CGT", 4, "good", "ineligible", None, 0),
        ("OLD", 5, "good", "ineligible", None, 0),
        ("ICMAT", None, None, "ineligible", None, 0),
    ]
