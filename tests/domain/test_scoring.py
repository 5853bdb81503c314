"""Table tests for aggregation and grading (DESIGN §4); every expected figure is worked out by hand."""
from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest

from platform_mgr.domain.rubric import DEFAULT_RUBRIC_V1, CriterionDef, Dimension, ScoreError, parse_points
from platform_mgr.domain.scoring import (
    Grade,
    GradeThresholds,
    PlatformResult,
    ReviewInput,
    aggregate,
    counted,
    delisting_review,
    grade_for,
    reviewer_stats,
    reviewer_total,
    round2,
    top_cutoff,
)

# A one-criterion rubric: a review's total is simply the points given, which keeps the tables readable.
ONE = (CriterionDef("T", Dimension.SERVICE, 1000, "总分", "Total", "整体评价", "Overall"),)

# A three-criterion rubric, one criterion per dimension with the dimension maxima of the default rubric.
TINY = (
    CriterionDef("V", Dimension.VERIFICATION, 300, "验证", "Verification", "", ""),
    CriterionDef("S", Dimension.SERVICE, 450, "服务", "Service", "", ""),
    CriterionDef("O", Dimension.OPERATING, 250, "运营", "Operating", "", ""),
)


def rv(reviewer, platform, points, *, submitted=True, conflict=False) -> ReviewInput:
    """A review on the ONE rubric; `points` like 80 or "99.5"."""
    return ReviewInput(reviewer, platform, {"T": parse_points(points)}, submitted, conflict)


def tiny(reviewer, platform, v, s, o, *, submitted=True, conflict=False) -> ReviewInput:
    """A review on the TINY rubric with points per dimension."""
    return ReviewInput(reviewer, platform,
                       {"V": parse_points(v), "S": parse_points(s), "O": parse_points(o)}, submitted, conflict)


def one_platform(points) -> PlatformResult:
    """Aggregate one platform "P" reviewed by one reviewer per entry of `points`."""
    reviews = [rv(f"r{i}", "P", p) for i, p in enumerate(points)]
    return aggregate(ONE, reviews)["P"]


D = Decimal


# --- totals: plain mean below five reviews, trimmed mean from five ------------------------------

@pytest.mark.parametrize(
    "points, total, std, low, high",
    [
        # n=1: mean 80; population std of one value is 0
        ([80], "80.00", "0.00", "80.00", "80.00"),
        # n=2: mean 80; population std sqrt((10²+10²)/2) = 10 (the sample std would be 14.14)
        ([70, 90], "80.00", "10.00", "70.00", "90.00"),
        # n=3: mean 245/3 = 81.666… → 81.67; deviations -35/3, -5/3, 40/3 → var 2850/27 = 105.56 → 10.27
        ([70, 80, 95], "81.67", "10.27", "70.00", "95.00"),
        # n=4, plain mean: 320/4 = 80 (trimming would give (80+85)/2 = 82.50);
        # deviations -20, 0, 5, 15 → var 650/4 = 162.5 → std 12.75
        ([60, 80, 85, 95], "80.00", "12.75", "60.00", "95.00"),
        # n=5, trimmed: drop 60 and 100 → (80+85+90)/3 = 85 (plain mean would be 83);
        # std over all five: deviations from 83: -23, -3, 2, 7, 17 → var 880/5 = 176 → 13.27
        ([60, 80, 85, 90, 100], "85.00", "13.27", "60.00", "100.00"),
        # n=6, trimmed: drop 50 and 99.5 → (70+80+80+90)/4 = 80 (plain mean 469.5/6 = 78.25);
        # deviations from 78.25: -28.25 -8.25 1.75 1.75 11.75 21.25 → var 1461.875/6 = 243.65 → 15.61
        ([50, 70, 80, 80, 90, "99.5"], "80.00", "15.61", "50.00", "99.50"),
        # n=5 with ties at both ends: drop ONE 70 and ONE 90 → (70+80+90)/3 = 80; std sqrt(400/5) = 8.94
        ([70, 70, 80, 90, 90], "80.00", "8.94", "70.00", "90.00"),
        # half-up on the exact value: 320.1/4 = 80.025 → 80.03 (float round(80.025, 2) gives 80.02);
        # deviations .075, -.025 ×3 → var .0075/4 = .001875 → std .0433 → 0.04
        (["80.1", 80, 80, 80], "80.03", "0.04", "80.00", "80.10"),
        # 240.2/3 = 80.0666… → 80.07
        (["80.1", "80.1", 80], "80.07", "0.05", "80.00", "80.10"),
    ],
)
def test_platform_total(points, total, std, low, high):
    result = one_platform(points)
    assert result.n == len(points)
    assert (result.total, result.std, result.min, result.max) == (D(total), D(std), D(low), D(high))


