"""Demo review data (rubric, cycles, assignments, scores). Filled in by the review-cycle area."""
from __future__ import annotations


def seed_cycles(session, *, today, rng, platform_ids, reviewer_ids, operator_ids, admin_id, scale) -> None:
    return None
