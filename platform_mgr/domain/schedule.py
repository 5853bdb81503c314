"""Scheduled work: what is due at `now` (DESIGN §6).

Pure standard library: no Flask, no database, no clock. `now` is always a parameter (a timezone-aware
datetime; UTC in practice). The scheduler's tick (jobs/tasks.py) loads rows, calls these functions with
plain values, and writes what comes back: state changes with conditional updates, notifications with a
unique `dedup_key` — so running a tick twice, or two schedulers at once, sends nothing twice.

Everything is decided by *windows*, not exact instants, so a tick that was missed catches up: the first
tick inside a window sends its reminder, however late. Only the tightest window that applies is used on
a given tick (a reviewer first reached 12 hours before the close gets the 1-day reminder, not both).

"Today" for milestones and digests is the calendar date in Asia/Shanghai (`shanghai_today`); review
deadlines are instants and are compared as such.

No texts here: a reminder is a kind, a recipient, a dedup key and a context of plain values (ids, names,
dates, instants, counts). What a person reads is made from them by ``templates/mail/<kind>.txt``
(``services/texts.py``), in Chinese and in English.

Inputs are read by attribute (objects, dataclasses, namedtuples, ORM rows) or by key (mappings).
Statuses and states may be plain strings or StrEnum members.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

DEFAULT_TICK_MINUTES = 5
DEFAULT_TICK_INTERVAL = timedelta(minutes=DEFAULT_TICK_MINUTES)
DIGEST_HOUR = 8  # the daily digest goes out from 08:00 Asia/Shanghai
DIGEST_TIME = time(DIGEST_HOUR, 0)

REVIEW_FIRST_REMINDER = timedelta(days=7)  # closes_at − now ≤ 7 days
REVIEW_LAST_REMINDER = timedelta(days=1)  # closes_at − now ≤ 1 day
MILESTONE_FIRST_REMINDER_DAYS = 14  # days left ≤ 14
MILESTONE_LAST_REMINDER_DAYS = 3  # days left ≤ 3
DEFAULT_ESCALATE_AFTER_DAYS = 30  # escalate to admins when days overdue > 30


class ReminderKind(StrEnum):
    """Notification kinds produced here; equal to the strings stored in `notification.kind`."""

    REVIEW_DUE_7D = "review_due_7d"
    REVIEW_DUE_1D = "review_due_1d"
    CYCLE_MISSING_REVIEWS = "cycle_missing_reviews"
    MILESTONE_DUE_14D = "milestone_due_14d"
    MILESTONE_DUE_3D = "milestone_due_3d"
    MILESTONE_OVERDUE = "milestone_overdue"
    MILESTONE_ESCALATION = "milestone_escalation"
    DAILY_DIGEST = "daily_digest"


# Cycle states and statuses as stored (DESIGN §2); compared as strings so StrEnums work too.
_DRAFT, _OPEN, _CLOSED = "draft", "open", "closed"
_CLOSED_MILESTONE = frozenset({"done", "waived"})
_ACTIVE_PROJECT = "active"


# --------------------------------------------------------------------------------------------------
# Time helpers


def _require_aware(value: Any, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value


def to_shanghai(moment: datetime) -> datetime:
    """The same instant on the Asia/Shanghai wall clock."""
    return _require_aware(moment, "moment").astimezone(SHANGHAI)


def shanghai_today(now: datetime) -> date:
    """The calendar date in Asia/Shanghai at instant `now` (UTC 16:00 and later is already tomorrow)."""
    return to_shanghai(_require_aware(now, "now")).date()


# --------------------------------------------------------------------------------------------------
# Reading inputs

_REQUIRED = object()


def _get(item: Any, name: str, default: Any = _REQUIRED) -> Any:
    if isinstance(item, Mapping):
        if name in item:
            return item[name]
    elif hasattr(item, name):
        return getattr(item, name)
    if default is _REQUIRED:
        raise TypeError(f"cannot read {name!r} from {type(item).__name__}")
    return default


def _ids(values: Iterable[Any]) -> list[int]:
    """Unique ids in ascending order (accepts ids or objects with an `id`)."""
    return sorted({v if isinstance(v, int) else _get(v, "id") for v in values})


# --------------------------------------------------------------------------------------------------
# The reminder value


@dataclass(frozen=True)
class Reminder:
    """One notification to one recipient.

    `dedup_key` is deterministic (same inputs ⇒ same key) and is stored in the unique column
    `notification.dedup_key`: inserting a key that exists means "already sent", never a second copy.
    `context` holds the plain values the texts are made from (ids, titles, dates, datetimes, counts);
    the template `templates/mail/<kind>.txt` turns them into a subject and a body in each language.
    """

    kind: ReminderKind
    recipient_id: int
    dedup_key: str
    context: dict[str, Any] = field(default_factory=dict, hash=False)


# --------------------------------------------------------------------------------------------------
# 1. Review cycles open and close at their times


class Transition(NamedTuple):
    """A cycle state change due now; compares equal to the plain tuple (cycle_id, from_state, to_state)."""

    cycle_id: int
    from_state: str
    to_state: str


def cycle_transitions(cycles: Iterable[Any], now: datetime) -> list[Transition]:
    """The state changes due at `now`, cycle by cycle in the given order.

    draft → open once opens_at ≤ now; open → closed once closes_at ≤ now. A draft cycle whose close has
    also passed (a missed tick) yields both steps, in order, so the opening work (freezing the rubric)
    happens before the closing work (freezing the eligibility snapshot). Closed and published cycles
    never move; a missing time never fires.
    """
    _require_aware(now, "now")
    out: list[Transition] = []
    for cycle in cycles:
        cycle_id = _get(cycle, "id")
        state = str(_get(cycle, "state"))
        opens_at = _get(cycle, "opens_at", None)
        closes_at = _get(cycle, "closes_at", None)
        if state == _DRAFT:
            if opens_at is None or _require_aware(opens_at, "opens_at") > now:
                continue
            out.append(Transition(cycle_id, _DRAFT, _OPEN))
            state = _OPEN
        if state == _OPEN and closes_at is not None and _require_aware(closes_at, "closes_at") <= now:
            out.append(Transition(cycle_id, _OPEN, _CLOSED))
    return out


# --------------------------------------------------------------------------------------------------
# 2. Reviewers with unsubmitted reviews


def review_reminder_kind(closes_at: datetime | None, now: datetime) -> ReminderKind | None:
    """The tightest reviewer reminder window containing `now`, or None.

    1 day < closes_at − now ≤ 7 days → review_due_7d; 0 < closes_at − now ≤ 1 day → review_due_1d.
    """
    if closes_at is None:
        return None
    left = _require_aware(closes_at, "closes_at") - _require_aware(now, "now")
    if left <= timedelta(0):
        return None
    if left <= REVIEW_LAST_REMINDER:
        return ReminderKind.REVIEW_DUE_1D
    if left <= REVIEW_FIRST_REMINDER:
        return ReminderKind.REVIEW_DUE_7D
    return None


def review_dedup_key(kind: str, cycle_id: int, reviewer_id: int) -> str:
    return f"{kind}:cycle={cycle_id}:user={reviewer_id}"


def reviewer_reminders(pending: Iterable[Any], now: datetime) -> list[Reminder]:
    """Reminders for reviews not yet submitted as a cycle's close approaches.

    `pending`: one item per assignment whose review is neither submitted nor conflicted, in an open
    cycle — attributes `cycle_id`, `reviewer_id`, `platform_id`, `closes_at`; optional `cycle_name` and
    `platform_code` improve the texts. One reminder per (cycle, reviewer, kind), listing every pending
    platform in `context["platform_ids"]`. Ordered by cycle, reviewer, kind.
    """
    _require_aware(now, "now")
    groups: dict[tuple[int, int, ReminderKind], dict[str, Any]] = {}
    for item in pending:
        closes_at = _get(item, "closes_at")
        kind = review_reminder_kind(closes_at, now)
        if kind is None:
            continue
        cycle_id, reviewer_id = _get(item, "cycle_id"), _get(item, "reviewer_id")
        group = groups.setdefault(
            (cycle_id, reviewer_id, kind),
            {"cycle_name": _get(item, "cycle_name", None), "closes_at": closes_at, "platforms": {}},
        )
        group["closes_at"] = min(group["closes_at"], closes_at)
        if group["cycle_name"] is None:
            group["cycle_name"] = _get(item, "cycle_name", None)
        platform_id = _get(item, "platform_id")
        code = _get(item, "platform_code", None)
        if code or platform_id not in group["platforms"]:
            group["platforms"][platform_id] = code

    reminders = []
    for (cycle_id, reviewer_id, kind), group in sorted(groups.items()):
        platform_ids = sorted(group["platforms"])
        codes = [group["platforms"][p] for p in platform_ids]
        context = {
            "cycle_id": cycle_id,
            "cycle_name": group["cycle_name"],
            "closes_at": group["closes_at"],
            "platform_ids": platform_ids,
            "platform_codes": codes if all(codes) else None,
        }
        reminders.append(Reminder(kind, reviewer_id, review_dedup_key(kind, cycle_id, reviewer_id), context))
    return reminders


# --------------------------------------------------------------------------------------------------
# 3. After the close: tell the admins what is missing


def missing_after_close(closed_cycles_with_missing: Iterable[Any], admin_ids: Iterable[Any]) -> list[Reminder]:
    """One `cycle_missing_reviews` notification per (closed cycle, admin) listing the missing reviews.

    Each item has `cycle_id` and `missing` — (reviewer_id, platform_id) pairs, or objects/mappings with
    `reviewer_id`, `platform_id` and optionally `reviewer_name`, `platform_code` — and optionally
    `cycle_name`, `closes_at`. A cycle with nothing missing produces nothing. The key
    (`cycle_missing:cycle=3:user=1`) makes it a one-time message per cycle and admin.
    """
    admins = _ids(admin_ids)
    reminders = []
    for item in closed_cycles_with_missing:
        cycle_id = _get(item, "cycle_id")
        rows: dict[tuple[int, int], dict[str, Any]] = {}
        for entry in _get(item, "missing"):
            if isinstance(entry, (tuple, list)):
                reviewer_id, platform_id = entry[0], entry[1]
                reviewer_name = platform_code = None
            else:
                reviewer_id, platform_id = _get(entry, "reviewer_id"), _get(entry, "platform_id")
                reviewer_name = _get(entry, "reviewer_name", None)
                platform_code = _get(entry, "platform_code", None)
            rows[(reviewer_id, platform_id)] = {
                "reviewer_id": reviewer_id,
                "platform_id": platform_id,
                "reviewer_name": reviewer_name,
                "platform_code": platform_code,
            }
        if not rows:
            continue
        missing = [rows[k] for k in sorted(rows)]
        for admin_id in admins:
            context = {
                "cycle_id": cycle_id,
                "cycle_name": _get(item, "cycle_name", None),
                "closes_at": _get(item, "closes_at", None),
                "missing": [dict(row) for row in missing],
            }
            key = f"cycle_missing:cycle={cycle_id}:user={admin_id}"
            reminders.append(Reminder(ReminderKind.CYCLE_MISSING_REVIEWS, admin_id, key, context))
    return reminders


# --------------------------------------------------------------------------------------------------
# 4. Milestones coming due, overdue, and escalated


def milestone_reminder_kind(due_on: date | None, today: date) -> ReminderKind | None:
    """The tightest operator reminder window for a milestone due on `due_on`, seen on `today`.

    days_left = due_on − today: 3 < days_left ≤ 14 → milestone_due_14d; 0 ≤ days_left ≤ 3 (due today
    included) → milestone_due_3d; days_left < 0 → milestone_overdue.
    """
    if due_on is None:
        return None
    days_left = (due_on - today).days
    if days_left < 0:
        return ReminderKind.MILESTONE_OVERDUE
    if days_left <= MILESTONE_LAST_REMINDER_DAYS:
        return ReminderKind.MILESTONE_DUE_3D
    if days_left <= MILESTONE_FIRST_REMINDER_DAYS:
        return ReminderKind.MILESTONE_DUE_14D
    return None


def milestone_dedup_key(kind: str, milestone_id: int, due_on: date, user_id: int) -> str:
    """Includes the due date, so moving a milestone's due date re-arms its reminders."""
    return f"{kind}:ms={milestone_id}:due={due_on.isoformat()}:user={user_id}"


