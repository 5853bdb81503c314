"""The one place that reads the wall clock.

Everything in the app that needs "now" or "today" asks this module: services, views, jobs, exports,
the scheduler, the seed. Tests move it with time-machine (``tests/conftest.py`` freezes the whole suite
at one instant), and ``flask scheduler tick --at`` passes its instant down explicitly, so both agree
with what the app does at run time. Domain code never calls it: it receives ``now``/``today`` as values.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

#: the commission's calendar: "today", due dates and overdue are Shanghai dates
SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def today(at: datetime | None = None) -> date:
    """The Shanghai calendar date at ``at`` (default: now)."""
    return (at or now()).astimezone(SHANGHAI).date()
