"""The scheduler as a process: `flask scheduler tick --at`, `flask scheduler run` (stops on SIGTERM/SIGINT),
the APScheduler configuration, and no scheduler in the app factory or a web worker."""
from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import select

from platform_mgr import create_app
from platform_mgr.db import get_engine
from platform_mgr.jobs.leader import leader_lock
from platform_mgr.jobs.scheduler import build_scheduler
from platform_mgr.models import JobRun, Notification, SchedulerLease

from ..processes import child_env

ROOT = Path(__file__).resolve().parents[2]


def _world(make):
    platform = make.platform(code="BCI")
    operator = make.operator(platform)
    make.milestone(make.project(platform), title="动物实验", due_on=date(2026, 12, 20))
    return operator


def test_tick_at_through_the_cli_prints_what_it_did_and_repeating_changes_nothing(runner, make, db):
    operator = _world(make)
    result = runner.invoke(args=["scheduler", "tick", "--at", "2026-12-10T10:00:00+08:00"])
    assert result.exit_code == 0, result.output
    assert "tick at 2026-12-10T02:00:00+00:00: leader" in result.output
    assert "milestone_reminders: due=1, created=1" in result.output
    assert [n.recipient_id for n in db.exec(select(Notification).where(
        Notification.kind == "milestone_due_14d")).all()] == [operator.id]
    again = runner.invoke(args=["scheduler", "tick", "--at", "2026-12-10T02:00:00Z"])
    assert again.exit_code == 0 and "milestone_reminders: due=1, created=0" in again.output
    assert len(db.exec(select(JobRun)).all()) == 2


def test_tick_without_at_runs_for_the_current_instant(runner, make, db):
    import time_machine

    operator = _world(make)
    with time_machine.travel(datetime(2026, 12, 17, 1, 0, tzinfo=timezone.utc), tick=False):  # 3 days before
        result = runner.invoke(args=["scheduler", "tick"])
    assert result.exit_code == 0, result.output
    assert "tick at 2026-12-17T01:00:00+00:00: leader" in result.output
    assert [n.recipient_id for n in db.exec(select(Notification).where(
        Notification.kind == "milestone_due_3d")).all()] == [operator.id]


def test_tick_only_some_jobs(runner, make, db):
    _world(make)
    result = runner.invoke(args=["scheduler", "tick", "--at", "2026-12-10T02:00Z", "--only", "cycles"])
    assert result.exit_code == 0, result.output
    assert "cycles:" in result.output and "milestone_reminders" not in result.output
    assert db.exec(select(Notification)).all() == []


@pytest.mark.parametrize("value,message", [("yesterday", "not an ISO 8601"), ("2026-12-10T10:00", "time zone offset")])
def test_tick_refuses_an_unclear_instant(runner, db, value, message):
    result = runner.invoke(args=["scheduler", "tick", "--at", value])
    assert result.exit_code == 2 and message in result.output
    assert db.exec(select(JobRun)).all() == []


def test_tick_says_so_when_another_scheduler_leads(app, runner, make, db):
    _world(make)
    with app.app_context():
        holder = leader_lock(get_engine())
        assert holder.acquire()
        try:
            result = runner.invoke(args=["scheduler", "tick", "--at", "2026-12-10T02:00Z"])
        finally:
            holder.release()
    assert result.exit_code == 0 and "another scheduler holds the leader lock; nothing done" in result.output
    assert db.exec(select(Notification)).all() == []


def test_build_scheduler_configuration(app):
    scheduler = build_scheduler(app)
    assert isinstance(scheduler, BlockingScheduler)
    assert scheduler._job_defaults["coalesce"] is True
    assert scheduler._job_defaults["max_instances"] == 1
    assert scheduler._job_defaults["misfire_grace_time"] >= 600
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"tick", "digest"}
    assert isinstance(jobs["tick"].trigger, IntervalTrigger)
    assert jobs["tick"].trigger.interval == timedelta(minutes=5)
    digest = jobs["digest"].trigger
    assert isinstance(digest, CronTrigger) and str(digest.timezone) == "Asia/Shanghai"
    assert {f.name: str(f) for f in digest.fields}["hour"] == "8"
    assert not scheduler.running
    assert build_scheduler(app, interval=timedelta(seconds=30)).get_jobs()[0].trigger.interval == timedelta(seconds=30)


def test_the_app_factory_and_web_requests_start_no_scheduler(database_url, tmp_path, monkeypatch, make, auth):
    started = []
    monkeypatch.setattr(BaseScheduler, "start", lambda self, *a, **kw: started.append(self))
    before = {t.ident for t in threading.enumerate()}
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "INSTANCE_PATH": str(tmp_path), "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "SECRET_KEY": "x"})
    client = app.test_client()
    user = make.admin()
    client.post("/login", data={"email": user.email, "password": "Passw0rd!x"}, expect=302)
    for url in ("/home", "/notifications/", "/healthz"):
        assert client.get(url).status_code == 200
    assert started == []
    new_threads = [t for t in threading.enumerate() if t.ident not in before]
    assert not [t for t in new_threads if "apscheduler" in (t.name or "").lower() or "scheduler" in (t.name or "")]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_scheduler_run_ticks_and_stops_cleanly_on_a_signal(database_url, tmp_path, db, signum):
    env = child_env(DATABASE_URL=database_url, INSTANCE_PATH=str(tmp_path), SECRET_KEY="test-key",
                    PYTHONUNBUFFERED="1", MAIL_SERVER="")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run", "--interval", "0.5"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        ticks = 0
        while time.monotonic() < deadline and proc.poll() is None:
            db.expire_all()
            ticks = len(db.exec(select(JobRun)).all())
            if ticks >= 2:  # it keeps ticking
                break
            time.sleep(0.2)
        assert ticks >= 2, proc.poll()
        proc.send_signal(signum)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output
    assert "scheduler started" in output
    assert f"received {signal.Signals(signum).name}" in output and "scheduler stopped" in output
    assert "Traceback" not in output
    db.expire_all()
    assert db.exec(select(SchedulerLease)).all() == []  # the lease (SQLite) was handed back
    with_lock = leader_lock(get_engine(database_url))
    assert with_lock.acquire()  # and on PostgreSQL the advisory lock is free again
    with_lock.release()


def test_a_second_scheduler_process_waits_while_the_first_leads(database_url, tmp_path, db, app):
    with app.app_context():
        # the child runs on the machine's clock, this test on the frozen one (or one moved by faketime): on
        # SQLite the lease is held far longer than any difference between the two, so only its release counts
        holder = leader_lock(get_engine(), ttl=timedelta(days=1000))
        assert holder.acquire()
    env = child_env(DATABASE_URL=database_url, INSTANCE_PATH=str(tmp_path), SECRET_KEY="test-key",
                    PYTHONUNBUFFERED="1", MAIL_SERVER="")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run", "--interval", "0.3"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: [lines.append(line) for line in proc.stdout], daemon=True)
    reader.start()
    try:
        # its first ticks find the lock taken (however long the child takes to start on a busy machine)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and not any("not the leader" in x for x in lines):
            time.sleep(0.1)
        assert any("not the leader" in x for x in lines), "".join(lines)
        assert db.exec(select(JobRun)).all() == []  # it ticked, found the lock taken, did nothing
        with app.app_context():
            holder.release()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not db.exec(select(JobRun)).all():
            db.expire_all()
            time.sleep(0.2)
        assert db.exec(select(JobRun)).all()  # it took over
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        reader.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with app.app_context():
            holder.release()
    output = "".join(lines)
    assert proc.returncode == 0, output
    assert "not the leader" in output
