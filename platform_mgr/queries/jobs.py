"""Read side of the scheduler's jobs (jobs/tasks.py): the rows and counts each job decides from.

Each function is one query, or a fixed number of grouped ones whatever the number of rows, users or
platforms; none writes. Instants are timezone-aware UTC (a database that returns them naive is read as UTC).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, select

from ..models import Assignment, Milestone, Notification, OperatorPlatform, Platform, Project, ReviewCycle, User

CLOSED_MILESTONE = ("done", "waived")

# the counts of a daily digest, in the order its lines are shown (templates/mail/daily_digest.txt)
DIGEST_COUNTS = ("reviews_to_submit", "milestones_due_soon", "milestones_overdue", "milestones_escalated",
                 "reviews_pending_closing_soon", "unread_notifications")


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def active_admin_ids(session: Session) -> list[int]:
    return list(session.exec(select(User.id).where(User.role == "admin", User.active.is_(True))
                             .order_by(User.id)).all())


def active_user_roles(session: Session) -> dict[int, str]:
    """Every active user's id → role."""
    return dict(session.exec(select(User.id, User.role).where(User.active.is_(True))).all())


# --- cycles ------------------------------------------------------------------------------------------------

def cycles_to_move(session: Session, now: datetime) -> list[ReviewCycle]:
    """Draft cycles whose opening has passed and open cycles whose close has, in opening order."""
    return list(session.exec(
        select(ReviewCycle)
        .where(((ReviewCycle.state == "draft") & (ReviewCycle.opens_at <= now))
               | ((ReviewCycle.state == "open") & (ReviewCycle.closes_at <= now)))
        .order_by(ReviewCycle.opens_at, ReviewCycle.id)).all())


# --- reviews -----------------------------------------------------------------------------------------------

def pending_reviews(session: Session, now: datetime, within: timedelta):
    """Unsubmitted, non-conflicted assignments of active reviewers in open cycles closing within `within`."""
    return session.exec(
        select(Assignment.cycle_id, Assignment.reviewer_id, Assignment.platform_id,
               ReviewCycle.closes_at.label("closes_at"), ReviewCycle.name.label("cycle_name"),
               Platform.code.label("platform_code"))
        .join(ReviewCycle, ReviewCycle.id == Assignment.cycle_id)
        .join(Platform, Platform.id == Assignment.platform_id)
        .join(User, User.id == Assignment.reviewer_id)
        .where(ReviewCycle.state == "open", ReviewCycle.closes_at > now, ReviewCycle.closes_at <= now + within,
               Assignment.review_state != "submitted", Assignment.conflicted.is_(False),
               User.active.is_(True))
        .order_by(Assignment.cycle_id, Assignment.reviewer_id, Assignment.platform_id)).all()


def closed_cycles_with_missing_reviews(session: Session, now: datetime, window: timedelta) -> list[dict[str, Any]]:
    """Cycles closed (or published) in the last `window`, each with the reviews that were not submitted
    (conflicts declared are not missing): ``{cycle_id, cycle_name, closes_at, missing: [{reviewer_id,
    platform_id, reviewer_name, platform_code}]}``. Two queries."""
    closed_at = func.coalesce(ReviewCycle.closed_at, ReviewCycle.closes_at)
    cycles = session.exec(
        select(ReviewCycle)
        .where(ReviewCycle.state.in_(("closed", "published")), closed_at <= now, closed_at >= now - window)
        .order_by(ReviewCycle.id)).all()
    if not cycles:
        return []
    rows = session.exec(
        select(Assignment.cycle_id, Assignment.reviewer_id, Assignment.platform_id,
               User.display_name, Platform.code)
        .join(User, User.id == Assignment.reviewer_id)
        .join(Platform, Platform.id == Assignment.platform_id)
        .where(Assignment.cycle_id.in_([c.id for c in cycles]), Assignment.review_state != "submitted",
               Assignment.conflicted.is_(False))
        .order_by(Assignment.cycle_id, Assignment.reviewer_id, Assignment.platform_id)).all()
    missing: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for cycle_id, reviewer_id, platform_id, name, code in rows:
        missing[cycle_id].append({"reviewer_id": reviewer_id, "platform_id": platform_id,
                                  "reviewer_name": name, "platform_code": code})
    return [{"cycle_id": c.id, "cycle_name": c.name, "closes_at": c.closed_at or c.closes_at,
             "missing": missing.get(c.id, [])} for c in cycles]


# --- milestones --------------------------------------------------------------------------------------------

