"""Aggregation of reviewer scores and grading (DESIGN §4).

All arithmetic is exact (`Fraction`); values leave this module rounded half-up to two decimals as
`Decimal`.  Threshold comparisons (grades, disputes) use the exact values, never the rounded ones,
so a total of 89.996 is not Excellent even though it displays as 90.00.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Protocol

from platform_mgr.domain.rubric import CriterionDef, Dimension, validate_scores

from ..enums import Grade  # noqa: F401  (re-exported)

__all__ = [
    "DEFAULT_GRADE_THRESHOLDS",
    "Grade",
    "GradeThresholds",
    "GradeThresholdsLike",
    "PlatformResult",
    "ReviewInput",
    "ReviewerStats",
    "aggregate",
    "counted",
    "delisting_review",
    "grade_for",
    "reviewer_stats",
    "reviewer_total",
    "round2",
    "round_half_up",
    "top_cutoff",
    "trimmed_reviews",
]


# --------------------------------------------------------------------------------------------------
# exact helpers


def round_half_up(value: Fraction | int | Decimal, places: int = 2) -> Decimal:
    """Round an exact value half-up (away from zero on a tie) to `places` decimals, as a Decimal."""
    scaled = Fraction(value) * 10**places
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    signed = -magnitude if scaled < 0 else magnitude
    return Decimal(signed).scaleb(-places)


def round2(value: Fraction | int | Decimal) -> Decimal:
    """Round an exact value half-up to two decimals: 80.025 → 80.03 (float rounding gives 80.02)."""
    return round_half_up(value, 2)


def _round2_or_none(value: Fraction | None) -> Decimal | None:
    return None if value is None else round2(value)


def _mean(values: Sequence[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def _pvariance(values: Sequence[Fraction]) -> Fraction:
    mean = _mean(values)
    return sum(((v - mean) ** 2 for v in values), Fraction(0)) / len(values)


def _sqrt(value: Fraction) -> Fraction:
    """Square root: exact when numerator and denominator are perfect squares, else 60 significant digits."""
    if value < 0:
        raise ValueError("square root of a negative number")
    num, den = value.numerator, value.denominator
    rnum, rden = math.isqrt(num), math.isqrt(den)
    if rnum * rnum == num and rden * rden == den:
        return Fraction(rnum, rden)
    with localcontext() as ctx:
        ctx.prec = 60
        return Fraction((Decimal(num) / Decimal(den)).sqrt())


def _pstdev(values: Sequence[Fraction]) -> Fraction:
    return _sqrt(_pvariance(values))


def _sort_key(value: Hashable) -> tuple[int, int, str]:
    # ids are usually ints (numeric order); anything else sorts after them by type name and text
    if isinstance(value, int) and not isinstance(value, bool):
        return (0, value, "")
    return (1, 0, f"{type(value).__name__}:{value}")


def _points(tenths: int) -> Fraction:
    return Fraction(tenths, 10)


# --------------------------------------------------------------------------------------------------
# inputs and results


@dataclass(frozen=True)
class ReviewInput:
    """One reviewer's review of one platform: scores are criterion code → integer tenths."""

    reviewer_id: Hashable
    platform_id: Hashable
    scores: Mapping[str, int]
    submitted: bool
    conflict: bool = False

    @property
    def is_counted(self) -> bool:
        return bool(self.submitted) and not self.conflict


def counted(reviews: Iterable[ReviewInput]) -> list[ReviewInput]:
    """The reviews that count towards aggregation: submitted and without a declared conflict."""
    return [r for r in reviews if r.is_counted]


def trimmed_reviews(reviews: Sequence[ReviewInput], total_of) -> list[ReviewInput]:
    """The reviews a platform's total and dimension means are taken over (DESIGN §4).

    With n ≥ 5 the one highest and the one lowest total are dropped; ties are broken by reviewer id
    (the lowest id of the lowest totals and the highest id of the highest totals are dropped), so the
    same reviews are dropped whatever the order of `reviews`.  Otherwise every review is kept.
    """
    ordered = sorted(reviews, key=lambda r: (total_of(r), _sort_key(r.reviewer_id)))
    return ordered[1:-1] if len(ordered) >= 5 else ordered


