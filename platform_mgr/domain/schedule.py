"""Scheduled work: what is due at `now` (DESIGN §6).

Pure standard library: no Flask, no database, no clock. `now` is always a parameter (a timezone-aware
datetime; UTC in practice). The scheduler's tick (jobs/tasks.py) loads rows, calls these functions with
plain values, and writes what comes back: state changes with conditional updates, notifications with a
unique `dedup_key` — so running a tick twice, or two schedulers at once, sends nothing twice.

Everything is decided by *windows*, not exact instants, so a tick that was missed catches up: the first
tick inside a window sends its reminder, however late. Only the tightest window that applies is used on
a given tick (a reviewer first reached 12 hours before the close gets the 1-day reminder, not both).

"Today" for milestones and digests is the calendar date in Asia/Shanghai (`shanghai_today`); review
deadlines are instants and are compared as such. Texts show times in Asia/Shanghai.

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

SUBJECT_TITLE_MAX = 80  # a milestone title longer than this is shortened in subjects (bodies keep it whole)


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


def _date_zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _date_en(d: date) -> str:
    return d.isoformat()


def _moment_zh(moment: datetime) -> str:
    local = to_shanghai(moment)
    return f"{_date_zh(local.date())} {local:%H:%M}（北京时间）"


def _moment_en(moment: datetime) -> str:
    local = to_shanghai(moment)
    return f"{local:%Y-%m-%d %H:%M} (Beijing time, UTC+8)"


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
    `context` holds the plain values the texts are made from (ids, titles, dates, datetimes).
    The subjects and bodies are full sentences in both languages, generated from kind and context.
    """

    kind: ReminderKind
    recipient_id: int
    dedup_key: str
    context: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def subject_zh(self) -> str:
        return _render(self)[0]

    @property
    def subject_en(self) -> str:
        return _render(self)[1]

    @property
    def body_zh(self) -> str:
        return _render(self)[2]

    @property
    def body_en(self) -> str:
        return _render(self)[3]

    def subject(self, lang: str = "zh") -> str:
        return self.subject_en if _lang(lang) == "en" else self.subject_zh

    def body(self, lang: str = "zh") -> str:
        return self.body_en if _lang(lang) == "en" else self.body_zh

    def notification_fields(self) -> dict[str, Any]:
        """The `Notification` columns this reminder fills (recipient, kind, texts, dedup key)."""
        subject_zh, subject_en, body_zh, body_en = _render(self)
        return {
            "recipient_id": self.recipient_id,
            "kind": str(self.kind),
            "subject_zh": subject_zh,
            "subject_en": subject_en,
            "body_zh": body_zh,
            "body_en": body_en,
            "dedup_key": self.dedup_key,
        }


def _lang(lang: str | None) -> str:
    """'en', 'en_US', 'en-GB' → 'en'; anything else (the UI default) → 'zh'."""
    return "en" if lang and str(lang).lower().startswith("en") else "zh"


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
    a digest reports the current state, so the next day's covers them. The service adds the items
    (pending reviews, milestones) to the body and may skip users with nothing to report.
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


# --------------------------------------------------------------------------------------------------
# Texts (zh, en): full sentences made from kind + context; times shown in Asia/Shanghai


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _short(title: str) -> str:
    title = " ".join(str(title).split())
    return title if len(title) <= SUBJECT_TITLE_MAX else title[: SUBJECT_TITLE_MAX - 1] + "…"


def _cycle_ref(ctx: Mapping[str, Any]) -> tuple[str, str]:
    name = ctx.get("cycle_name")
    if name:
        return f"评审周期「{name}」", f"review cycle “{name}”"
    return f"评审周期 #{ctx['cycle_id']} ", f"review cycle #{ctx['cycle_id']}"


def _platform_list(ctx: Mapping[str, Any]) -> tuple[str, str]:
    codes = ctx.get("platform_codes")
    names = [str(c) for c in codes] if codes else [f"#{p}" for p in ctx["platform_ids"]]
    label_en = "platform" if len(names) == 1 else "platforms"
    return f"平台：{'、'.join(names)}", f"{label_en}: {', '.join(names)}"


