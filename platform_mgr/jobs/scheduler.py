"""The scheduler process: an APScheduler 3 ``BlockingScheduler`` running the tick (DESIGN §6).

It runs in its own process (``flask --app wsgi scheduler run``), never inside a web worker;
``create_app`` does not build or start it. Two jobs:

- ``tick`` every 5 minutes (``SCHEDULER_TICK_MINUTES`` or ``--interval``), first right at start: every job
  of ``jobs.tasks`` for the current instant;
- ``digest`` at 08:00 Beijing time: the daily digest and its mail, so it goes out on time even when the
  tick interval is long.

Both coalesce missed runs into one (``coalesce=True``), never overlap (``max_instances=1``) and still run
when late by up to an hour (``misfire_grace_time``): the jobs decide by windows, so a late run catches up.
The leader lock is held across ticks by this process and renewed on each one; a second scheduler process
waits, doing nothing, until it can take the lock over.
"""
from __future__ import annotations

import logging
from datetime import timedelta, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from .. import clock
from ..domain.schedule import DEFAULT_TICK_MINUTES, DIGEST_HOUR, SHANGHAI
from .leader import leader_lock

log = logging.getLogger("platform_mgr.jobs")

MISFIRE_GRACE_SECONDS = 3600


def _lease_for(interval: timedelta) -> timedelta:
    """A lease comfortably longer than the interval between renewals."""
    return max(interval * 3, timedelta(minutes=2))


def build_scheduler(app: Flask, *, interval: timedelta | None = None, lock=None,
                    smtp_class=None) -> BlockingScheduler:
    """A BlockingScheduler with the periodic tick and the daily digest; ``scheduler.start()`` blocks.

    The leader lock (built for the app's database unless given) is available as ``scheduler.leader_lock``
    so the caller can release it after ``shutdown``.
    """
    if interval is None:
        interval = timedelta(minutes=int(app.config.get("SCHEDULER_TICK_MINUTES") or DEFAULT_TICK_MINUTES))
    if interval <= timedelta(0):
        raise ValueError("the tick interval must be positive")
    if lock is None:
        from ..db import get_engine

        with app.app_context():
            lock = leader_lock(get_engine(), ttl=_lease_for(interval))

    def run(only=None, job_name="tick"):
        from .tasks import run_tick

        try:
            with app.app_context():
                run_tick(clock.now(), lock=lock, only=only, smtp_class=smtp_class,
                         job_name=job_name)
        except Exception:  # noqa: BLE001 - a failed tick (database down…) must not stop the scheduler
            log.exception("scheduler %s failed; the next run will catch up", job_name)

    scheduler = BlockingScheduler(
        timezone=timezone.utc,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    scheduler.add_job(run, IntervalTrigger(seconds=interval.total_seconds(), timezone=timezone.utc),
                      id="tick", name="tick", next_run_time=clock.now(), replace_existing=True)
    scheduler.add_job(run, CronTrigger(hour=DIGEST_HOUR, minute=0, timezone=SHANGHAI),
                      kwargs={"only": ("digest", "mail"), "job_name": "digest"}, id="digest", name="digest",
                      replace_existing=True)
    scheduler.leader_lock = lock
    scheduler.tick_interval = interval
    return scheduler