def reviewer_total(criteria: Iterable[CriterionDef], scores: Mapping[str, int]) -> int:
    """A reviewer's total in tenths: the sum of criterion points (missing criteria count 0).

    Raises `rubric.ScoreError` for unknown codes or out-of-range points rather than adding them up.
    """
    return sum(validate_scores(criteria, scores).values())


def _dimension_tenths(criteria: Sequence[CriterionDef], scores: Mapping[str, int]) -> dict[Dimension, int]:
    sums = {c.dimension: 0 for c in criteria}
    for c in criteria:
        sums[c.dimension] += scores.get(c.code, 0)
    return sums


@dataclass(frozen=True)
class PlatformResult:
    """Aggregated scores of one platform in one cycle; every point value is in points, not tenths.

    `total`, `std`, `min`, `max`, `dimensions`, `normalised_total` are rounded half-up to two decimals
    for display; `total_exact` and `dimensions_exact` are the exact values that thresholds compare.
    `reviewer_totals` maps each counted reviewer to their total (admin breakdown; hide while blind).
    With no counted review (`n == 0`) every figure is None and `disputed` is False.
    """

    platform_id: Hashable
    n: int
    total: Decimal | None
    std: Decimal | None
    min: Decimal | None
    max: Decimal | None
    dimensions: dict[Dimension, Decimal | None]
    normalised_total: Decimal | None
    disputed: bool
    reviewer_totals: dict[Hashable, Decimal]
    total_exact: Fraction | None
    dimensions_exact: dict[Dimension, Fraction | None]

    @property
    def scored(self) -> bool:
        return self.n > 0

    def to_dict(self, *, include_reviewers: bool = False) -> dict:
        """JSON-able (numbers as floats of the two-decimal values), keys as in the results API."""
        out: dict = {
            "platform_id": self.platform_id,
            "n_reviews": self.n,
            "total": _float(self.total),
            "std": _float(self.std),
            "min": _float(self.min),
            "max": _float(self.max),
            "dimensions": {str(d): _float(v) for d, v in self.dimensions.items()},
            "normalised_total": _float(self.normalised_total),
            "disputed": self.disputed,
        }
        if include_reviewers:
            out["reviewer_totals"] = {str(k): _float(v) for k, v in self.reviewer_totals.items()}
        return out


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def aggregate(
    criteria: Iterable[CriterionDef],
    reviews: Iterable[ReviewInput],
    *,
    dispute_spread: int | Fraction | Decimal = 20,
) -> dict[Hashable, PlatformResult]:
    """Aggregate one cycle's reviews into a `PlatformResult` for every platform that appears.

    * total: trimmed mean of the counted reviewer totals — one highest and one lowest dropped when
      n ≥ 5, plain mean otherwise.
    * std: *population* standard deviation (divide by n) of the counted totals, untrimmed.  The counted
      reviewers are the whole panel for the platform, not a sample of a larger population, so
      n = 1 gives 0 rather than being undefined.
    * dimensions: mean points per dimension over the same reviews as the total (`trimmed_reviews`),
      so the exact dimension means add up to the exact total.
    * disputed: max − min > `dispute_spread` points (exactly 20.0 is not disputed).
    * normalised_total: each reviewer's counted totals are turned into z-scores across the platforms
      they scored (population std; a reviewer with one platform or no spread contributes z = 0); the
      platform's value is cycle_mean + mean(z of its counted reviews) × cycle_std, where cycle_mean and
      cycle_std are the mean and population std of all counted reviewer totals in `reviews`.

    The same reviewer reviewing the same platform twice is a programming error (ValueError).
    The result does not depend on the order of `reviews`.
    """
    criteria = tuple(criteria)
    reviews = list(reviews)
    spread_limit = Fraction(dispute_spread)

    seen: set[tuple[Hashable, Hashable]] = set()
    platform_ids: set[Hashable] = set()
    for r in reviews:
        key = (r.reviewer_id, r.platform_id)
        if key in seen:
            raise ValueError(f"reviewer {r.reviewer_id!r} reviewed platform {r.platform_id!r} twice")
        seen.add(key)
        platform_ids.add(r.platform_id)

    counted_reviews = counted(reviews)
    totals: dict[tuple[Hashable, Hashable], Fraction] = {
        (r.reviewer_id, r.platform_id): _points(reviewer_total(criteria, r.scores)) for r in counted_reviews
    }
    by_platform: dict[Hashable, list[ReviewInput]] = defaultdict(list)
    for r in counted_reviews:
        by_platform[r.platform_id].append(r)

    # z-scores per reviewer across the platforms they scored
    by_reviewer: dict[Hashable, list[tuple[Hashable, Fraction]]] = defaultdict(list)
    for (reviewer, platform), total in totals.items():
        by_reviewer[reviewer].append((platform, total))
    z_scores: dict[tuple[Hashable, Hashable], Fraction] = {}
    for reviewer, items in by_reviewer.items():
        values = [t for _, t in items]
        mean = _mean(values)
        std = _pstdev(values)
        for platform, total in items:
            z_scores[(reviewer, platform)] = Fraction(0) if std == 0 else (total - mean) / std

    all_totals = list(totals.values())
    cycle_mean = _mean(all_totals) if all_totals else Fraction(0)
    cycle_std = _pstdev(all_totals) if all_totals else Fraction(0)

    dimensions_order = list(dict.fromkeys(c.dimension for c in criteria))
    results: dict[Hashable, PlatformResult] = {}
    for platform in sorted(platform_ids, key=_sort_key):
        mine = sorted(by_platform.get(platform, ()), key=lambda r: _sort_key(r.reviewer_id))
        n = len(mine)
        if n == 0:
            results[platform] = PlatformResult(
                platform_id=platform, n=0, total=None, std=None, min=None, max=None,
                dimensions={d: None for d in dimensions_order}, normalised_total=None, disputed=False,
                reviewer_totals={}, total_exact=None, dimensions_exact={d: None for d in dimensions_order},
            )
            continue
        values = [totals[(r.reviewer_id, platform)] for r in mine]
        ordered = sorted(values)
        kept = trimmed_reviews(mine, lambda r: totals[(r.reviewer_id, platform)])
        total = _mean([totals[(r.reviewer_id, platform)] for r in kept])
        dim_sums: dict[Dimension, int] = {d: 0 for d in dimensions_order}
        for r in kept:
            for d, t in _dimension_tenths(criteria, r.scores).items():
                dim_sums[d] += t
        dims_exact = {d: Fraction(s, 10 * len(kept)) for d, s in dim_sums.items()}
        mean_z = _mean([z_scores[(r.reviewer_id, platform)] for r in mine])
        normalised = cycle_mean + mean_z * cycle_std
        results[platform] = PlatformResult(
            platform_id=platform,
            n=n,
            total=round2(total),
            std=round2(_pstdev(values)),
            min=round2(ordered[0]),
            max=round2(ordered[-1]),
            dimensions={d: round2(v) for d, v in dims_exact.items()},
            normalised_total=round2(normalised),
            disputed=(ordered[-1] - ordered[0]) > spread_limit,
            reviewer_totals={r.reviewer_id: round2(totals[(r.reviewer_id, platform)]) for r in mine},
            total_exact=total,
            dimensions_exact=dims_exact,
        )
    return results


