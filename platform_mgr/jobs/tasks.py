"""The scheduler's jobs (DESIGN §6): plain functions of ``(session, now)``, and the tick that runs them.

Every job loads rows, asks ``domain.schedule`` what is due at ``now``, and writes the answer in ways that
repeat safely: cycle state changes are conditional updates (``services.cycles``: a cycle that moved
meanwhile raises ``Conflict``, read as "someone else did it"), notifications carry a unique dedup key
(``services.notifications``), mails are claimed before they are sent (``services.mail``). Reminders are
decided by windows, so the first tick after a missed one catches up. Running a tick twice, or two
schedulers at once, therefore changes nothing the second time — and the leader lock keeps a second
scheduler from acting at all.

``run_tick`` takes the leader lock, runs each job in its own transaction (one failing job is logged and
does not undo the others), records a ``JobRun`` and sends the mail that is due.

Jobs hold no SQL and no text: they read through ``queries.jobs`` and hand reminders (a kind and a context
of plain values) to ``services.notifications.notify``, which renders ``templates/mail/<kind>.txt`` in both
languages.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from ..domain import schedule
from ..errors import Conflict
from ..models import JobRun, utcnow
from ..queries import jobs as queries
from ..services import mail as mail_service
from ..services import notifications

log = logging.getLogger("platform_mgr.jobs")

MISSING_REPORT_WINDOW = timedelta(days=14)  # a cycle closed longer ago than this is not reported any more
MILESTONE_BATCH = 2000
ESCALATE_AFTER_DAYS = schedule.DEFAULT_ESCALATE_AFTER_DAYS


# --- links (paths inside the app; the mail adds BASE_URL when configured) -------------------------------

def _link(*candidates: tuple[str, dict[str, Any]]) -> str:
    """The path of the first endpoint that exists (areas are built independently); '' when none does."""
    try:
        from flask import current_app

        adapter = current_app.url_map.bind("localhost")
        views = current_app.view_functions
    except RuntimeError:
        return ""
    from werkzeug.routing import BuildError

    for endpoint, values in candidates:
        if endpoint in views:
            try:
                return adapter.build(endpoint, values)
            except BuildError:
                continue
    return ""


def _reminder_link(reminder: schedule.Reminder) -> str:
    ctx = reminder.context
    kind = str(reminder.kind)
    if kind in (schedule.ReminderKind.REVIEW_DUE_7D, schedule.ReminderKind.REVIEW_DUE_1D):
        return _link(("reviews.index", {}), ("cycles.detail", {"cycle_id": ctx["cycle_id"]}))
    if kind == schedule.ReminderKind.CYCLE_MISSING_REVIEWS:
        return _link(("cycles.detail", {"cycle_id": ctx["cycle_id"]}))
    if "project_id" in ctx:
        return _link(("projects.detail", {"project_id": ctx["project_id"]}))
    return _link(("notifications.index", {}))


# --- 1. cycles open and close at their times ------------------------------------------------------------

def open_and_close_cycles(session: Session, now: datetime) -> dict[str, Any]:
    """draft → open once opens_at has passed, open → closed once closes_at has (close freezes the
    eligibility snapshot). Each change is its own savepoint: one cycle that fails does not hold back the
    others. A cycle that another process moved first is reported as skipped."""
    from ..services.cycles import close_cycle, open_cycle

    cycles = queries.cycles_to_move(session, now)
    by_id = {c.id: c for c in cycles}
    result: dict[str, Any] = {"opened": [], "closed": [], "skipped": [], "failed": {}}
    broken: set[int] = set()
    for transition in schedule.cycle_transitions(cycles, now):
        if transition.cycle_id in broken:
            continue
        cycle = by_id[transition.cycle_id]
        move = open_cycle if transition.to_state == "open" else close_cycle
        try:
            with session.begin_nested():
                move(session, None, cycle, now=now)
        except (Conflict, StaleDataError):
            session.expire(cycle)
            result["skipped"].append(cycle.id)
            broken.add(cycle.id)
            continue
        except Exception as exc:  # noqa: BLE001 - one cycle's failure must not stop the others
            log.exception("cycle %s: %s → %s failed", cycle.id, transition.from_state, transition.to_state)
            session.expire(cycle)
            result["failed"][str(cycle.id)] = f"{type(exc).__name__}: {exc}"[:300]
            broken.add(cycle.id)
            continue
        result["opened" if transition.to_state == "open" else "closed"].append(cycle.id)
    session.flush()
    return result


# --- 2. reviewers with unsubmitted reviews ---------------------------------------------------------------

def remind_reviewers(session: Session, now: datetime) -> dict[str, Any]:
    """Once the close is within 7 days, and again within 1 day (the tightest window only)."""
    pending = queries.pending_reviews(session, now, within=schedule.REVIEW_FIRST_REMINDER)
    reminders = schedule.reviewer_reminders(pending, now)
    created = notifications.notify(session, reminders, now=now, link_for=_reminder_link)
    return {"due": len(reminders), "created": len(created)}


# --- 3. after the close: what is missing -----------------------------------------------------------------

def report_missing_reviews(session: Session, now: datetime) -> dict[str, Any]:
    """Tell every active admin, once per closed cycle, which reviews were not submitted."""
    items = queries.closed_cycles_with_missing_reviews(session, now, MISSING_REPORT_WINDOW)
    if not items:
        return {"cycles": 0, "created": 0}
    reminders = schedule.missing_after_close(items, queries.active_admin_ids(session))
    created = notifications.notify(session, reminders, now=now, link_for=_reminder_link)
    return {"cycles": sum(1 for i in items if i["missing"]), "created": len(created)}


# --- 4. milestones coming due, overdue, escalated ----------------------------------------------------------

def remind_milestones(session: Session, now: datetime, *, escalate_after_days: int = ESCALATE_AFTER_DAYS,
                      batch: int = MILESTONE_BATCH) -> dict[str, Any]:
    """Operators of the milestone's platform: within 14 days, within 3 days, overdue; every active admin
    once a milestone is more than 30 days overdue. Done or waived milestones and projects that are not
    active are skipped. Works through the candidates in id batches (bounded memory and queries)."""
    today = schedule.shanghai_today(now)
    horizon = today + timedelta(days=schedule.MILESTONE_FIRST_REMINDER_DAYS)
    admin_ids = queries.active_admin_ids(session)
    due = created = 0
    last_id = 0
    while True:
        items = queries.open_milestones_due_by(session, horizon, after_id=last_id, limit=batch)
        if not items:
            break
        last_id = items[-1]["id"]
        reminders = schedule.milestone_reminders(items, now, escalate_after_days, admin_ids=admin_ids)
        due += len(reminders)
        created += len(notifications.notify(session, reminders, now=now, link_for=_reminder_link))
        if len(items) < batch:
            break
    return {"due": due, "created": created}


# --- 5. the daily digest ------------------------------------------------------------------------------------

def send_digests(session: Session, now: datetime) -> dict[str, Any]:
    """One digest a day (from 08:00 Beijing time) per active user who has something to report: the counts
    of ``queries.jobs.digest_counts``, which ``templates/mail/daily_digest.txt`` turns into lines."""
    users = queries.active_user_roles(session)
    if not users:
        return {"due": 0, "created": 0}
    kind = schedule.ReminderKind.DAILY_DIGEST.value
    last = {user_id: schedule.shanghai_today(at)
            for user_id, at in queries.last_digest_dates(session, kind, since=now - timedelta(days=2)).items()}
    due = schedule.digest_due(last, users, now)
    if not due:
        return {"due": 0, "created": 0}
    counts = queries.digest_counts(
        session, {r.recipient_id: users[r.recipient_id] for r in due}, now, today=schedule.shanghai_today(now),
        due_soon_days=schedule.MILESTONE_FIRST_REMINDER_DAYS, escalate_after_days=ESCALATE_AFTER_DAYS,
        closing_within=schedule.REVIEW_FIRST_REMINDER, digest_kind=kind)
    windows = {"due_soon_days": schedule.MILESTONE_FIRST_REMINDER_DAYS, "escalate_after_days": ESCALATE_AFTER_DAYS,
               "closing_within_days": schedule.REVIEW_FIRST_REMINDER.days}
    digests = [replace(r, context={**r.context, **windows, **counts[r.recipient_id]}) for r in due
               if any(counts[r.recipient_id][name] for name in queries.DIGEST_COUNTS)]  # nothing to report: none
    link = _link(("notifications.index", {}))
    created = notifications.notify(session, digests, now=now, link_for=lambda _r: link)
    return {"due": len(digests), "created": len(created)}


# --- 6. the outbox -------------------------------------------------------------------------------------------

def send_outbox(session: Session, now: datetime, *, smtp_class=None, limit: int = 200) -> dict[str, Any]:
    """Send the mail that is due. Unlike the other jobs this one commits as it goes: a mail is claimed
    (committed) before SMTP is asked, and its result is committed right after, so a crash or a second
    sender can neither lose a mail nor send it twice. Without MAIL_SERVER the mail waits."""
    ids = mail_service.due_ids(session, now, limit)
    session.commit()
    config = mail_service.settings()
    if not ids or not config.enabled:
        return {"sent": 0, "failed": 0, "waiting": len(ids)}
    connection = mail_service.SmtpConnection(config, smtp_class)
    sent = failed = 0
    down: BaseException | None = None  # once the server cannot be reached, the rest of the batch waits too
    try:
        for mail_id in ids:
            mail = mail_service.claim(session, mail_id, now)
            session.commit()
            if mail is None:
                continue
            try:
                if down is not None:
                    raise down
                connection.send(mail)
            except Exception as exc:  # noqa: BLE001 - any failure: the mail waits for its next attempt
                if down is None and not _recipient_error(exc):
                    down = exc
                mail_service.record_failure(session, mail, exc)
                session.commit()
                failed += 1
                log.warning("mail %s to %s not sent (attempt %s): %s", mail.id, mail.to_addr, mail.attempts, exc)
                continue
            mail_service.record_sent(session, mail, now)
            session.commit()
            sent += 1
    finally:
        connection.close()
    waiting = len(mail_service.due_ids(session, now, limit)) if failed else 0
    session.commit()
    return {"sent": sent, "failed": failed, "waiting": waiting}


def _recipient_error(exc: BaseException) -> bool:
    import smtplib

    return isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError))


def checkpoint_audit(session: Session, now: datetime) -> dict[str, Any]:
    """A signed checkpoint of the audit chain's head, outside the database (services.audit), when the head moved
    since the newest one: at least one file a day while anything happens, so a cut-short chain is detected."""
    from ..services import audit

    written = audit.write_checkpoint(session, now=now, only_if_moved=True)
    return {"written": written is not None, "event_id": written.event_id if written else None}


# --- the tick -------------------------------------------------------------------------------------------------

JOBS: tuple[tuple[str, Callable[[Session, datetime], dict[str, Any]]], ...] = (
    ("cycles", open_and_close_cycles),
    ("reviewer_reminders", remind_reviewers),
    ("missing_reviews", report_missing_reviews),
    ("milestone_reminders", remind_milestones),
    ("digest", send_digests),
    ("mail", send_outbox),
    ("audit_checkpoint", checkpoint_audit),
)
JOB_NAMES = tuple(name for name, _job in JOBS)


@dataclass
class TickReport:
    at: datetime
    leader: bool
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    job_run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.leader and not self.errors

    def lines(self) -> list[str]:
        at = self.at.astimezone(timezone.utc).isoformat()
        if not self.leader:
            return [f"tick at {at}: another scheduler holds the leader lock; nothing done"]
        out = [f"tick at {at}: leader, {len(self.results)} job(s) run"
               + (f", {len(self.errors)} failed" if self.errors else "")]
        for name in JOB_NAMES:
            if name in self.results:
                details = ", ".join(f"{k}={_short(v)}" for k, v in self.results[name].items())
                out.append(f"  {name}: {details or 'nothing to do'}")
            elif name in self.errors:
                out.append(f"  {name}: FAILED {self.errors[name]}")
        return out


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(str(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{v}" for k, v in value.items()) + "}"
    return str(value)


def _aware_utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the tick's instant must be timezone-aware")
    return at.astimezone(timezone.utc)


def run_jobs(engine, now: datetime, jobs: Iterable[tuple[str, Callable]], *, still_leader=None,
             job_kwargs: dict[str, dict[str, Any]] | None = None) -> tuple[dict, dict]:
    """Run each job in a transaction of its own; a failure is logged, rolled back and reported."""
    from ..db import new_session

    results: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for name, job in jobs:
        if still_leader is not None and not still_leader():
            errors[name] = "leader lock lost; not run"
            log.warning("leader lock lost before job %s; stopping this tick", name)
            break
        with new_session(engine, write=True) as session:
            try:
                results[name] = job(session, now, **(job_kwargs or {}).get(name, {}))
                session.commit()
            except Exception as exc:  # noqa: BLE001 - log and go on with the next job
                session.rollback()
                log.error("job %s failed at %s:\n%s", name, now.isoformat(), traceback.format_exc())
                errors[name] = f"{type(exc).__name__}: {exc}"[:500]
    return results, errors


def run_tick(at: datetime | None = None, *, lock=None, only: Iterable[str] | None = None,
             smtp_class=None, job_name: str = "tick") -> TickReport:
    """Everything due at ``at`` (default: now). Needs an app context. ``lock``: a leader lock the caller
    keeps across ticks (``scheduler run``); without one, a lock is taken for this tick and released after.
    ``only``: a subset of the job names (the digest job of the scheduler runs just "digest" and "mail")."""
    from ..db import get_engine, new_session
    from .leader import leader_lock

    now = _aware_utc(at or utcnow())
    engine = get_engine()
    own_lock = lock is None
    lock = lock or leader_lock(engine)
    if not lock.acquire():
        log.info("tick at %s: not the leader; nothing done", now.isoformat())
        return TickReport(at=now, leader=False)
    try:
        wanted = set(only) if only is not None else set(JOB_NAMES)
        jobs = [(name, job) for name, job in JOBS if name in wanted]
        started = utcnow()
        results, errors = run_jobs(engine, now, jobs, still_leader=lock.acquire,
                                   job_kwargs={"mail": {"smtp_class": smtp_class}} if smtp_class else None)
        report = TickReport(at=now, leader=True, results=results, errors=errors)
        with new_session(engine, write=True) as session:
            run = JobRun(job=job_name, started_at=started, finished_at=utcnow(), at=now,
                         summary={"results": results, "errors": errors})
            session.add(run)
            session.commit()
            report.job_run_id = run.id
        for line in report.lines():
            log.info(line)
        return report
    finally:
        if own_lock:
            lock.release()