def milestone_reminders(
    milestones: Iterable[Any],
    now: datetime,
    escalate_after_days: int = DEFAULT_ESCALATE_AFTER_DAYS,
    *,
    admin_ids: Iterable[Any] = (),
) -> list[Reminder]:
    """Reminders to operators as milestones come due or fall overdue; escalations to admins.

    Each milestone has `id`, `project_id`, `platform_id`, `title`, `due_on` (date), `status`,
    `operator_ids` (the platform's operators) and `project_status`; optional `project_title` and
    `platform_code` improve the texts. Done or waived milestones, and milestones of projects that are
    not active (on hold, killed, transferred, withdrawn), produce nothing.

    Operators get the tightest window's kind (see `milestone_reminder_kind`); each admin in `admin_ids`
    also gets `milestone_escalation` when days overdue > `escalate_after_days`. "Today" is
    `shanghai_today(now)`. Ordered as the milestones are given: operators, then admins, by id.
    """
    if isinstance(escalate_after_days, bool) or not isinstance(escalate_after_days, int):
        raise TypeError("escalate_after_days must be an int")
    if escalate_after_days < 0:
        raise ValueError("escalate_after_days must be ≥ 0")
    today = shanghai_today(now)
    admins = _ids(admin_ids)
    reminders: list[Reminder] = []
    seen: set[str] = set()

    def add(kind: ReminderKind, user_id: int, context: dict[str, Any]) -> None:
        key = milestone_dedup_key(kind, context["milestone_id"], context["due_on"], user_id)
        if key not in seen:
            seen.add(key)
            reminders.append(Reminder(kind, user_id, key, dict(context)))

    for ms in milestones:
        if str(_get(ms, "status")) in _CLOSED_MILESTONE:
            continue
        if str(_get(ms, "project_status")) != _ACTIVE_PROJECT:
            continue
        due_on = _get(ms, "due_on")
        kind = milestone_reminder_kind(due_on, today)
        if kind is None:
            continue
        days_left = (due_on - today).days
        context = {
            "milestone_id": _get(ms, "id"),
            "project_id": _get(ms, "project_id"),
            "platform_id": _get(ms, "platform_id"),
            "title": _get(ms, "title"),
            "due_on": due_on,
            "days_left": days_left,
            "project_title": _get(ms, "project_title", None),
            "platform_code": _get(ms, "platform_code", None),
            "escalate_after_days": escalate_after_days,
        }
        for operator_id in _ids(_get(ms, "operator_ids")):
            add(kind, operator_id, context)
        if -days_left > escalate_after_days:
            for admin_id in admins:
                add(ReminderKind.MILESTONE_ESCALATION, admin_id, context)
    return reminders