def open_milestones_due_by(session: Session, horizon: date, *, after_id: int = 0, limit: int = 2000) -> list[dict]:
    """One batch (by id, after `after_id`) of the open milestones of active projects due on or before
    `horizon`, each with its project, platform and the platform's active operators (`operator_ids`).
    Two queries per batch."""
    rows = session.exec(
        select(Milestone.id, Milestone.project_id, Project.platform_id, Milestone.title, Milestone.due_on,
               Milestone.status, Project.status.label("project_status"),
               Project.title_zh.label("project_title"), Platform.code.label("platform_code"))
        .join(Project, Project.id == Milestone.project_id)
        .join(Platform, Platform.id == Project.platform_id)
        .where(Milestone.id > after_id, Project.status == "active",
               Milestone.status.not_in(CLOSED_MILESTONE), Milestone.due_on <= horizon)
        .order_by(Milestone.id).limit(limit)).all()
    if not rows:
        return []
    operators: dict[int, list[int]] = defaultdict(list)
    for user_id, platform_id in session.exec(
            select(OperatorPlatform.user_id, OperatorPlatform.platform_id)
            .join(User, User.id == OperatorPlatform.user_id)
            .where(OperatorPlatform.platform_id.in_({r.platform_id for r in rows}), User.active.is_(True),
                   User.role == "operator")).all():
        operators[platform_id].append(user_id)
    return [{**r._mapping, "operator_ids": operators.get(r.platform_id, [])} for r in rows]


# --- the daily digest --------------------------------------------------------------------------------------

def last_digest_dates(session: Session, kind: str, since: datetime) -> dict[int, datetime]:
    """Per recipient, when their latest notification of `kind` created after `since` was created."""
    return {user_id: _utc(created_at) for user_id, created_at in session.exec(
        select(Notification.recipient_id, func.max(Notification.created_at))
        .where(Notification.kind == kind, Notification.created_at >= since)
        .group_by(Notification.recipient_id)).all() if created_at is not None}


def digest_counts(session: Session, users: dict[int, str], now: datetime, *, today: date, due_soon_days: int,
                  escalate_after_days: int, closing_within: timedelta, digest_kind: str) -> dict[int, dict[str, Any]]:
    """What needs each user's attention, as counts (`DIGEST_COUNTS`) and the first review deadline, for
    every user in `users` (id → role): reviewers their unsubmitted reviews in open cycles; operators the
    open milestones of their platforms due within `due_soon_days` and those overdue; admins the milestones
    more than `escalate_after_days` overdue and the unsubmitted reviews of cycles closing within
    `closing_within`; everyone their unread notifications of the last 24 hours (digests aside). At most five
    grouped queries, whatever the number of users."""
    out: dict[int, dict[str, Any]] = {
        user_id: {**dict.fromkeys(DIGEST_COUNTS, 0), "first_review_closes_at": None} for user_id in users}
    if not users:
        return out

    reviewer_ids = [u for u, role in users.items() if role == "reviewer"]
    if reviewer_ids:
        for reviewer_id, n, closes in session.exec(
                select(Assignment.reviewer_id, func.count(Assignment.id), func.min(ReviewCycle.closes_at))
                .join(ReviewCycle, ReviewCycle.id == Assignment.cycle_id)
                .where(Assignment.reviewer_id.in_(reviewer_ids), ReviewCycle.state == "open",
                       ReviewCycle.closes_at > now, Assignment.review_state != "submitted",
                       Assignment.conflicted.is_(False))
                .group_by(Assignment.reviewer_id)).all():
            out[reviewer_id].update(reviews_to_submit=int(n), first_review_closes_at=_utc(closes))

    operator_ids = [u for u, role in users.items() if role == "operator"]
    if operator_ids:
        horizon = today + timedelta(days=due_soon_days)
        overdue = func.sum(case((Milestone.due_on < today, 1), else_=0))
        soon = func.sum(case((Milestone.due_on >= today, 1), else_=0))
        for user_id, n_overdue, n_soon in session.exec(
                select(OperatorPlatform.user_id, overdue, soon)
                .join(Project, Project.platform_id == OperatorPlatform.platform_id)
                .join(Milestone, Milestone.project_id == Project.id)
                .where(OperatorPlatform.user_id.in_(operator_ids), Project.status == "active",
                       Milestone.status.not_in(CLOSED_MILESTONE), Milestone.due_on <= horizon)
                .group_by(OperatorPlatform.user_id)).all():
            out[user_id].update(milestones_due_soon=int(n_soon or 0), milestones_overdue=int(n_overdue or 0))

    admin_ids = [u for u, role in users.items() if role == "admin"]
    if admin_ids:
        limit = today - timedelta(days=escalate_after_days)
        escalated = session.exec(
            select(func.count(Milestone.id)).join(Project, Project.id == Milestone.project_id)
            .where(Project.status == "active", Milestone.status.not_in(CLOSED_MILESTONE),
                   Milestone.due_on < limit)).one()
        pending = session.exec(
            select(func.count(Assignment.id)).join(ReviewCycle, ReviewCycle.id == Assignment.cycle_id)
            .where(ReviewCycle.state == "open", ReviewCycle.closes_at > now,
                   ReviewCycle.closes_at <= now + closing_within,
                   Assignment.review_state != "submitted", Assignment.conflicted.is_(False))).one()
        for admin_id in admin_ids:
            out[admin_id].update(milestones_escalated=int(escalated), reviews_pending_closing_soon=int(pending))

    for user_id, n in session.exec(
            select(Notification.recipient_id, func.count(Notification.id))
            .where(Notification.recipient_id.in_(list(users)), Notification.read_at.is_(None),
                   Notification.kind != digest_kind,
                   Notification.created_at > now - timedelta(days=1), Notification.created_at <= now)
            .group_by(Notification.recipient_id)).all():
        out[user_id]["unread_notifications"] = int(n)
    return out