def test_exact_total_is_kept_for_threshold_comparisons():
    # 80, 80, 80.1 → 240.1/3 exactly, not the rounded 80.03
    result = one_platform([80, 80, "80.1"])
    assert result.total_exact == Fraction(2401, 30)
    assert result.total == D("80.03")


@pytest.mark.parametrize("seed", range(5))
def test_aggregate_does_not_depend_on_review_order(seed):
    reviews = [rv(f"r{i}", f"P{i % 3}", p) for i, p in enumerate([50, 70, 80, 80, 90, "99.5", 61, 77, "88.8"])]
    shuffled = reviews[:]
    random.Random(seed).shuffle(shuffled)
    assert aggregate(ONE, shuffled) == aggregate(ONE, reviews)


# --- which reviews count ------------------------------------------------------------------------

def test_conflicts_and_drafts_are_not_counted():
    reviews = [
        rv("a", "P1", 80),
        rv("b", "P1", 20, submitted=False),              # draft
        rv("c", "P1", 10, conflict=True),                # declared conflict
        rv("d", "P1", 30, submitted=False, conflict=True),
        rv("e", "P2", 50, submitted=False),              # P2 has only a draft
    ]
    assert [r.reviewer_id for r in counted(reviews)] == ["a"]
    results = aggregate(ONE, reviews)
    # P1: only a's 80 counts → total 80, not (80+20+10+30)/4 = 35
    p1 = results["P1"]
    assert (p1.n, p1.total, p1.min, p1.max, p1.disputed) == (1, D("80.00"), D("80.00"), D("80.00"), False)
    assert p1.reviewer_totals == {"a": D("80.00")}
    # P2 appears, unscored
    p2 = results["P2"]
    assert set(results) == {"P1", "P2"}
    assert (p2.n, p2.total, p2.std, p2.min, p2.max, p2.normalised_total, p2.disputed) == (
        0, None, None, None, None, None, False)
    assert p2.total_exact is None and not p2.scored
    assert p2.dimensions == {Dimension.SERVICE: None}


def test_same_reviewer_twice_on_a_platform_is_refused():
    with pytest.raises(ValueError):
        aggregate(ONE, [rv("a", "P", 80), rv("a", "P", 70, submitted=False)])


# --- disputed -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "points, spread, disputed",
    [
        ([70, 90], 20, False),              # 90 − 70 = 20.0: not more than 20
        ([70, "90.1"], 20, True),           # 20.1 > 20
        (["69.9", 90], 20, True),           # 20.1 > 20
        ([70, 80, 90], 20, False),
        # uses every counted review, not the trimmed ones: 80 − 50 = 30 although trimming drops 50
        ([50, "70.1", 80, 80, 80], 20, True),
        ([70, "80.1"], 10, True),           # configurable: 10.1 > 10
        ([70, 80], 10, False),
        ([80], 20, False),
    ],
)
def test_disputed(points, spread, disputed):
    reviews = [rv(f"r{i}", "P", p) for i, p in enumerate(points)]
    assert aggregate(ONE, reviews, dispute_spread=spread)["P"].disputed is disputed