# --------------------------------------------------------------------------------------------------
# 5. The daily digest


def digest_dedup_key(user_id: int, digest_date: date) -> str:
    return f"digest:user={user_id}:date={digest_date.isoformat()}"


def digest_due(
    last_digest_date_by_user: Mapping[int, date | None],
    users: Iterable[Any],
    now: datetime,
    *,
    digest_hour: int = DIGEST_HOUR,
) -> list[Reminder]:
    """One `daily_digest` per user per Shanghai day, due from `digest_hour`:00 Asia/Shanghai.

    `users` are ids or objects with `id`; `last_digest_date_by_user` maps a user id to the Shanghai date
    of their last digest (absent or None: never). Before the digest hour nothing is due; from then until
    midnight the day's digest is due to every user who has not had it. Missed days are not sent late:
    a digest reports the current state, so the next day's covers them. The job adds the counts
    (pending reviews, milestones) to the context and may skip users with nothing to report.
    """
    local = to_shanghai(_require_aware(now, "now"))
    if local.hour < digest_hour:
        return []
    today = local.date()
    reminders = []
    for user_id in _ids(users):
        last = last_digest_date_by_user.get(user_id)
        if last is not None and last >= today:
            continue
        reminders.append(
            Reminder(ReminderKind.DAILY_DIGEST, user_id, digest_dedup_key(user_id, today), {"date": today})
        )
    return reminders
