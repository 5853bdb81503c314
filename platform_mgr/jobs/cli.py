"""`flask --app wsgi scheduler run|tick`: the scheduler process and a single tick at a chosen instant."""
from __future__ import annotations

import logging
import signal
import sys
from datetime import datetime, timedelta, timezone

import click
from flask import current_app
from flask.cli import AppGroup

from .. import clock
from .tasks import JOB_NAMES

scheduler_cli = AppGroup("scheduler", help="Scheduled work: cycles on time, reminders, digests, outgoing mail.")


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant with its offset ('Z' or ±hh:mm); a time without one is ambiguous and refused."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"not an ISO 8601 date and time: {value!r}") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise click.BadParameter("give the time zone offset, e.g. 2026-11-28T10:00+08:00 or 2026-11-28T02:00Z")
    return moment.astimezone(timezone.utc)


def _logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("platform_mgr.jobs").setLevel(logging.INFO)


@scheduler_cli.command("tick")
@click.option("--at", "at", default=None, metavar="ISO8601",
              help="the instant to run for, with its offset (default: now)")
@click.option("--only", multiple=True, type=click.Choice(JOB_NAMES), help="run only this job (repeatable)")
def tick(at: str | None, only: tuple[str, ...]) -> None:
    """Run everything due at one instant, once, and print what was done."""
    from .tasks import run_tick

    moment = parse_instant(at) if at else clock.now()
    report = run_tick(moment, only=only or None)
    for line in report.lines():
        click.echo(line)
    if report.errors:
        sys.exit(1)


@scheduler_cli.command("run")
@click.option("--interval", type=click.FloatRange(min=0.1), default=None,
              help="seconds between ticks (default: SCHEDULER_TICK_MINUTES, 5 minutes)")
def run(interval: float | None) -> None:
    """Run the scheduler in the foreground until SIGTERM or SIGINT (one process per installation)."""
    from apscheduler.schedulers import SchedulerNotRunningError

    from ..db import dispose_engines
    from .scheduler import build_scheduler

    _logging()
    app = current_app._get_current_object()
    scheduler = build_scheduler(app, interval=timedelta(seconds=interval) if interval else None)
    stopping: list[int] = []

    def stop(signum, _frame):
        if stopping:
            return
        stopping.append(signum)
        click.echo(f"received {signal.Signals(signum).name}; stopping after the running tick", err=True)
        try:
            scheduler.shutdown(wait=True)  # waits for a tick in progress, then start() returns
        except SchedulerNotRunningError:
            pass

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    lock = scheduler.leader_lock
    click.echo(f"scheduler started: tick every {scheduler.tick_interval.total_seconds():g} s, digest at 08:00 "
               f"Asia/Shanghai; leader lock: {lock.kind}", err=True)
    try:
        if not stopping:
            scheduler.start()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.release()
        dispose_engines()
    click.echo("scheduler stopped", err=True)
