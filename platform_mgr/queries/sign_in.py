"""The read side of sign-in throttling (the admin's /admin/sign-in/throttles): which (account, address) pairs are
delayed and which addresses are blocked for failing on too many accounts. Three queries whatever the numbers; the
rules are ``domain.throttle``'s."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from ..domain import throttle as throttling
from ..domain.throttle import ThrottleRules
from ..models import LoginAttempt
from ..models.user import SIGN_IN

#: at most this many rows of each list (an attack from a botnet would make thousands of pairs)
LIMIT = 200


@dataclass(frozen=True)
class DelayedPair:
    account: str
    address: str
    failures: int
    last_failure: datetime
    not_before: datetime | None

    def waiting(self, now: datetime) -> bool:
        return self.not_before is not None and self.not_before > now


@dataclass(frozen=True)
class BlockedAddress:
    address: str
    accounts: int
    failures: int
    last_failure: datetime
    blocked_until: datetime


def delayed_pairs(session: Session, rules: ThrottleRules, now: datetime, limit: int = LIMIT) -> list[DelayedPair]:
    """Pairs past their free failures within the window (their next failure waits, or they wait now), the most
    recent first."""
    count, last = func.count(LoginAttempt.id), func.max(LoginAttempt.attempted_at)
    rows = session.exec(
        select(LoginAttempt.email, LoginAttempt.address, count, last)
        .where(LoginAttempt.kind == SIGN_IN, LoginAttempt.attempted_at >= now - rules.pair_window)
        .group_by(LoginAttempt.email, LoginAttempt.address).having(count > rules.free_failures)
        .order_by(last.desc(), LoginAttempt.email, LoginAttempt.address).limit(limit)).all()
    return [DelayedPair(email, address, failures, at, throttling.pair_not_before(failures, at, rules))
            for email, address, failures, at in rows]


def blocked_addresses(session: Session, rules: ThrottleRules, now: datetime, limit: int = LIMIT) -> list[BlockedAddress]:
    """Addresses on which more than ``max_accounts`` distinct accounts failed within the window, with the instant
    their block ends."""
    since = now - rules.address_window
    where = (LoginAttempt.kind == SIGN_IN, LoginAttempt.attempted_at >= since)
    accounts = func.count(func.distinct(LoginAttempt.email))
    last = func.max(LoginAttempt.attempted_at)
    heads = session.exec(
        select(LoginAttempt.address, accounts, func.count(LoginAttempt.id), last).where(*where)
        .group_by(LoginAttempt.address).having(accounts > rules.max_accounts)
        .order_by(last.desc(), LoginAttempt.address).limit(limit)).all()
    if not heads:
        return []
    latest: dict[str, list[datetime]] = defaultdict(list)
    for address, at in session.exec(
            select(LoginAttempt.address, func.max(LoginAttempt.attempted_at))
            .where(*where, LoginAttempt.address.in_([h[0] for h in heads]))
            .group_by(LoginAttempt.address, LoginAttempt.email)).all():
        latest[address].append(at)
    out = []
    for address, n_accounts, failures, at in heads:
        until = throttling.address_blocked_until(latest[address], rules)
        if until is not None:
            out.append(BlockedAddress(address, n_accounts, failures, at, until))
    return out