# --- totals with the real rubric, dimensions ----------------------------------------------------

def test_reviewer_total_sums_criteria_in_tenths():
    # 7.5 + 8.0 + 9.5 + 5.0 = 30.0 points = 300 tenths; unscored criteria add nothing
    assert reviewer_total(DEFAULT_RUBRIC_V1, {"VC1": 75, "VC2": 80, "SE1": 95, "OM4": 50}) == 300
    assert reviewer_total(DEFAULT_RUBRIC_V1, {c.code: c.max_tenths for c in DEFAULT_RUBRIC_V1}) == 1000
    assert reviewer_total(DEFAULT_RUBRIC_V1, {}) == 0


@pytest.mark.parametrize("scores, field", [({"XX1": 10}, "XX1"), ({"SE5": 51}, "SE5")])
def test_reviewer_total_refuses_invalid_scores(scores, field):
    with pytest.raises(ScoreError) as info:
        reviewer_total(DEFAULT_RUBRIC_V1, scores)
    assert info.value.field == field


def test_dimension_means_over_counted_reviews():
    reviews = [
        tiny("a", "P", 25, 40, 20),   # total 85
        tiny("b", "P", 20, 30, 15),   # total 65
        tiny("c", "P", 0, 0, 0, conflict=True),
    ]
    result = aggregate(TINY, reviews)["P"]
    # verification (25+20)/2 = 22.5; service (40+30)/2 = 35; operating (20+15)/2 = 17.5; total (85+65)/2 = 75
    assert result.dimensions == {
        Dimension.VERIFICATION: D("22.50"), Dimension.SERVICE: D("35.00"), Dimension.OPERATING: D("17.50"),
    }
    assert result.dimensions_exact[Dimension.SERVICE] == 35
    assert result.total == D("75.00")
    assert list(result.dimensions) == [Dimension.VERIFICATION, Dimension.SERVICE, Dimension.OPERATING]


def test_dimension_means_are_trimmed_like_the_total():
    # five reviews: the total and the dimension means drop the same highest and lowest review (DESIGN §4)
    reviews = [tiny(f"r{i}", "P", v, s, o) for i, (v, s, o) in enumerate(
        [(10, 20, 10), (20, 30, 15), (20, 35, 15), (25, 40, 20), (30, 45, 25)])]
    result = aggregate(TINY, reviews)["P"]
    # totals 40, 65, 70, 85, 100 → trimmed (65+70+85)/3 = 73.33
    assert result.total == D("73.33")
    # r1, r2, r3 count: verification (20+20+25)/3 = 21.67; service (30+35+40)/3 = 35; operating 50/3 = 16.67
    assert result.dimensions == {
        Dimension.VERIFICATION: D("21.67"), Dimension.SERVICE: D("35.00"), Dimension.OPERATING: D("16.67"),
    }
    assert sum(result.dimensions_exact.values()) == result.total_exact


def test_the_issue_example_dimensions_add_up_to_the_total():
    # totals 99, 93, 92, 91, 40: the untrimmed dimensions added up to 83 while the total was 92
    panel = [(29, 45, 25), (28, 42, 23), (27, 42, 23), (27, 41, 23), (10, 20, 10)]
    reviews = [tiny(f"r{i}", "P", v, s, o) for i, (v, s, o) in enumerate(panel)]
    result = aggregate(TINY, reviews)["P"]
    assert result.total == D("92.00")
    assert result.dimensions == {
        Dimension.VERIFICATION: D("27.33"), Dimension.SERVICE: D("41.67"), Dimension.OPERATING: D("23.00"),
    }
    assert sum(result.dimensions_exact.values()) == 92


