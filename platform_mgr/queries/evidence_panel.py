"""The evidence panel reviewers see beside the criteria (DESIGN §4): a platform's figures in a data window.

Five aggregate queries whatever the number of projects (no per-project loop):

* projects — the platform's projects started on or before the window's end (or with no start date),
  counted by current stage and by status;
* TRL gain — current TRL minus TRL at entry of those projects, as a histogram from which the median
  is read (SQLite has no median aggregate);
* gates passed — gate decisions go / conditional_go decided inside the window (Asia/Shanghai days);
* outcomes dated inside the window, by kind: conversions (licence, assignment, equity) with count and
  contract value, spin-outs, follow-on investment, technology contracts;
* milestones — due inside the window (waived excluded) and done on or before their due date (the
  on-time rate of DESIGN §5 R4), overdue at the window's end, and overdue today.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction

from sqlalchemy import and_, case, func, not_, or_
from sqlmodel import Session, select

from ..domain.scoring import round_half_up
from ..i18n import SHANGHAI
from ..models import GateReview, Milestone, Outcome, Project

STAGES = ("S0", "S1", "S2", "S3", "S4")
CONVERSION_KINDS = ("licence", "assignment", "equity")
PASSING = ("go", "conditional_go")


def _day_start_utc(d: date) -> datetime:
    return datetime.combine(d, time(0, 0), tzinfo=SHANGHAI).astimezone(timezone.utc)


def median_from_histogram(histogram: dict[int, int]) -> Fraction | None:
    """The median of values given as value → count (the mean of the two middle values when even)."""
    n = sum(histogram.values())
    if n == 0:
        return None
    wanted = [(n - 1) // 2, n // 2]
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        for index in wanted:
            if seen <= index < seen + count:
                found.append(value)
        seen += count
    return Fraction(sum(found), len(found))


def evidence_panel(session: Session, platform_id: int, window_start: date, window_end: date, today: date) -> dict:
    """The platform's figures inside [window_start, window_end]; JSON-able (ints, floats, None)."""
    start_at, end_at = _day_start_utc(window_start), _day_start_utc(window_end + timedelta(days=1))
    in_window = and_(Project.platform_id == platform_id,
                     or_(Project.started_on.is_(None), Project.started_on <= window_end))

    # 1. projects by stage and status
    by_stage = {s: 0 for s in STAGES}
    by_status: dict[str, int] = {}
    for stage, status, n in session.exec(select(Project.stage, Project.status, func.count())
                                         .where(in_window).group_by(Project.stage, Project.status)).all():
        by_stage[stage] = by_stage.get(stage, 0) + n
        by_status[status] = by_status.get(status, 0) + n

    # 2. TRL gain histogram → median
    gain = Project.trl_current - Project.trl_entry
    histogram = {int(g): int(n) for g, n in session.exec(
        select(gain, func.count()).where(in_window, Project.trl_entry.is_not(None), Project.trl_current.is_not(None))
        .group_by(gain)).all()}
    median = median_from_histogram(histogram)

    # 3. gates passed in the window
    gates_by_stage = {s: 0 for s in STAGES}
    conditional = 0
    for from_stage, decision, n in session.exec(
            select(GateReview.from_stage, GateReview.decision, func.count())
            .join(Project, Project.id == GateReview.project_id)
            .where(Project.platform_id == platform_id, GateReview.decision.in_(PASSING),
                   GateReview.decided_at >= start_at, GateReview.decided_at < end_at)
            .group_by(GateReview.from_stage, GateReview.decision)).all():
        gates_by_stage[from_stage] = gates_by_stage.get(from_stage, 0) + n
        if decision == "conditional_go":
            conditional += n

    # 4. outcomes in the window by kind
    outcomes: dict[str, dict[str, int]] = {}
    for kind, n, amount in session.exec(
            select(Outcome.kind, func.count(), func.coalesce(func.sum(Outcome.amount), 0))
            .join(Project, Project.id == Outcome.project_id)
            .where(Project.platform_id == platform_id, Outcome.occurred_on >= window_start,
                   Outcome.occurred_on <= window_end)
            .group_by(Outcome.kind)).all():
        outcomes[kind] = {"count": int(n), "amount": int(amount or 0)}

    def kind(k: str) -> dict[str, int]:
        return outcomes.get(k, {"count": 0, "amount": 0})

    # 5. milestones
    not_waived = Milestone.status != "waived"
    due_in = and_(not_waived, Milestone.due_on >= window_start, Milestone.due_on <= window_end)
    on_time = and_(due_in, Milestone.status == "done", Milestone.completed_on.is_not(None),
                   Milestone.completed_on <= Milestone.due_on)
    late_at_end = and_(not_waived, Milestone.due_on < window_end,
                       not_(and_(Milestone.status == "done",
                                 or_(Milestone.completed_on.is_(None), Milestone.completed_on <= window_end))))
    overdue_now = and_(Milestone.status.in_(("planned", "in_progress")), Milestone.due_on < today)

    def count_if(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    row = session.exec(
        select(count_if(due_in), count_if(on_time), count_if(late_at_end),
               count_if(and_(late_at_end, Milestone.is_gate_criterion)), count_if(overdue_now))
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.platform_id == platform_id)).one()
    due_n, on_time_n, late_end_n, late_end_must_n, overdue_now_n = (int(v or 0) for v in row)

    conversions = {k: kind(k) for k in CONVERSION_KINDS}
    return {
        "platform_id": platform_id,
        "window_start": window_start.isoformat(),
        "window_end": window_end.isoformat(),
        "as_of": today.isoformat(),
        "projects": {"total": sum(by_stage.values()), "by_stage": by_stage, "by_status": dict(sorted(by_status.items()))},
        "gates_passed": {"total": sum(gates_by_stage.values()), "conditional": conditional, "by_stage": gates_by_stage},
        "trl": {"median_gain": None if median is None else float(round_half_up(median, 1)),
                "projects": sum(histogram.values())},
        "conversions": {**conversions, "count": sum(v["count"] for v in conversions.values()),
                        "amount": sum(v["amount"] for v in conversions.values())},
        "spinouts": kind("spinout")["count"],
        "follow_on_investment": kind("follow_on_investment"),
        "contracts": kind("contract"),
        "milestones": {
            "due_in_window": due_n,
            "on_time": on_time_n,
            "on_time_rate_pct": None if not due_n else float(round_half_up(Fraction(100 * on_time_n, due_n), 1)),
            "overdue_at_window_end": late_end_n,
            "must_meet_overdue_at_window_end": late_end_must_n,
            "overdue_now": overdue_now_n,
            "overdue": overdue_now_n,  # DESIGN's "overdue count": open milestones past their due date today
        },
    }
