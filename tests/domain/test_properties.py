"""Hypothesis properties of the scoring and eligibility rules (DESIGN §5), over generated cycles:

- a reviewer's total and a platform's total stay within 0 … the rubric's maximum;
- the dimension means of every counted platform add up to its total (the same trimmed reviews);
- the trimmed mean lies between the lowest and highest counted total; std ≥ 0; disputed ⇔ spread > limit;
- awards are never negative, never above the tier cap, never add up to more than the budget, and only
  eligible platforms get money;
- ranks are 1 … n_scored without gaps, totals never increase down the ranking;
- the whole result (aggregation and evaluation) does not depend on the order of the input.
"""
from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from platform_mgr.domain.eligibility import MilestoneFigures, PlatformFacts, RuleSet, Verdict, evaluate
from platform_mgr.domain.rubric import DEFAULT_RUBRIC_V1, dimension_max_points
from platform_mgr.domain.scoring import ReviewInput, aggregate, reviewer_total

CRITERIA = tuple(DEFAULT_RUBRIC_V1)
MAX_TENTHS = sum(c.max_tenths for c in CRITERIA)
DIM_MAX = dimension_max_points(CRITERIA)
SETTINGS = settings(max_examples=40, deadline=None, database=None)


@st.composite
def review_scores(draw):
    """Scores of one review: each criterion present or not, 0 … its maximum in tenths."""
    scores = {}
    for c in CRITERIA:
        if draw(st.booleans()) or draw(st.booleans()):
            scores[c.code] = draw(st.integers(0, c.max_tenths))
    return scores


@st.composite
def cycle_reviews(draw, max_platforms=6, max_reviewers=7):
    n_platforms = draw(st.integers(1, max_platforms))
    n_reviewers = draw(st.integers(1, max_reviewers))
    reviews = []
    for p in range(n_platforms):
        for r in range(n_reviewers):
            if draw(st.integers(0, 4)) == 0:
                continue  # not assigned
            reviews.append(ReviewInput(f"r{r}", f"p{p}", draw(review_scores()), submitted=draw(st.integers(0, 5)) > 0,
                                       conflict=draw(st.integers(0, 9)) == 0))
    return reviews


@SETTINGS
@given(review_scores())
def test_a_reviewer_total_is_within_the_rubric(scores):
    assert 0 <= reviewer_total(CRITERIA, scores) <= MAX_TENTHS


@SETTINGS
@given(cycle_reviews(), st.integers(0, 100))
def test_platform_totals_are_within_bounds_and_between_min_and_max(reviews, spread):
    results = aggregate(CRITERIA, reviews, dispute_spread=spread)
    for pid, res in results.items():
        counted = [r for r in reviews if r.platform_id == pid and r.submitted and not r.conflict]
        assert res.n == len(counted)
        if res.n == 0:
            assert res.total is None and not res.disputed
            continue
        totals = [Fraction(reviewer_total(CRITERIA, r.scores), 10) for r in counted]
        assert min(totals) <= res.total_exact <= max(totals)  # the trimmed mean stays inside the panel
        assert 0 <= res.total_exact <= Fraction(MAX_TENTHS, 10)
        assert res.min <= res.total <= res.max
        assert res.std >= 0
        assert res.disputed == (max(totals) - min(totals) > spread)
        for dim, value in res.dimensions_exact.items():
            assert value is None or 0 <= value <= DIM_MAX[dim]


@SETTINGS
@given(cycle_reviews())
def test_the_dimension_means_of_every_counted_platform_add_up_to_its_total(reviews):
    # DESIGN §4: the total and the dimension means are taken over the same counted (trimmed) reviews
    for res in aggregate(CRITERIA, reviews).values():
        if res.n:
            assert sum(res.dimensions_exact.values()) == res.total_exact
        else:
            assert all(v is None for v in res.dimensions_exact.values())


@SETTINGS
@given(cycle_reviews(), st.randoms(use_true_random=False))
def test_aggregation_does_not_depend_on_input_order(reviews, rnd):
    shuffled = list(reviews)
    rnd.shuffle(shuffled)
    assert aggregate(CRITERIA, reviews) == aggregate(CRITERIA, shuffled)


@st.composite
def eligibility_inputs(draw):
    reviews = draw(cycle_reviews())
    results = aggregate(CRITERIA, reviews)
    facts = []
    for pid, res in sorted(results.items()):
        due = draw(st.integers(0, 20))
        facts.append(PlatformFacts(
            platform_id=pid, code=f"C{pid}", field="other", origin="bottom_up",
            status=draw(st.sampled_from(["active", "active", "active", "suspended"])),
            integrity_flag=draw(st.integers(0, 9)) == 0, result=res, dimension_max=DIM_MAX,
            milestones=MilestoneFigures(draw(st.integers(0, 120)), due, draw(st.integers(0, due))),
            gates_passed_in_window=draw(st.integers(0, 2)),
        ))
    tier_b = draw(st.integers(0, 5_000_000))
    rules = RuleSet(tier_a_cap=draw(st.integers(tier_b, 10_000_000)), tier_b_cap=tier_b,
                    excellent=draw(st.integers(60, 95)), good=draw(st.integers(40, 60)), pass_=draw(st.integers(20, 40)))
    budget = draw(st.integers(0, 30_000_000))
    return rules, facts, budget


@SETTINGS
@given(eligibility_inputs())
def test_awards_never_exceed_the_budget_or_the_caps(inputs):
    rules, facts, budget = inputs
    rows = evaluate(rules, facts, budget)
    assert sum(r.award for r in rows) <= budget
    for row in rows:
        assert row.award >= 0
        if row.verdict is not Verdict.ELIGIBLE:
            assert row.award == 0
        else:
            assert row.award <= (rules.tier_a_cap if row.tier.value == "A" else rules.tier_b_cap)


@SETTINGS
@given(eligibility_inputs())
def test_ranking_has_no_gaps_and_follows_the_totals(inputs):
    rules, facts, budget = inputs
    rows = evaluate(rules, facts, budget)
    ranked = [r for r in rows if r.rank is not None]
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    totals = [r.total for r in ranked]
    assert totals == sorted(totals, reverse=True)
    assert all(r.rank is None for r in rows[len(ranked):])  # unscored platforms come last


@SETTINGS
@given(eligibility_inputs(), st.randoms(use_true_random=False))
def test_ranking_and_awards_are_stable_under_input_order(inputs, rnd):
    rules, facts, budget = inputs
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    assert evaluate(rules, facts, budget) == evaluate(rules, shuffled, budget)
