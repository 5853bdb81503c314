"""Processes the tests start (the scheduler, Chromium through Playwright's driver)."""
from __future__ import annotations

import os

#: what Debian's faketime puts into the environment of the moved-clock runs (`make test-moved-clock`)
FAKETIME_VARIABLES = ("LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED", "FAKETIME_DONT_FAKE_MONOTONIC")


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a process a test starts (the scheduler, Chromium): this one's, without
    libfaketime. Under libfaketime 0.9 a timed wait on a condition (``threading.Event.wait(timeout)``,
    APScheduler's loop, Chromium's) never returns; the child runs on the machine's real clock instead,
    and the tests that start one depend on no date."""
    env = {k: v for k, v in os.environ.items() if k not in FAKETIME_VARIABLES}
    env.update(extra)
    return env