def _review_due(ctx: Mapping[str, Any], last: bool) -> tuple[str, str, str, str]:
    cycle_zh, cycle_en = _cycle_ref(ctx)
    deadline_zh, deadline_en = _moment_zh(ctx["closes_at"]), _moment_en(ctx["closes_at"])
    platforms_zh, platforms_en = _platform_list(ctx)
    n = len(ctx["platform_ids"])
    if last:
        subject_zh = f"评审即将截止：{cycle_zh}将于{deadline_zh}截止"
        subject_en = f"Final reminder: {cycle_en} closes at {deadline_en}"
        body_zh = (
            f"您在{cycle_zh}中还有 {n} 个平台的评审尚未提交（{platforms_zh}）。"
            f"评分将于{deadline_zh}截止，距截止已不足 24 小时，请务必在截止前提交。"
        )
        body_en = (
            f"You still have {_plural(n, 'review')} not submitted in {cycle_en} ({platforms_en}). "
            f"Scoring closes at {deadline_en}, less than 24 hours from now; please submit before the deadline."
        )
    else:
        subject_zh = f"评审提醒：{cycle_zh}将于{deadline_zh}截止"
        subject_en = f"Reminder: {cycle_en} closes at {deadline_en}"
        body_zh = (
            f"您在{cycle_zh}中还有 {n} 个平台的评审尚未提交（{platforms_zh}）。"
            f"评分将于{deadline_zh}截止，距截止已不足 7 天，请尽快完成评分并提交。"
        )
        body_en = (
            f"You have {_plural(n, 'review')} not yet submitted in {cycle_en} ({platforms_en}). "
            f"Scoring closes at {deadline_en}, within the next 7 days; please complete and submit your scores."
        )
    return subject_zh, subject_en, body_zh, body_en


def _cycle_missing(ctx: Mapping[str, Any]) -> tuple[str, str, str, str]:
    cycle_zh, cycle_en = _cycle_ref(ctx)
    rows = ctx["missing"]
    n = len(rows)
    items_zh, items_en = [], []
    for row in rows:
        reviewer = row.get("reviewer_name") or f"#{row['reviewer_id']}"
        platform = row.get("platform_code") or f"#{row['platform_id']}"
        items_zh.append(f"专家 {reviewer}（平台 {platform}）")
        items_en.append(f"reviewer {reviewer} (platform {platform})")
    closes_at = ctx.get("closes_at")
    closed_zh = f"已于{_moment_zh(closes_at)}截止" if closes_at else "已截止"
    closed_en = f"closed at {_moment_en(closes_at)}" if closes_at else "has closed"
    subject_zh = f"{cycle_zh}已截止，仍有 {n} 份评审未提交"
    subject_en = f"{cycle_en[0].upper()}{cycle_en[1:]} has closed with {_plural(n, 'review')} missing"
    body_zh = (
        f"{cycle_zh}{closed_zh}，以下 {n} 份评审未提交：{'；'.join(items_zh)}。"
        f"汇总结果只计入已提交的评审，请核实并跟进。"
    )
    body_en = (
        f"{cycle_en[0].upper()}{cycle_en[1:]} {closed_en}; {_plural(n, 'review was', 'reviews were')} "
        f"not submitted: {'; '.join(items_en)}. Only submitted reviews count towards the results; "
        f"please check and follow up."
    )
    return subject_zh, subject_en, body_zh, body_en


def _milestone_ref(ctx: Mapping[str, Any]) -> tuple[str, str]:
    title = ctx["title"]
    project_title = ctx.get("project_title")
    project_zh = f"项目「{project_title}」" if project_title else f"项目 #{ctx['project_id']} "
    project_en = f"project “{project_title}”" if project_title else f"project #{ctx['project_id']}"
    code = ctx.get("platform_code")
    if code:
        project_zh = f"平台 {code} {project_zh}"
        project_en = f"{project_en} (platform {code})"
    return f"{project_zh}的里程碑「{title}」", f"Milestone “{title}” of {project_en}"


