"""Sign-in throttling as arithmetic on failure times (DESIGN §9): values in, values out, no clock.

Two rules, neither of which can lock the owner out from everywhere:

- **A delay per (account, address) pair.** The first ``free_failures`` failures of a pair within ``pair_window``
  cost nothing; after each further one the pair waits ``first_delay``, then twice as long, and so on up to
  ``max_delay``, before its next attempt is even checked. Failures of the same account from another address do
  not count: a guesser at one address never delays the owner at another.
- **A block per address for credential stuffing.** When more than ``max_accounts`` distinct accounts failed from
  one address within ``address_window``, every sign-in from that address waits until enough of them are older
  than the window. One person's repeated typos on one account count once.

Unknown and known accounts are the same string to these rules, so they throttle alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence


@dataclass(frozen=True)
class ThrottleRules:
    free_failures: int = 3
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    pair_window: timedelta = timedelta(minutes=60)
    max_accounts: int = 20
    address_window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config) -> "ThrottleRules":
        return cls(free_failures=int(config["LOGIN_FREE_FAILURES"]),
                   first_delay=timedelta(seconds=float(config["LOGIN_FIRST_DELAY_SECONDS"])),
                   max_delay=timedelta(minutes=float(config["LOGIN_MAX_DELAY_MINUTES"])),
                   pair_window=timedelta(minutes=float(config["LOGIN_DELAY_WINDOW_MINUTES"])),
                   max_accounts=int(config["LOGIN_ADDRESS_MAX_ACCOUNTS"]),
                   address_window=timedelta(minutes=float(config["LOGIN_ADDRESS_WINDOW_MINUTES"])))


def delay_after(failures: int, rules: ThrottleRules) -> timedelta:
    """How long a pair waits after its ``failures``-th failure within the window: nothing for the free ones,
    then ``first_delay`` doubled for each further failure, never more than ``max_delay``."""
    extra = failures - rules.free_failures
    if extra <= 0:
        return timedelta(0)
    if extra > 40:  # 2**40 seconds is far beyond any cap; avoid an overflow of timedelta
        return rules.max_delay
    return min(rules.first_delay * (2 ** (extra - 1)), rules.max_delay)


def pair_not_before(failures: int, last_failure: datetime | None, rules: ThrottleRules) -> datetime | None:
    """The instant before which the pair's next attempt is refused unchecked; None when it is not delayed."""
    delay = delay_after(failures, rules)
    if last_failure is None or not delay:
        return None
    return last_failure + delay


def address_blocked_until(latest_per_account: Sequence[datetime], rules: ThrottleRules) -> datetime | None:
    """The instant until which an address is blocked, given the latest failure (within the window) of each distinct
    account that failed from it: while more than ``max_accounts`` of them are inside the window. None when the
    address is not blocked."""
    if len(latest_per_account) <= rules.max_accounts:
        return None
    newest_first = sorted(latest_per_account, reverse=True)
    return newest_first[rules.max_accounts] + rules.address_window


def refused_until(not_before: datetime | None, now: datetime) -> datetime | None:
    """``not_before`` when it is still ahead of ``now``, else None."""
    return not_before if not_before is not None and not_before > now else None


def retry_after_seconds(until: datetime, now: datetime) -> int:
    """Whole seconds to wait (for a Retry-After header), at least 1."""
    seconds = (until - now).total_seconds()
    return max(1, int(-(-seconds // 1)))