@dataclass(frozen=True)
class ReviewerStats:
    """Calibration figures of one reviewer in a cycle (admin view).

    `submitted`: reviews submitted (conflicted ones included); `counted`: submitted and not conflicted;
    `mean_total`: mean of their counted totals; `leniency`: mean over their counted platforms of
    (their total − mean of the other counted reviewers' totals for that platform), over the platforms
    that have another counted reviewer — None when none has; `compared` is that number of platforms.
    Positive leniency = scores more generously than colleagues.
    """

    reviewer_id: Hashable
    submitted: int
    counted: int
    mean_total: Decimal | None
    leniency: Decimal | None
    compared: int

    def to_dict(self) -> dict:
        return {
            "reviewer_id": self.reviewer_id,
            "submitted": self.submitted,
            "counted": self.counted,
            "mean_total": _float(self.mean_total),
            "leniency": _float(self.leniency),
            "compared": self.compared,
        }


def reviewer_stats(criteria: Iterable[CriterionDef], reviews: Iterable[ReviewInput]) -> dict[Hashable, ReviewerStats]:
    """`ReviewerStats` for every reviewer that appears in `reviews`, keyed by reviewer id."""
    criteria = tuple(criteria)
    reviews = list(reviews)
    totals: dict[tuple[Hashable, Hashable], Fraction] = {}
    per_platform: dict[Hashable, dict[Hashable, Fraction]] = defaultdict(dict)
    for r in counted(reviews):
        t = _points(reviewer_total(criteria, r.scores))
        if (r.reviewer_id, r.platform_id) in totals:
            raise ValueError(f"reviewer {r.reviewer_id!r} reviewed platform {r.platform_id!r} twice")
        totals[(r.reviewer_id, r.platform_id)] = t
        per_platform[r.platform_id][r.reviewer_id] = t

    submitted_count: dict[Hashable, int] = defaultdict(int)
    own_totals: dict[Hashable, dict[Hashable, Fraction]] = defaultdict(dict)
    for r in reviews:
        submitted_count[r.reviewer_id] += 1 if r.submitted else 0
    for (reviewer, platform), t in totals.items():
        own_totals[reviewer][platform] = t

    stats: dict[Hashable, ReviewerStats] = {}
    for reviewer in sorted(submitted_count, key=_sort_key):
        submitted = submitted_count[reviewer]
        mine = own_totals.get(reviewer, {})
        diffs: list[Fraction] = []
        for platform, own in mine.items():
            others = [t for rv, t in per_platform[platform].items() if rv != reviewer]
            if others:
                diffs.append(own - _mean(others))
        stats[reviewer] = ReviewerStats(
            reviewer_id=reviewer,
            submitted=submitted,
            counted=len(mine),
            mean_total=round2(_mean(list(mine.values()))) if mine else None,
            leniency=round2(_mean(diffs)) if diffs else None,
            compared=len(diffs),
        )
    return stats