def _milestone_due(ctx: Mapping[str, Any]) -> tuple[str, str, str, str]:
    ref_zh, ref_en = _milestone_ref(ctx)
    due_zh, due_en = _date_zh(ctx["due_on"]), _date_en(ctx["due_on"])
    days = ctx["days_left"]
    if days == 0:
        when_zh, when_en = "即今天", "today"
    elif days == 1:
        when_zh, when_en = "即明天", "tomorrow"
    else:
        when_zh, when_en = f"还有 {days} 天", f"in {days} days"
    title = _short(ctx["title"])
    subject_zh = f"里程碑提醒：「{title}」将于{due_zh}到期"
    subject_en = f"Milestone reminder: “{title}” is due on {due_en}"
    body_zh = f"{ref_zh}将于{due_zh}到期（{when_zh}）。请按计划推进，完成后及时更新状态并上传佐证材料。"
    body_en = (
        f"{ref_en} is due on {due_en} ({when_en}). Please keep it on track, and once it is done update "
        f"its status and upload the evidence."
    )
    return subject_zh, subject_en, body_zh, body_en


def _milestone_overdue(ctx: Mapping[str, Any]) -> tuple[str, str, str, str]:
    ref_zh, ref_en = _milestone_ref(ctx)
    due_zh, due_en = _date_zh(ctx["due_on"]), _date_en(ctx["due_on"])
    late = -ctx["days_left"]
    title = _short(ctx["title"])
    subject_zh = f"里程碑逾期：「{title}」已逾期 {late} 天"
    subject_en = f"Milestone overdue: “{title}” is {_plural(late, 'day')} overdue"
    body_zh = f"{ref_zh}原定于{due_zh}到期，目前已逾期 {late} 天。请尽快完成；如确有困难，请说明原因并调整计划。"
    body_en = (
        f"{ref_en} was due on {due_en} and is now {_plural(late, 'day')} overdue. Please complete it as "
        f"soon as possible, or explain the delay and revise the plan."
    )
    return subject_zh, subject_en, body_zh, body_en


def _milestone_escalation(ctx: Mapping[str, Any]) -> tuple[str, str, str, str]:
    ref_zh, ref_en = _milestone_ref(ctx)
    due_zh, due_en = _date_zh(ctx["due_on"]), _date_en(ctx["due_on"])
    late, limit = -ctx["days_left"], ctx["escalate_after_days"]
    title = _short(ctx["title"])
    subject_zh = f"逾期督办：里程碑「{title}」已逾期超过 {limit} 天"
    subject_en = f"Escalation: milestone “{title}” is more than {_plural(limit, 'day')} overdue"
    body_zh = f"{ref_zh}原定于{due_zh}到期，已逾期 {late} 天，超过 {limit} 天的督办期限。请与平台联系并跟进。"
    body_en = (
        f"{ref_en} was due on {due_en} and is now {_plural(late, 'day')} overdue, past the {limit}-day "
        f"escalation limit. Please contact the platform and follow up."
    )
    return subject_zh, subject_en, body_zh, body_en


def _daily_digest(ctx: Mapping[str, Any]) -> tuple[str, str, str, str]:
    day_zh, day_en = _date_zh(ctx["date"]), _date_en(ctx["date"])
    return (
        f"每日摘要：{day_zh}",
        f"Daily digest for {day_en}",
        f"这是您{day_zh}的每日摘要，汇总了需要您关注的评审、里程碑和通知。",
        f"This is your daily digest for {day_en}: the reviews, milestones and notifications that need your attention.",
    )


_RENDERERS = {
    ReminderKind.REVIEW_DUE_7D: lambda ctx: _review_due(ctx, last=False),
    ReminderKind.REVIEW_DUE_1D: lambda ctx: _review_due(ctx, last=True),
    ReminderKind.CYCLE_MISSING_REVIEWS: _cycle_missing,
    ReminderKind.MILESTONE_DUE_14D: _milestone_due,
    ReminderKind.MILESTONE_DUE_3D: _milestone_due,
    ReminderKind.MILESTONE_OVERDUE: _milestone_overdue,
    ReminderKind.MILESTONE_ESCALATION: _milestone_escalation,
    ReminderKind.DAILY_DIGEST: _daily_digest,
}


def _render(reminder: Reminder) -> tuple[str, str, str, str]:
    """(subject_zh, subject_en, body_zh, body_en)."""
    return _RENDERERS[ReminderKind(reminder.kind)](reminder.context)
