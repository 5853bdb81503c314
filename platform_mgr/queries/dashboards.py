"""Aggregates for the programme overview: a fixed handful of GROUP BY queries, whatever the size."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, extract, func
from sqlmodel import Session, select

from ..models import Assignment, Milestone, Outcome, Platform, Project, ReviewCycle

STAGES = ("S0", "S1", "S2", "S3", "S4")
LIVE = ("active", "on_hold", "transferred")


def stage_funnel(session: Session) -> dict:
    """Projects per stage, programme-wide and per field (killed and withdrawn left out)."""
    rows = session.exec(
        select(Platform.field, Project.stage, func.count())
        .join(Platform, Platform.id == Project.platform_id)
        .where(Project.status.in_(LIVE))
        .group_by(Platform.field, Project.stage)).all()
    by_field: dict[str, dict[str, int]] = {}
    totals = {s: 0 for s in STAGES}
    for field, stage, n in rows:
        by_field.setdefault(field, {s: 0 for s in STAGES})[stage] = n
        totals[stage] += n
    return {"stages": list(STAGES), "totals": totals, "by_field": by_field}


def platform_stage_table(session: Session, *, page: int, per_page: int):
    """One page of platforms with their project counts per stage and status: two queries."""
    total = session.exec(select(func.count()).select_from(Platform)).one()
    platforms = session.exec(select(Platform).order_by(Platform.code).offset((page - 1) * per_page)
                             .limit(per_page)).all()
    ids = [p.id for p in platforms]
    counts: dict[int, dict[str, int]] = {pid: {s: 0 for s in STAGES} | {"killed": 0, "transferred": 0} for pid in ids}
    if ids:
        rows = session.exec(
            select(Project.platform_id, Project.stage, Project.status, func.count())
            .where(Project.platform_id.in_(ids))
            .group_by(Project.platform_id, Project.stage, Project.status)).all()
        for pid, stage, status, n in rows:
            if status in ("killed", "withdrawn"):
                counts[pid]["killed"] += n
                continue
            counts[pid][stage] += n
            if status == "transferred":
                counts[pid]["transferred"] += n
    return platforms, counts, total


def trl_distribution(session: Session) -> dict[int, int]:
    rows = session.exec(select(Project.trl_current, func.count()).where(Project.status == "active",
                                                                        Project.trl_current.is_not(None))
                        .group_by(Project.trl_current)).all()
    dist = {level: 0 for level in range(1, 10)}
    for level, n in rows:
        dist[int(level)] = n
    return dist


def conversions_by_quarter(session: Session, since: date) -> dict:
    """Outcomes per kind per quarter since a date: count and value (integer yuan)."""
    year = extract("year", Outcome.occurred_on)
    month = extract("month", Outcome.occurred_on)
    rows = session.exec(
        select(year, month, Outcome.kind, func.count(), func.coalesce(func.sum(Outcome.amount), 0))
        .where(Outcome.occurred_on >= since)
        .group_by(year, month, Outcome.kind)).all()
    data: dict[str, dict[str, dict[str, int]]] = {}
    for y, m, kind, n, value in rows:
        quarter = f"{int(y)}Q{(int(m) - 1) // 3 + 1}"
        slot = data.setdefault(quarter, {}).setdefault(kind, {"count": 0, "value": 0})
        slot["count"] += int(n)
        slot["value"] += int(value)
    return {"quarters": sorted(data), "data": data}


def conversion_totals(session: Session) -> list[tuple[str, int, int]]:
    rows = session.exec(select(Outcome.kind, func.count(), func.coalesce(func.sum(Outcome.amount), 0))
                        .group_by(Outcome.kind)).all()
    return [(kind, int(n), int(v)) for kind, n, v in rows]


def overdue_milestones(session: Session, today: date, limit: int = 20):
    """The oldest overdue must-meet milestones of active projects, with their project and platform: one query."""
    base = (select(Milestone, Project, Platform)
            .join(Project, Project.id == Milestone.project_id)
            .join(Platform, Platform.id == Project.platform_id)
            .where(Milestone.status.in_(("planned", "in_progress")), Milestone.due_on < today,
                   Project.status == "active"))
    total = session.exec(select(func.count()).select_from(Milestone)
                         .join(Project, Project.id == Milestone.project_id)
                         .where(Milestone.status.in_(("planned", "in_progress")), Milestone.due_on < today,
                                Project.status == "active")).one()
    rows = session.exec(base.order_by(Milestone.is_gate_criterion.desc(), Milestone.due_on, Milestone.id)
                        .limit(limit)).all()
    return rows, total


def cycle_progress(session: Session) -> list[dict]:
    """The cycles in progress — open for scoring (评审中) — with review counts by state: two queries.

    A closed cycle's scoring is over (its progress is 100 % or never will be), so it is not listed here:
    the cycle list and the eligibility pages carry it to publication."""
    cycles = session.exec(select(ReviewCycle).where(ReviewCycle.state == "open")
                          .order_by(ReviewCycle.closes_at.desc()).limit(5)).all()
    ids = [c.id for c in cycles]
    stats: dict[int, dict[str, int]] = {cid: {"assigned": 0, "submitted": 0, "draft": 0, "conflict": 0} for cid in ids}
    if ids:
        rows = session.exec(
            select(Assignment.cycle_id, func.count(),
                   func.sum(case((and_(Assignment.review_state == "submitted", Assignment.conflicted.is_(False)), 1), else_=0)),
                   func.sum(case((Assignment.review_state == "draft", 1), else_=0)),
                   func.sum(case((Assignment.conflicted.is_(True), 1), else_=0)))
            .where(Assignment.cycle_id.in_(ids)).group_by(Assignment.cycle_id)).all()
        for cid, n, submitted, draft, conflict in rows:
            stats[cid] = {"assigned": int(n), "submitted": int(submitted or 0), "draft": int(draft or 0),
                          "conflict": int(conflict or 0)}
    return [{"cycle": c, **stats[c.id]} for c in cycles]


def headline(session: Session, today: date) -> dict:
    platforms = session.exec(select(Platform.status, func.count()).group_by(Platform.status)).all()
    projects = session.exec(select(Project.status, func.count()).group_by(Project.status)).all()
    return {"platforms": {s: int(n) for s, n in platforms}, "projects": {s: int(n) for s, n in projects}}


def milestone_status_by_stage(session: Session, platform_id: int, today: date) -> dict[str, dict[str, int]]:
    """Milestones of a platform's active projects per stage: done, waived, open and on time, overdue (one
    grouped query)."""
    rows = session.exec(
        select(Milestone.stage, Milestone.status, func.count(), func.sum(case((Milestone.due_on < today, 1), else_=0)))
        .join(Project, Project.id == Milestone.project_id)
        .where(Project.platform_id == platform_id, Project.status == "active")
        .group_by(Milestone.stage, Milestone.status)).all()
    out = {s: {"done": 0, "waived": 0, "open": 0, "overdue": 0} for s in STAGES}
    for stage, status, n, late in rows:
        bucket = out.setdefault(stage, {"done": 0, "waived": 0, "open": 0, "overdue": 0})
        if status in ("done", "waived"):
            bucket[status] += int(n)
        else:
            bucket["overdue"] += int(late or 0)
            bucket["open"] += int(n) - int(late or 0)
    return out