def test_trimming_ties_drop_the_same_reviews_in_any_order():
    # two reviews share the lowest total with different dimensions; the lower reviewer id is dropped
    panel = {"a": (10, 30, 10), "b": (20, 20, 10), "c": (25, 40, 20), "d": (25, 40, 20), "e": (30, 45, 25)}
    reviews = [tiny(k, "P", *v) for k, v in panel.items()]
    forward, backward = aggregate(TINY, reviews)["P"], aggregate(TINY, list(reversed(reviews)))["P"]
    assert forward == backward
    # "a" (50) and "e" (100) dropped: verification (20+25+25)/3
    assert forward.dimensions_exact[Dimension.VERIFICATION] == Fraction(70, 3)


# --- reviewer-normalised total ------------------------------------------------------------------

def test_normalised_total_sparse_three_by_three():
    """Three reviewers, three platforms, each reviewer scoring two of them.

    r1: P1 90, P2 60 → mean 75, pop std 15 → z(P1) = +1, z(P2) = −1
    r2: P2 75, P3 65 → mean 70, pop std 5  → z(P2) = +1, z(P3) = −1
    r3: P1 80, P3 80 → no spread           → z = 0 for both
    cycle totals 90 60 75 65 80 80: mean 450/6 = 75; deviations 15 −15 0 −10 5 5
      → variance (225+225+0+100+25+25)/6 = 100 → cycle std 10
    P1: mean z (1+0)/2 = 0.5  → 75 + 0.5×10 = 80.00   (plain total (90+80)/2 = 85.00)
    P2: mean z (−1+1)/2 = 0   → 75.00                 (plain total (60+75)/2 = 67.50)
    P3: mean z (−1+0)/2 = −0.5 → 70.00                (plain total (65+80)/2 = 72.50)
    The harsh r1 no longer sinks P2 below P3.  The draft and the conflicted review change nothing.
    """
    reviews = [
        rv("r1", "P1", 90), rv("r1", "P2", 60),
        rv("r2", "P2", 75), rv("r2", "P3", 65),
        rv("r3", "P1", 80), rv("r3", "P3", 80),
        rv("r2", "P1", 5, submitted=False),
        rv("r4", "P3", 100, conflict=True),
    ]
    results = aggregate(ONE, reviews)
    assert {p: r.normalised_total for p, r in results.items()} == {
        "P1": D("80.00"), "P2": D("75.00"), "P3": D("70.00"),
    }
    assert {p: r.total for p, r in results.items()} == {"P1": D("85.00"), "P2": D("67.50"), "P3": D("72.50")}


def test_normalised_total_full_three_by_three():
    """Every reviewer scores every platform; r2 is 10 points and r3 20 points harsher than r1.

    Each reviewer's totals are (m+10, m, m−10): pop std sqrt(200/3), z = (+sqrt(1.5), 0, −sqrt(1.5)) for all.
    Cycle totals 90 80 70 / 80 70 60 / 70 60 50: mean 70; squared deviations 400 100 0 100 0 100 0 100 400
      → variance 1200/9 = 400/3 → cycle std 20/sqrt(3)
    P1: 70 + sqrt(1.5) × 20/sqrt(3) = 70 + 20/sqrt(2) = 70 + 10·sqrt(2) = 84.1421… → 84.14
    P2: 70 + 0 = 70.00;  P3: 70 − 14.1421… = 55.8578… → 55.86
    """
    reviews = []
    for reviewer, shift in (("r1", 0), ("r2", -10), ("r3", -20)):
        for platform, base in (("P1", 90), ("P2", 80), ("P3", 70)):
            reviews.append(rv(reviewer, platform, base + shift))
    results = aggregate(ONE, reviews)
    assert [results[p].normalised_total for p in ("P1", "P2", "P3")] == [D("84.14"), D("70.00"), D("55.86")]
    # plain totals: P1 (90+80+70)/3 = 80, P2 70, P3 60
    assert [results[p].total for p in ("P1", "P2", "P3")] == [D("80.00"), D("70.00"), D("60.00")]


