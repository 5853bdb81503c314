"""Sign-in throttling as arithmetic (domain/throttle.py): the delay of an (account, address) pair and the block of an
address that failed on too many accounts, tested as tables of values."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from platform_mgr.domain.throttle import (ThrottleRules, address_blocked_until, delay_after, pair_not_before,
                                          refused_until, retry_after_seconds)

RULES = ThrottleRules()  # 3 free, 1 s doubling up to 15 min; more than 20 accounts within 15 min
T = datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("failures,seconds", [
    (0, 0), (1, 0), (3, 0),          # the free failures cost nothing
    (4, 1), (5, 2), (6, 4), (7, 8),  # then 1 s, doubling
    (13, 512), (14, 900), (15, 900),  # at most 15 minutes
    (10_000, 900),                    # however many
])
def test_the_delay_doubles_after_the_free_failures_up_to_the_cap(failures, seconds):
    assert delay_after(failures, RULES) == timedelta(seconds=seconds)


def test_the_delay_is_monotonic():
    delays = [delay_after(n, RULES) for n in range(60)]
    assert delays == sorted(delays)


def test_a_pair_waits_from_its_last_failure():
    assert pair_not_before(3, T, RULES) is None
    assert pair_not_before(4, T, RULES) == T + timedelta(seconds=1)
    assert pair_not_before(0, None, RULES) is None


@pytest.mark.parametrize("accounts,blocked", [(0, False), (1, False), (20, False), (21, True), (40, True)])
def test_an_address_is_blocked_past_the_number_of_distinct_accounts(accounts, blocked):
    latest = [T - timedelta(seconds=10 * i) for i in range(accounts)]
    assert (address_blocked_until(latest, RULES) is not None) is blocked


def test_the_block_lasts_until_enough_accounts_are_older_than_the_window():
    latest = [T - timedelta(minutes=i) for i in range(25)]  # newest T, oldest T - 24 min (in any order)
    until = address_blocked_until(list(reversed(latest)), RULES)
    assert until == T - timedelta(minutes=20) + RULES.address_window  # the 21st newest leaves the window then


@pytest.mark.parametrize("left,seconds", [(timedelta(seconds=4), 4), (timedelta(seconds=3.2), 4),
                                          (timedelta(milliseconds=1), 1), (timedelta(minutes=15), 900)])
def test_retry_after_is_whole_seconds_rounded_up(left, seconds):
    assert retry_after_seconds(T + left, T) == seconds


def test_refused_only_while_ahead_of_now():
    assert refused_until(T, T) is None and refused_until(None, T) is None
    assert refused_until(T + timedelta(seconds=1), T) == T + timedelta(seconds=1)
