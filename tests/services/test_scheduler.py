"""The scheduler's tick with controlled time: cycles on time, reminders to exactly the right people once,
catch-up after a missed tick, idempotence, escalation, the daily digest, the leader lock."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from platform_mgr.db import get_engine
from platform_mgr.jobs import tasks
from platform_mgr.jobs.leader import AdvisoryLock, LeaseLock, leader_lock
from platform_mgr.jobs.tasks import run_tick
from platform_mgr.models import (
    AuditEvent,
    EligibilitySnapshot,
    JobRun,
    Notification,
    ReviewCycle,
    SchedulerLease,
)
from platform_mgr.services import notifications

UTC = timezone.utc
DAY = timedelta(days=1)


def utc(y, m, d, h=2, mi=0) -> datetime:
    """02:00 UTC is 10:00 in Shanghai: the same calendar date in both zones."""
    return datetime(y, m, d, h, mi, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def notes(db, kind=None):
    db.expire_all()
    q = select(Notification).order_by(Notification.id)
    if kind is not None:
        q = q.where(Notification.kind == kind)
    return db.exec(q).all()


def recipients(db, kind):
    return sorted(n.recipient_id for n in notes(db, kind))


# --- cycles -----------------------------------------------------------------------------------------------

def _open_cycle_world(make, **kw):
    opens, closes = utc(2026, 11, 1, 0), utc(2026, 12, 1, 0)
    cycle = make.cycle(opens_at=opens, closes_at=closes, **kw)
    return cycle, opens, closes


def test_cycle_opens_and_closes_on_time_and_a_repeated_tick_changes_nothing(ctx, make, db):
    cycle, opens, closes = _open_cycle_world(make)
    report = run_tick(opens - timedelta(minutes=1))
    assert report.leader and report.results["cycles"]["opened"] == []
    assert db.get(ReviewCycle, cycle.id).state == "draft"

    report = run_tick(opens)
    assert report.results["cycles"]["opened"] == [cycle.id]
    db.expire_all()
    opened = db.get(ReviewCycle, cycle.id)
    assert opened.state == "open" and opened.opened_at == opens
    assert run_tick(opens + timedelta(minutes=5)).results["cycles"] == {"opened": [], "closed": [], "skipped": [],
                                                                        "failed": {}}

    report = run_tick(closes + timedelta(minutes=3))
    assert report.results["cycles"]["closed"] == [cycle.id]
    db.expire_all()
    closed = db.get(ReviewCycle, cycle.id)
    assert closed.state == "closed"
    assert db.exec(select(EligibilitySnapshot).where(EligibilitySnapshot.cycle_id == cycle.id)).one()
    version = closed.version
    run_tick(closes + timedelta(minutes=8))
    db.expire_all()
    assert db.get(ReviewCycle, cycle.id).version == version  # nothing moved twice
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "cycle",
                                                       AuditEvent.entity_id == cycle.id)).all()
    assert actions.count("open") == 1 and actions.count("close") == 1


def test_missed_ticks_catch_up_a_draft_cycle_whose_close_has_passed(ctx, make, db):
    cycle, _opens, closes = _open_cycle_world(make)
    report = run_tick(closes + DAY)
    assert report.results["cycles"]["opened"] == [cycle.id] and report.results["cycles"]["closed"] == [cycle.id]
    db.expire_all()
    assert db.get(ReviewCycle, cycle.id).state == "closed"


def test_a_cycle_moved_meanwhile_is_skipped_not_failed(ctx, make, db, monkeypatch):
    cycle, opens, _closes = _open_cycle_world(make)
    from platform_mgr.services import cycles as cycle_service

    real_open = cycle_service.open_cycle

    def racing_open(session, actor, c, *, now):
        # an admin opens it by hand in another transaction just before the scheduler's conditional update
        from platform_mgr.db import new_session

        with new_session(write=True) as other:
            real_open(other, None, other.get(ReviewCycle, c.id), now=now)
            other.commit()
        return real_open(session, actor, c, now=now)

    if get_engine().dialect.name == "sqlite":
        # SQLite serialises writers: the scheduler's write transaction would wait for ours forever, so the
        # "other" transaction is simulated by moving the row first, in the same way
        def racing_open(session, actor, c, *, now):  # noqa: F811
            from sqlalchemy import update
            session.execute(update(ReviewCycle).where(ReviewCycle.id == c.id).values(state="open"))
            return real_open(session, actor, c, now=now)

    monkeypatch.setattr(cycle_service, "open_cycle", racing_open)
    report = run_tick(opens + timedelta(minutes=1))
    assert report.results["cycles"]["skipped"] == [cycle.id] and not report.errors


def test_one_failing_cycle_does_not_hold_back_the_others(ctx, make, db, monkeypatch):
    first, opens, _ = _open_cycle_world(make, name="A")
    second = make.cycle(name="B", opens_at=opens + timedelta(minutes=1), closes_at=utc(2026, 12, 1, 0))
    from platform_mgr.services import cycles as cycle_service

    real_open = cycle_service.open_cycle

    def flaky(session, actor, cycle, *, now):
        if cycle.id == first.id:
            raise RuntimeError("boom")
        return real_open(session, actor, cycle, now=now)

    monkeypatch.setattr(cycle_service, "open_cycle", flaky)
    report = run_tick(opens + timedelta(minutes=5))
    assert report.results["cycles"]["opened"] == [second.id]
    assert "boom" in report.results["cycles"]["failed"][str(first.id)]
    db.expire_all()
    assert db.get(ReviewCycle, first.id).state == "draft" and db.get(ReviewCycle, second.id).state == "open"


# --- reviewers --------------------------------------------------------------------------------------------

def _review_world(make):
    closes = utc(2026, 12, 1, 0)
    cycle = make.cycle(state="open", opens_at=utc(2026, 11, 1, 0), closes_at=closes, name="2026年度评估")
    p1, p2 = make.platform(code="BCI"), make.platform(code="SIPH")
    late = make.reviewer(display_name="迟到专家")
    done = make.reviewer()
    conflicted = make.reviewer()
    gone = make.reviewer(active=False)
    make.assignment(cycle, late, p1)
    make.assignment(cycle, late, p2, review_state="draft")
    make.assignment(cycle, done, p1, review_state="submitted")
    make.assignment(cycle, conflicted, p2, conflict_declared=True)
    make.assignment(cycle, gone, p1)
    return cycle, closes, late


def test_reviewer_reminders_reach_only_the_unsubmitted_once_per_window(ctx, make, db):
    cycle, closes, late = _review_world(make)
    run_tick(closes - 8 * DAY)
    assert notes(db, "review_due_7d") == []

    run_tick(closes - 6 * DAY)
    sent = notes(db, "review_due_7d")
    assert [n.recipient_id for n in sent] == [late.id]
    assert "BCI" in sent[0].body_zh and "SIPH" in sent[0].body_en  # one reminder listing both platforms

    run_tick(closes - 5 * DAY)  # still inside the 7-day window: nothing new
    run_tick(closes - 5 * DAY)
    assert len(notes(db, "review_due_7d")) == 1 and notes(db, "review_due_1d") == []

    run_tick(closes - timedelta(hours=20))
    assert recipients(db, "review_due_1d") == [late.id]
    run_tick(closes - timedelta(hours=2))
    assert len(notes(db, "review_due_1d")) == 1


def test_a_reviewer_first_reached_inside_the_last_day_gets_only_the_last_reminder(ctx, make, db):
    _cycle, closes, late = _review_world(make)
    run_tick(closes - timedelta(hours=12))  # the ticks of the previous week were missed
    assert recipients(db, "review_due_1d") == [late.id]
    assert notes(db, "review_due_7d") == []


def test_after_close_active_admins_are_told_once_what_is_missing(ctx, make, db):
    cycle, closes, late = _review_world(make)
    admin = make.admin()
    make.admin(active=False)
    make.operator(make.platform())
    cycle.state, cycle.closed_at = "closed", closes
    db.add(cycle)
    db.commit()
    run_tick(closes + timedelta(hours=1))
    missing = notes(db, "cycle_missing_reviews")
    assert [n.recipient_id for n in missing] == [admin.id]
    assert "迟到专家" in missing[0].body_zh and "3 reviews were not submitted" in missing[0].body_en  # incl. the inactive one
    run_tick(closes + timedelta(hours=2))
    assert len(notes(db, "cycle_missing_reviews")) == 1


def test_nothing_is_missing_no_note(ctx, make, db):
    closes = utc(2026, 12, 1, 0)
    cycle = make.cycle(state="closed", opens_at=utc(2026, 11, 1, 0), closes_at=closes, closed_at=closes)
    make.review(cycle, make.reviewer(), make.platform(), 80)
    make.admin()
    run_tick(closes + DAY)
    assert notes(db, "cycle_missing_reviews") == []


# --- milestones -------------------------------------------------------------------------------------------

DUE = date(2026, 12, 20)


def _milestone_world(make, **ms):
    platform = make.platform(code="CGT")
    other = make.platform(code="ICMAT")
    op1, op2 = make.operator(platform), make.operator(platform)
    make.operator(other)  # operator of another platform: never told
    make.operator(platform, active=False)
    project = make.project(platform, title_zh="细胞治疗中试")
    milestone = make.milestone(project, title="完成中试", due_on=DUE, **ms)
    return milestone, project, sorted([op1.id, op2.id])


def day_of(d: date, days: int) -> datetime:
    moment = d + timedelta(days=days)
    return utc(moment.year, moment.month, moment.day)


def test_milestone_reminders_windows_reach_the_platforms_operators_once(ctx, make, db):
    milestone, project, ops = _milestone_world(make)
    run_tick(day_of(DUE, -15))
    assert notes(db) == []
    run_tick(day_of(DUE, -14))
    assert recipients(db, "milestone_due_14d") == ops
    assert {n.link for n in notes(db, "milestone_due_14d")} == {f"/projects/{project.id}"}
    run_tick(day_of(DUE, -10))
    assert recipients(db, "milestone_due_14d") == ops
    run_tick(day_of(DUE, -3))
    assert recipients(db, "milestone_due_3d") == ops
    run_tick(day_of(DUE, 0))
    assert len(notes(db, "milestone_due_3d")) == 2
    run_tick(day_of(DUE, 1))
    assert recipients(db, "milestone_overdue") == ops
    run_tick(day_of(DUE, 20))
    assert len(notes(db, "milestone_overdue")) == 2 and notes(db, "milestone_escalation") == []


def test_escalation_to_every_active_admin_past_thirty_days(ctx, make, db):
    milestone, _project, ops = _milestone_world(make)
    admins = sorted([make.admin().id, make.admin().id])
    make.admin(active=False)
    run_tick(day_of(DUE, 30))
    assert notes(db, "milestone_escalation") == []
    run_tick(day_of(DUE, 31))
    escalations = notes(db, "milestone_escalation")
    assert sorted(n.recipient_id for n in escalations) == admins
    assert "31" in escalations[0].body_zh
    run_tick(day_of(DUE, 40))
    assert len(notes(db, "milestone_escalation")) == 2
    assert recipients(db, "milestone_overdue") == ops  # operators told once that it is overdue


def test_catch_up_sends_only_the_tightest_window(ctx, make, db):
    _milestone_world(make)
    run_tick(day_of(DUE, -2))  # the 14-day window's ticks were all missed
    assert len(notes(db, "milestone_due_3d")) == 2 and notes(db, "milestone_due_14d") == []


@pytest.mark.parametrize("status,project_status", [("done", "active"), ("waived", "active"),
                                                   ("planned", "on_hold"), ("in_progress", "killed")])
def test_done_waived_and_inactive_projects_are_skipped(ctx, make, db, status, project_status):
    milestone, project, _ops = _milestone_world(make, status=status,
                                               completed_on=DUE if status == "done" else None)
    project.status = project_status
    db.add(project)
    db.commit()
    make.admin()
    for days in (-10, -2, 5, 45):
        run_tick(day_of(DUE, days))
    assert notes(db) == []


def test_moving_the_due_date_rearms_the_reminders(ctx, make, db):
    milestone, _project, ops = _milestone_world(make)
    run_tick(day_of(DUE, -10))
    assert len(notes(db, "milestone_due_14d")) == 2
    milestone.due_on = DUE + timedelta(days=30)
    db.add(milestone)
    db.commit()
    run_tick(day_of(DUE, 25))
    assert len(notes(db, "milestone_due_14d")) == 4


def test_the_shanghai_date_decides_milestone_windows(ctx, make, db):
    _milestone_world(make)
    # 2026-12-06 15:59 UTC is still 12-06 in Shanghai (14 days before the 20th: inside, as 14 ≤ 14) …
    run_tick(datetime(2026, 12, 5, 15, 59, tzinfo=UTC))  # 12-05 23:59 Shanghai: 15 days left
    assert notes(db) == []
    run_tick(datetime(2026, 12, 5, 16, 0, tzinfo=UTC))  # 12-06 00:00 Shanghai: 14 days left
    assert len(notes(db, "milestone_due_14d")) == 2


# --- idempotence, the whole tick -----------------------------------------------------------------------------

def test_running_the_same_tick_twice_sends_nothing_twice(ctx, make, db):
    _review_world(make)
    _milestone_world(make)
    make.admin()
    moment = utc(2026, 11, 28, 1)  # 09:00 Shanghai: reviews close in 3 days, the milestone is 22 days out
    first = run_tick(moment)
    count = len(notes(db))
    assert count > 0 and first.ok
    second = run_tick(moment)
    assert len(notes(db)) == count
    assert all(r.get("created", 0) == 0 for r in second.results.values())
    runs = db.exec(select(JobRun).order_by(JobRun.id)).all()
    assert len(runs) == 2 and runs[0].at == moment and "reviewer_reminders" in runs[0].summary["results"]


def test_a_duplicate_key_racing_in_is_skipped_by_the_insert(ctx, db, make):
    user = make.admin()
    row = dict(recipient_id=user.id, kind="test", subject_zh="主题", subject_en="Subject", dedup_key="k:1")
    from platform_mgr.db import new_session

    with new_session() as s:
        assert len(notifications.create_many(s, [row], now=utc(2026, 1, 1), send_mail=False)) == 1
        s.commit()
    with new_session() as s:  # the pre-check is bypassed, as when another scheduler inserts meanwhile
        assert notifications._insert_ignoring_duplicates(s, [notifications._row(row, utc(2026, 1, 1))]) == []
        assert notifications.create(s, send_mail=False, **row) is None
        s.commit()
    assert len(notes(db)) == 1


def test_a_failing_job_is_logged_and_the_others_still_run(ctx, make, db, monkeypatch):
    _milestone_world(make)

    def broken(session, now):
        raise RuntimeError("reviewers exploded")

    monkeypatch.setattr(tasks, "JOBS", tuple((n, broken if n == "reviewer_reminders" else j) for n, j in tasks.JOBS))
    report = run_tick(day_of(DUE, -5))
    assert "reviewers exploded" in report.errors["reviewer_reminders"]
    assert report.results["milestone_reminders"]["created"] == 2
    assert len(notes(db, "milestone_due_14d")) == 2
    run = db.exec(select(JobRun)).one()
    assert "reviewer_reminders" in run.summary["errors"]


# --- the daily digest ----------------------------------------------------------------------------------------

def test_daily_digest_once_a_day_from_eight_only_for_who_has_something(ctx, make, db):
    _cycle, closes, late = _review_world(make)
    idle = make.reviewer()
    before_eight = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # 07:30 on 11-28 in Shanghai
    run_tick(before_eight, only=["digest"])
    assert notes(db, "daily_digest") == []
    eight = datetime(2026, 11, 28, 0, 5, tzinfo=UTC)  # 08:05 Shanghai
    run_tick(eight, only=["digest"])
    digests = notes(db, "daily_digest")
    assert [n.recipient_id for n in digests] == [late.id]
    assert "待提交的评审：2 份" in digests[0].body_zh and "Reviews to submit: 2" in digests[0].body_en
    assert idle.id not in [n.recipient_id for n in digests]
    run_tick(eight + timedelta(hours=5), only=["digest"])
    assert len(notes(db, "daily_digest")) == 1
    run_tick(eight + DAY, only=["digest"])
    assert len(notes(db, "daily_digest")) == 2


def test_digest_for_operators_and_admins(ctx, make, db):
    milestone, _project, ops = _milestone_world(make)
    admin = make.admin()
    run_tick(datetime(2026, 12, 10, 0, 30, tzinfo=UTC), only=["digest"])  # 10 days before the due date
    digests = {n.recipient_id: n for n in notes(db, "daily_digest")}
    assert sorted(digests) == ops  # the admin has nothing to report yet
    assert "Milestones due within 14 days: 1" in digests[ops[0]].body_en
    run_tick(datetime(2027, 1, 25, 0, 30, tzinfo=UTC), only=["digest"])  # 36 days overdue
    later = [n for n in notes(db, "daily_digest") if n.recipient_id == admin.id]
    assert len(later) == 1 and "逾期超过 30 天的里程碑：1 个" in later[0].body_zh


def test_digest_texts_follow_the_counts_in_both_languages(ctx, make, db):
    _cycle, closes, late = _review_world(make)
    run_tick(datetime(2026, 11, 28, 0, 5, tzinfo=UTC), only=["digest"])  # 08:05 Shanghai
    [digest] = notes(db, "daily_digest")
    assert digest.subject_zh == "每日摘要：2026年11月28日" and digest.subject_en == "Daily digest for 2026-11-28"
    assert digest.body_zh.split("\n")[1:] == ["· 待提交的评审：2 份，最早于2026年12月1日 08:00（北京时间）截止"]
    assert digest.body_en.split("\n")[1:] == [
        "· Reviews to submit: 2; the first closes at 2026-12-01 08:00 (Beijing time, UTC+8)"]
    assert digest.link == "/notifications/"


def _digest_people(make, platform, cycle, n):
    for _ in range(n):
        make.assignment(cycle, make.reviewer(), platform)
        make.operator(platform)
        make.admin()


def test_the_digest_job_reads_with_a_fixed_number_of_queries(ctx, app, make, db):
    from platform_mgr.db import new_session

    from ..web.test_query_counts import count_statements

    platform = make.platform(code="CGT")
    make.milestone(make.project(platform), due_on=date(2026, 12, 5))
    make.milestone(make.project(platform), due_on=date(2026, 10, 1))  # long overdue: the admins hear of it
    cycle = make.cycle(state="open", opens_at=utc(2026, 11, 1, 0), closes_at=utc(2026, 12, 1, 0))
    counted = []
    for day, people in ((27, 2), (28, 6)):
        _digest_people(make, platform, cycle, people)
        with new_session(write=True) as session, count_statements(app) as seen:
            result = tasks.send_digests(session, datetime(2026, 11, day, 0, 5, tzinfo=UTC))
            session.commit()
        counted.append((result["created"], len(seen)))
    (few, few_queries), (many, many_queries) = counted
    assert (few, many) == (6, 24)  # everyone has something: reviewers, operators and admins alike
    assert few_queries == many_queries, counted


# --- the leader lock -----------------------------------------------------------------------------------------

def test_a_second_scheduler_is_refused_while_the_leader_holds_the_lock(ctx, make, db):
    _milestone_world(make)
    holder = leader_lock(get_engine())
    assert holder.acquire()
    try:
        second = leader_lock(get_engine())
        assert second.acquire() is False
        report = run_tick(day_of(DUE, -5))
        assert report.leader is False and report.results == {}
        assert notes(db) == [] and db.exec(select(JobRun)).all() == []
        assert "nothing done" in report.lines()[0]
    finally:
        holder.release()
    assert run_tick(day_of(DUE, -5)).leader
    assert len(notes(db, "milestone_due_14d")) == 2


def test_the_leader_renews_its_own_lock(ctx):
    lock = leader_lock(get_engine())
    try:
        assert lock.acquire() and lock.acquire()
    finally:
        lock.release()
    other = leader_lock(get_engine())
    assert other.acquire()
    other.release()


def test_lease_expiry_lets_another_scheduler_take_over(ctx, db):
    clock = {"now": utc(2026, 11, 28)}
    a = LeaseLock(get_engine(), holder="a", ttl=timedelta(minutes=15), clock=lambda: clock["now"])
    b = LeaseLock(get_engine(), holder="b", ttl=timedelta(minutes=15), clock=lambda: clock["now"])
    assert a.acquire() and not b.acquire()
    clock["now"] += timedelta(minutes=10)
    assert a.acquire()  # renewed: valid until +25 min
    clock["now"] += timedelta(minutes=14)
    assert not b.acquire()
    clock["now"] += timedelta(minutes=2)  # a stopped renewing: the lease ran out
    assert b.acquire() and not a.acquire()
    db.expire_all()
    assert db.get(SchedulerLease, "scheduler").holder == "b"
    b.release()
    assert db.exec(select(SchedulerLease)).all() == []
    assert a.acquire()
    a.release()


def test_the_right_lock_for_the_engine(ctx):
    lock = leader_lock(get_engine())
    expected = AdvisoryLock if get_engine().dialect.name == "postgresql" else LeaseLock
    assert isinstance(lock, expected)


def test_two_schedulers_ticking_at_once_send_nothing_twice(ctx, app, make, db):
    _review_world(make)
    _milestone_world(make)
    moment = utc(2026, 11, 28, 1)
    reports = []

    def worker():
        with app.app_context():
            reports.append(run_tick(moment))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(reports) == 3
    keys = [n.dedup_key for n in notes(db)]
    assert keys and len(keys) == len(set(keys))
    assert len(notes(db, "review_due_7d")) == 1 and len(notes(db, "milestone_due_14d")) == 0
    run_tick(moment)
    assert [n.dedup_key for n in notes(db)] == keys