# --------------------------------------------------------------------------------------------------
# grades




class GradeThresholdsLike(Protocol):
    excellent: int
    good: int
    pass_: int
    top_share_pct: int


@dataclass(frozen=True)
class GradeThresholds:
    """Grade thresholds in points and the top share (percent) required for Excellent.

    `eligibility.RuleSet` has the same attributes and can be passed wherever this is expected.
    """

    excellent: int = 90
    good: int = 75
    pass_: int = 60
    top_share_pct: int = 30


DEFAULT_GRADE_THRESHOLDS = GradeThresholds()


def top_cutoff(n_scored: int, top_share_pct: int = 30) -> int:
    """Last rank inside the top share: ceil(pct/100 × n_scored), in integers (30% of 10 is 3, not 4)."""
    if n_scored < 0:
        raise ValueError("n_scored must not be negative")
    return -(-top_share_pct * n_scored // 100)


def grade_for(
    total: Fraction | Decimal | int | None,
    rank: int | None,
    n_scored: int,
    thresholds: GradeThresholdsLike = DEFAULT_GRADE_THRESHOLDS,
) -> Grade | None:
    """The grade of a platform from its exact total and its rank among the `n_scored` scored platforms.

    Excellent: total ≥ excellent **and** rank ≤ ceil(top_share_pct% × n_scored); Good: total ≥ good
    (including ≥ excellent outside the top share); Pass: total ≥ pass_; Fail below.  Pass the exact
    total (`PlatformResult.total_exact`).  An unscored platform (total None) has no grade.
    """
    if total is None:
        return None
    if isinstance(total, float):
        raise TypeError("pass the exact total (Fraction/Decimal/int), not a float")
    exact = Fraction(total)
    if exact >= thresholds.excellent:
        if rank is None or not 1 <= rank <= n_scored:
            raise ValueError(f"rank {rank!r} is not within 1..{n_scored}")
        if rank <= top_cutoff(n_scored, thresholds.top_share_pct):
            return Grade.EXCELLENT
        return Grade.GOOD
    if exact >= thresholds.good:
        return Grade.GOOD
    if exact >= thresholds.pass_:
        return Grade.PASS
    return Grade.FAIL


def delisting_review(previous_grade: Grade | str | None, grade: Grade | str | None) -> bool:
    """True when a platform failed two consecutive cycles (previous and current grade both Fail)."""
    return previous_grade == Grade.FAIL and grade == Grade.FAIL