def test_normalised_total_with_single_platform_reviewers_is_the_cycle_mean():
    # each reviewer scored one platform → z = 0 everywhere → every platform gets the cycle mean (80+60)/2 = 70
    results = aggregate(ONE, [rv("a", "P1", 80), rv("b", "P2", 60)])
    assert results["P1"].normalised_total == results["P2"].normalised_total == D("70.00")


# --- reviewer statistics ------------------------------------------------------------------------

def test_reviewer_stats():
    """Counted totals — P1: r1 90, r2 80, r3 70; P2: r1 70, r2 60; P3: r5 75.

    r1: P1 90 − mean(80, 70) = +15; P2 70 − 60 = +10 → leniency 12.5; mean given (90+70)/2 = 80
    r2: P1 80 − mean(90, 70) = 0;  P2 60 − 70 = −10 → leniency −5;   mean given 70
    r3: P1 70 − mean(90, 80) = −15                  → leniency −15;  mean given 70
    r4: conflicted on P1 (submitted) and a draft on P2 → 1 submitted, 0 counted, no figures
    r5: sole reviewer of P3 → no colleague to compare with → leniency None
    """
    reviews = [
        rv("r1", "P1", 90), rv("r2", "P1", 80), rv("r3", "P1", 70),
        rv("r1", "P2", 70), rv("r2", "P2", 60),
        rv("r4", "P1", 10, conflict=True), rv("r4", "P2", 50, submitted=False),
        rv("r5", "P3", 75),
    ]
    stats = reviewer_stats(ONE, reviews)
    table = {k: (s.submitted, s.counted, s.mean_total, s.leniency, s.compared) for k, s in stats.items()}
    assert table == {
        "r1": (2, 2, D("80.00"), D("12.50"), 2),
        "r2": (2, 2, D("70.00"), D("-5.00"), 2),
        "r3": (1, 1, D("70.00"), D("-15.00"), 1),
        "r4": (1, 0, None, None, 0),
        "r5": (1, 1, D("75.00"), None, 0),
    }
    assert stats["r2"].to_dict()["leniency"] == -5.0


# --- rounding -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, rounded",
    [
        (Fraction(80025, 1000), "80.03"),
        (Fraction(-80025, 1000), "-80.03"),
        (Fraction(1, 3), "0.33"),
        (Fraction(2, 3), "0.67"),
        (Fraction(5, 1000), "0.01"),
        (Fraction(4999, 1000000), "0.00"),
        (Fraction(89995, 1000), "90.00"),
        (90, "90.00"),
        (D("2.675"), "2.68"),  # float round(2.675, 2) is 2.67
    ],
)
def test_round2_is_half_up_on_exact_values(value, rounded):
    assert round2(value) == D(rounded)
    assert str(round2(value)) == rounded


# --- grades -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "n_scored, pct, cutoff",
    [
        # ceil(0.3 n): 0 → 0; 0.3 → 1; 0.6 → 1; 0.9 → 1; 1.2 → 2; 2.1 → 3; 3 → 3; 3.3 → 4; 6 → 6
        (0, 30, 0), (1, 30, 1), (2, 30, 1), (3, 30, 1), (4, 30, 2), (7, 30, 3), (10, 30, 3), (11, 30, 4), (20, 30, 6),
        # configurable shares where float arithmetic goes wrong: 7/100*100 = 7.000000000000001 → ceil 8,
        # 14/100*50 = 7.000000000000001, 28/100*25 = 7.000000000000001; the answer is exactly 7
        (100, 7, 7), (50, 14, 7), (25, 28, 7),
        (3, 100, 3), (3, 0, 0), (3, 34, 2),   # 1.02 → 2
    ],
)
def test_top_cutoff_is_an_exact_ceiling(n_scored, pct, cutoff):
    assert top_cutoff(n_scored, pct) == cutoff


