"""A platform's status (DESIGN §2, §9): active, suspended or delisted.

An admin suspends an active platform and reactivates a suspended one; either may be delisted, and delisting
is final (no way leads out of it). Pure: values in, values out.
"""
from __future__ import annotations

from ..enums import PlatformStatus

#: the status changes an admin may make, from each status
STATUS_CHANGES: dict[PlatformStatus, frozenset[PlatformStatus]] = {
    PlatformStatus.ACTIVE: frozenset({PlatformStatus.SUSPENDED, PlatformStatus.DELISTED}),
    PlatformStatus.SUSPENDED: frozenset({PlatformStatus.ACTIVE, PlatformStatus.DELISTED}),
    PlatformStatus.DELISTED: frozenset(),
}


def may_change_status(current: str, target: str) -> bool:
    """Whether a platform in status ``current`` may be moved to ``target``."""
    return PlatformStatus(target) in STATUS_CHANGES[PlatformStatus(current)]