@pytest.mark.parametrize(
    "total, rank, n_scored, grade",
    [
        (Fraction("89.99"), 1, 10, Grade.GOOD),        # just below 90, even at rank 1
        (90, 1, 10, Grade.EXCELLENT),
        (Fraction(179999, 2000), 1, 10, Grade.GOOD),   # 89.9995 shows as 90.00 but is below 90
        (D("90.00"), 3, 10, Grade.EXCELLENT),          # top 30% of 10 = ranks 1..3
        (90, 4, 10, Grade.GOOD),                       # rank 4 of 10 is outside: ≥ 90 but Good
        (100, 1, 1, Grade.EXCELLENT),                  # ceil(0.3) = 1
        (95, 1, 3, Grade.EXCELLENT),                   # ceil(0.9) = 1
        (95, 2, 3, Grade.GOOD),
        (95, 2, 4, Grade.EXCELLENT),                   # ceil(1.2) = 2
        (95, 3, 4, Grade.GOOD),
        (75, 5, 10, Grade.GOOD),
        (Fraction("74.99"), 1, 10, Grade.PASS),
        (60, 9, 10, Grade.PASS),
        (Fraction("59.99"), 1, 10, Grade.FAIL),
        (0, 10, 10, Grade.FAIL),
        (None, None, 10, None),                        # unscored: no grade
    ],
)
def test_grade_for(total, rank, n_scored, grade):
    assert grade_for(total, rank, n_scored) == grade


@pytest.mark.parametrize(
    "total, rank, n_scored, grade",
    [
        (85, 2, 4, Grade.EXCELLENT),   # excellent 85, top 50% of 4 = ranks 1..2
        (85, 3, 4, Grade.GOOD),
        (70, 1, 4, Grade.GOOD),
        (Fraction("69.9"), 1, 4, Grade.PASS),
        (50, 1, 4, Grade.PASS),
        (Fraction("49.9"), 1, 4, Grade.FAIL),
    ],
)
def test_grade_thresholds_are_configurable(total, rank, n_scored, grade):
    thresholds = GradeThresholds(excellent=85, good=70, pass_=50, top_share_pct=50)
    assert grade_for(total, rank, n_scored, thresholds) == grade


def test_grade_for_wants_exact_totals_and_a_rank():
    with pytest.raises(TypeError):
        grade_for(90.0, 1, 10)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        grade_for(95, None, 10)
    with pytest.raises(ValueError):
        grade_for(95, 11, 10)


@pytest.mark.parametrize(
    "grade, zh, en",
    [(Grade.EXCELLENT, "优秀", "Excellent"), (Grade.GOOD, "良好", "Good"),
     (Grade.PASS, "合格", "Pass"), (Grade.FAIL, "不合格", "Fail")],
)
def test_grade_labels(grade, zh, en):
    assert (grade.zh, grade.en, grade.label("en")) == (zh, en, en)


@pytest.mark.parametrize(
    "previous, current, flagged",
    [
        (Grade.FAIL, Grade.FAIL, True),
        ("fail", "fail", True),
        (Grade.PASS, Grade.FAIL, False),
        (Grade.FAIL, Grade.PASS, False),
        (None, Grade.FAIL, False),       # first cycle
        (Grade.FAIL, None, False),       # unscored this cycle
        (Grade.EXCELLENT, Grade.GOOD, False),
    ],
)
def test_delisting_review(previous, current, flagged):
    assert delisting_review(previous, current) is flagged


def test_platform_result_to_dict():
    results = aggregate(TINY, [tiny("a", 7, 25, 40, 20), tiny("b", 7, 20, 30, 15)])
    assert results[7].to_dict() == {
        "platform_id": 7, "n_reviews": 2, "total": 75.0, "std": 10.0, "min": 65.0, "max": 85.0,
        "dimensions": {"verification": 22.5, "service": 35.0, "operating": 17.5},
        "normalised_total": 75.0, "disputed": False,
    }
    assert results[7].to_dict(include_reviewers=True)["reviewer_totals"] == {"a": 85.0, "b": 65.0}
