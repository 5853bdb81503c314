from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from platform_mgr.domain.schedule import (
    DEFAULT_ESCALATE_AFTER_DAYS,
    DEFAULT_TICK_INTERVAL,
    DEFAULT_TICK_MINUTES,
    DIGEST_HOUR,
    DIGEST_TIME,
    SHANGHAI,
    Reminder,
    ReminderKind,
    Transition,
    cycle_transitions,
    digest_due,
    milestone_reminder_kind,
    milestone_reminders,
    missing_after_close,
    review_reminder_kind,
    reviewer_reminders,
    shanghai_today,
)

UTC = timezone.utc
# 2026-11-28 02:00 UTC = 2026-11-28 10:00 in Shanghai: "today" is 2026-11-28 in both zones.
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 28)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)

R7, R1 = ReminderKind.REVIEW_DUE_7D, ReminderKind.REVIEW_DUE_1D
M14, M3, MOVER, MESC = (
    ReminderKind.MILESTONE_DUE_14D,
    ReminderKind.MILESTONE_DUE_3D,
    ReminderKind.MILESTONE_OVERDUE,
    ReminderKind.MILESTONE_ESCALATION,
)


def cycle(id=3, state="draft", opens_at=None, closes_at=None):
    return SimpleNamespace(id=id, state=state, opens_at=opens_at, closes_at=closes_at)


@dataclass(frozen=True)
class Pending:
    cycle_id: int
    reviewer_id: int
    platform_id: int
    closes_at: datetime


def pending(cycle_id=3, reviewer_id=9, platform_id=4, closes_at=NOW + 3 * DAY, **kw):
    return SimpleNamespace(
        cycle_id=cycle_id, reviewer_id=reviewer_id, platform_id=platform_id, closes_at=closes_at, **kw
    )


def milestone(**kw):
    values = dict(
        id=12,
        project_id=7,
        platform_id=2,
        title="完成中试样品验证",
        due_on=TODAY + timedelta(days=10),
        status="in_progress",
        operator_ids=(5,),
        project_status="active",
    )
    values.update(kw)
    return SimpleNamespace(**values)


def kinds(reminders):
    return [(r.kind, r.recipient_id) for r in reminders]


PLAIN = (int, str, date, datetime, type(None))


def assert_plain(reminder):
    """A reminder is a kind, a recipient, a key and plain values: no texts (templates/mail makes those).
    The only strings in the context are the names and codes that came in with the data."""
    assert set(vars(reminder)) == {"kind", "recipient_id", "dedup_key", "context"}
    assert not any(hasattr(reminder, name) for name in ("subject_zh", "body_en", "notification_fields"))

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        else:
            assert isinstance(value, PLAIN), (type(value), value)

    walk(reminder.context)
    assert len(reminder.dedup_key) <= 200


# ---------------------------------------------------------------------------------------------
# Constants and the Shanghai date


def test_constants():
    assert DEFAULT_TICK_MINUTES == 5 and DEFAULT_TICK_INTERVAL == timedelta(minutes=5)
    assert DIGEST_HOUR == 8 and DIGEST_TIME.hour == 8 and DIGEST_TIME.minute == 0
    assert DEFAULT_ESCALATE_AFTER_DAYS == 30
    assert SHANGHAI.key == "Asia/Shanghai"


@pytest.mark.parametrize(
    "now, expected",
    [
        (datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC), date(2026, 11, 27)),  # 23:59:59 in Shanghai
        (datetime(2026, 11, 27, 16, 0, tzinfo=UTC), date(2026, 11, 28)),  # midnight in Shanghai
        (datetime(2026, 11, 27, 16, 30, tzinfo=UTC), date(2026, 11, 28)),  # UTC 16:30 is tomorrow there
        (datetime(2026, 11, 28, 0, 30, tzinfo=SHANGHAI), date(2026, 11, 28)),  # any aware zone works
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_shanghai_today(now, expected):
    assert shanghai_today(now) == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: shanghai_today(naive),
        lambda naive: cycle_transitions([], naive),
        lambda naive: reviewer_reminders([], naive),
        lambda naive: milestone_reminders([], naive),
        lambda naive: digest_due({}, [1], naive),
        lambda naive: cycle_transitions([cycle(opens_at=naive)], NOW),
        lambda naive: reviewer_reminders([pending(closes_at=naive)], NOW),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 11, 28, 2, 0))


# ---------------------------------------------------------------------------------------------
# 1. Cycle transitions


@pytest.mark.parametrize(
    "state, opens_at, closes_at, expected",
    [
        ("draft", NOW - DAY, NOW + DAY, [("draft", "open")]),
        ("draft", NOW, NOW + DAY, [("draft", "open")]),  # opens exactly now
        ("draft", NOW + SECOND, NOW + DAY, []),
        ("draft", NOW - 10 * DAY, NOW - DAY, [("draft", "open"), ("open", "closed")]),  # missed ticks
        ("draft", NOW - DAY, NOW, [("draft", "open"), ("open", "closed")]),
        ("draft", None, NOW - DAY, []),
        ("open", NOW - 10 * DAY, NOW - DAY, [("open", "closed")]),
        ("open", NOW - 10 * DAY, NOW, [("open", "closed")]),  # closes exactly now
        ("open", NOW - 10 * DAY, NOW + SECOND, []),
        ("open", NOW - 10 * DAY, None, []),
        ("closed", NOW - 10 * DAY, NOW - DAY, []),
        ("published", NOW - 10 * DAY, NOW - DAY, []),
    ],
)
def test_cycle_transitions(state, opens_at, closes_at, expected):
    got = cycle_transitions([cycle(id=3, state=state, opens_at=opens_at, closes_at=closes_at)], NOW)
    assert got == [(3, a, b) for a, b in expected]
    assert all(isinstance(t, Transition) for t in got)


def test_cycle_transitions_keep_input_order_and_accept_mappings():
    cycles = [
        cycle(id=8, state="open", opens_at=NOW - 9 * DAY, closes_at=NOW - DAY),
        {"id": 2, "state": "draft", "opens_at": NOW - 2 * DAY, "closes_at": NOW - DAY},
        cycle(id=5, state="draft", opens_at=NOW + DAY, closes_at=NOW + 9 * DAY),
        cycle(id=4, state="draft", opens_at=NOW - DAY, closes_at=NOW + 9 * DAY),
    ]
    assert cycle_transitions(cycles, NOW) == [
        (8, "open", "closed"),
        (2, "draft", "open"),
        (2, "open", "closed"),
        (4, "draft", "open"),
    ]
    assert cycle_transitions(cycles, NOW) == cycle_transitions(cycles, NOW)


# ---------------------------------------------------------------------------------------------
# 2. Reviewer reminders


@pytest.mark.parametrize(
    "left, expected",
    [
        (30 * DAY, None),
        (7 * DAY + SECOND, None),
        (7 * DAY, R7),  # exactly 7 days
        (7 * DAY - SECOND, R7),
        (3 * DAY, R7),
        (DAY + SECOND, R7),
        (DAY, R1),  # exactly 1 day
        (DAY - SECOND, R1),
        (timedelta(hours=12), R1),
        (SECOND, R1),
        (timedelta(0), None),  # closed now: nothing more to remind
        (-SECOND, None),
        (-DAY, None),
    ],
)
def test_review_reminder_window_edges(left, expected):
    assert review_reminder_kind(NOW + left, NOW) == expected
    got = reviewer_reminders([pending(closes_at=NOW + left)], NOW)
    assert [r.kind for r in got] == ([expected] if expected else [])


def test_review_reminder_kind_none_without_close():
    assert review_reminder_kind(None, NOW) is None


def test_review_reminders_group_per_cycle_and_reviewer():
    closes = NOW + 3 * DAY
    items = [
        pending(cycle_id=3, reviewer_id=9, platform_id=7, closes_at=closes),
        pending(cycle_id=3, reviewer_id=9, platform_id=4, closes_at=closes),
        pending(cycle_id=3, reviewer_id=9, platform_id=4, closes_at=closes),  # duplicate row
        pending(cycle_id=3, reviewer_id=11, platform_id=4, closes_at=closes),
        Pending(cycle_id=6, reviewer_id=9, platform_id=4, closes_at=NOW + timedelta(hours=5)),
        pending(cycle_id=6, reviewer_id=12, platform_id=4, closes_at=NOW + 20 * DAY),  # not yet
    ]
    got = reviewer_reminders(items, NOW)
    assert [(r.kind, r.recipient_id, r.dedup_key) for r in got] == [
        (R7, 9, "review_due_7d:cycle=3:user=9"),
        (R7, 11, "review_due_7d:cycle=3:user=11"),
        (R1, 9, "review_due_1d:cycle=6:user=9"),
    ]
    assert got[0].context["platform_ids"] == [4, 7]
    assert got[0].context["cycle_id"] == 3 and got[0].context["closes_at"] == closes
    assert got[1].context["platform_ids"] == [4]
    assert got[2].context["platform_ids"] == [4]


def test_review_catch_up_sends_only_the_tightest_window():
    # The scheduler was down for the whole 7-day window; its first tick is 12 hours before the close.
    closes = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    tick = closes - timedelta(hours=12)
    got = reviewer_reminders([pending(closes_at=closes), pending(platform_id=5, closes_at=closes)], tick)
    assert [(r.kind, r.dedup_key) for r in got] == [(R1, "review_due_1d:cycle=3:user=9")]
    # A tick that first runs 6 days before still gets the 7-day reminder, and later the 1-day one.
    assert [r.kind for r in reviewer_reminders([pending(closes_at=closes)], closes - 6 * DAY)] == [R7]
    assert [r.kind for r in reviewer_reminders([pending(closes_at=closes)], closes - 2 * DAY)] == [R7]
    assert [r.kind for r in reviewer_reminders([pending(closes_at=closes)], closes - DAY)] == [R1]


def test_review_dedup_keys_are_stable_across_ticks():
    items = [pending(reviewer_id=9), pending(reviewer_id=10, platform_id=5)]
    first = reviewer_reminders(items, NOW)
    again = reviewer_reminders(list(reversed(items)), NOW + timedelta(minutes=5))
    assert [r.dedup_key for r in first] == [r.dedup_key for r in again]
    assert first == again


def review_items(closes):
    return [
        pending(closes_at=closes, cycle_name="2026 年度评审", platform_id=4, platform_code="SIPH"),
        pending(closes_at=closes, cycle_name="2026 年度评审", platform_id=7, platform_code="BCI"),
    ]


def test_review_reminders_carry_the_cycle_the_platforms_and_the_deadline():
    # what the texts are made from (tests/services/test_notifications_texts.py reads them)
    closes = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 17:00 on 1 December in Shanghai
    (week,) = reviewer_reminders(review_items(closes), closes - 3 * DAY)
    (day,) = reviewer_reminders(review_items(closes), closes - timedelta(hours=3))
    assert (week.kind, day.kind) == (R7, R1)
    for r in (week, day):
        assert_plain(r)
        assert r.context == {"cycle_id": 3, "cycle_name": "2026 年度评审", "closes_at": closes,
                             "platform_ids": [4, 7], "platform_codes": ["SIPH", "BCI"]}  # platform-id order


def test_review_reminders_without_names_carry_ids_only():
    (r,) = reviewer_reminders([pending(cycle_id=3, platform_id=4)], NOW)
    assert_plain(r)
    assert r.context["cycle_name"] is None and r.context["platform_ids"] == [4]
    assert r.context["platform_codes"] is None


# ---------------------------------------------------------------------------------------------
# 3. Missing reviews after close


def test_missing_after_close_one_per_cycle_and_admin():
    closed = [
        SimpleNamespace(
            cycle_id=3,
            cycle_name="2026 年度评审",
            closes_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            missing=[(9, 7), (9, 4), {"reviewer_id": 11, "platform_id": 4, "reviewer_name": "李明"}],
        ),
        {"cycle_id": 5, "missing": []},  # nothing missing: nothing to say
        {"cycle_id": 6, "missing": [SimpleNamespace(reviewer_id=2, platform_id=8, platform_code="CGT")]},
    ]
    got = missing_after_close(closed, admin_ids=[2, 1, 1])
    assert [(r.kind, r.recipient_id, r.dedup_key) for r in got] == [
        (ReminderKind.CYCLE_MISSING_REVIEWS, 1, "cycle_missing:cycle=3:user=1"),
        (ReminderKind.CYCLE_MISSING_REVIEWS, 2, "cycle_missing:cycle=3:user=2"),
        (ReminderKind.CYCLE_MISSING_REVIEWS, 1, "cycle_missing:cycle=6:user=1"),
        (ReminderKind.CYCLE_MISSING_REVIEWS, 2, "cycle_missing:cycle=6:user=2"),
    ]
    first = got[0]
    assert [(m["reviewer_id"], m["platform_id"]) for m in first.context["missing"]] == [(9, 4), (9, 7), (11, 4)]
    assert first.context["missing"][2]["reviewer_name"] == "李明"
    assert first.context["cycle_name"] == "2026 年度评审"
    assert first.context["closes_at"] == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert got[2].context["missing"] == [
        {"reviewer_id": 2, "platform_id": 8, "reviewer_name": None, "platform_code": "CGT"}]
    assert got[2].context["cycle_name"] is None and got[2].context["closes_at"] is None
    for r in got:
        assert_plain(r)
    assert missing_after_close(closed, admin_ids=[]) == []
    assert [r.dedup_key for r in missing_after_close(closed, [1, 2])] == [r.dedup_key for r in got]


# ---------------------------------------------------------------------------------------------
# 4. Milestone reminders


@pytest.mark.parametrize(
    "days_left, expected",
    [
        (60, None),
        (15, None),
        (14, M14),  # exactly 14 days left
        (10, M14),
        (4, M14),
        (3, M3),  # exactly 3 days left
        (1, M3),
        (0, M3),  # due today
        (-1, MOVER),  # due yesterday
        (-30, MOVER),
        (-31, MOVER),
    ],
)
def test_milestone_window_edges(days_left, expected):
    due = TODAY + timedelta(days=days_left)
    assert milestone_reminder_kind(due, TODAY) == expected
    got = milestone_reminders([milestone(due_on=due, operator_ids=(5,))], NOW)
    assert kinds(got) == ([(expected, 5)] if expected else [])


@pytest.mark.parametrize(
    "days_overdue, escalate_after, escalated",
    [
        (29, 30, False),
        (30, 30, False),  # exactly 30 days overdue: not yet "more than 30"
        (31, 30, True),
        (200, 30, True),
        (10, 10, False),
        (11, 10, True),
        (1, 0, True),
    ],
)
def test_milestone_escalation_after_more_than_n_days(days_overdue, escalate_after, escalated):
    due = TODAY - timedelta(days=days_overdue)
    got = milestone_reminders(
        [milestone(due_on=due, operator_ids=(6, 5))], NOW, escalate_after, admin_ids=[2, 1]
    )
    expected = [(MOVER, 5), (MOVER, 6)] + ([(MESC, 1), (MESC, 2)] if escalated else [])
    assert kinds(got) == expected
    if escalated:
        esc = got[2]
        assert esc.dedup_key == f"milestone_escalation:ms=12:due={due.isoformat()}:user=1"
        assert_plain(esc)
        assert esc.context["days_left"] == -days_overdue and esc.context["escalate_after_days"] == escalate_after


def test_default_escalation_is_30_days_and_needs_admins():
    due = TODAY - timedelta(days=31)
    assert kinds(milestone_reminders([milestone(due_on=due)], NOW, admin_ids=[1])) == [(MOVER, 5), (MESC, 1)]
    assert kinds(milestone_reminders([milestone(due_on=due)], NOW)) == [(MOVER, 5)]
    # Escalation does not depend on there being an operator to tell.
    assert kinds(milestone_reminders([milestone(due_on=due, operator_ids=())], NOW, admin_ids=[1])) == [
        (MESC, 1)
    ]


@pytest.mark.parametrize("bad", [-1])
def test_escalate_after_days_must_be_non_negative(bad):
    with pytest.raises(ValueError):
        milestone_reminders([], NOW, bad)


@pytest.mark.parametrize("bad", [(1, 2), "30", 30.0, True])
def test_escalate_after_days_must_be_an_int(bad):
    with pytest.raises(TypeError):
        milestone_reminders([], NOW, bad)


@pytest.mark.parametrize(
    "first_tick_days_left, expected",
    [
        (14, M14),
        (5, M14),  # window opened 9 days ago; the first tick still reminds
        (2, M3),  # both windows have passed: only the tightest
        (0, M3),
        (-10, MOVER),  # the whole run-up was missed: only "overdue"
    ],
)
def test_milestone_catch_up_sends_tightest_window_only(first_tick_days_left, expected):
    due = date(2026, 12, 20)
    now = datetime.combine(due - timedelta(days=first_tick_days_left), datetime.min.time(), SHANGHAI)
    now = (now + timedelta(hours=9)).astimezone(UTC)
    got = milestone_reminders([milestone(due_on=due)], now, admin_ids=[1])
    assert kinds(got) == [(expected, 5)]


@pytest.mark.parametrize("status", ["done", "waived"])
@pytest.mark.parametrize("days_left", [10, 2, 0, -5, -60])
def test_nothing_for_done_or_waived_milestones(status, days_left):
    ms = milestone(status=status, due_on=TODAY + timedelta(days=days_left))
    assert milestone_reminders([ms], NOW, admin_ids=[1]) == []


@pytest.mark.parametrize("project_status", ["killed", "on_hold", "transferred", "withdrawn"])
def test_nothing_for_projects_not_active(project_status):
    ms = milestone(project_status=project_status, due_on=TODAY - timedelta(days=60))
    assert milestone_reminders([ms], NOW, admin_ids=[1]) == []


@pytest.mark.parametrize("status", ["planned", "in_progress"])
def test_open_milestones_are_reminded(status):
    assert kinds(milestone_reminders([milestone(status=status)], NOW)) == [(M14, 5)]


def test_milestone_dedup_keys_stable_and_rearmed_by_due_date_change():
    ms = milestone(id=12, due_on=date(2026, 12, 1), operator_ids=(5, 8))
    first = milestone_reminders([ms], NOW)
    again = milestone_reminders([ms], NOW + timedelta(minutes=5))
    assert [r.dedup_key for r in first] == [
        "milestone_due_3d:ms=12:due=2026-12-01:user=5",
        "milestone_due_3d:ms=12:due=2026-12-01:user=8",
    ]
    assert [r.dedup_key for r in again] == [r.dedup_key for r in first]
    assert first == again

    moved = milestone_reminders([milestone(id=12, due_on=date(2026, 11, 30), operator_ids=(5, 8))], NOW)
    assert [r.kind for r in moved] == [M3, M3]  # same window, but a new key: reminded again
    assert [r.dedup_key for r in moved] == [
        "milestone_due_3d:ms=12:due=2026-11-30:user=5",
        "milestone_due_3d:ms=12:due=2026-11-30:user=8",
    ]
    assert not {r.dedup_key for r in moved} & {r.dedup_key for r in first}


def test_milestone_reminders_dedupe_operators_and_repeated_rows():
    ms = milestone(operator_ids=(8, 5, 8))
    got = milestone_reminders([ms, ms], NOW)
    assert kinds(got) == [(M14, 5), (M14, 8)]
    assert len({r.dedup_key for r in got}) == 2


def test_milestone_order_follows_input():
    a = milestone(id=1, due_on=TODAY - timedelta(days=40), operator_ids=(5,))
    b = milestone(id=2, due_on=TODAY + timedelta(days=2), operator_ids=(4,))
    got = milestone_reminders([a, b], NOW, admin_ids=[1])
    assert [(r.kind, r.context["milestone_id"], r.recipient_id) for r in got] == [
        (MOVER, 1, 5),
        (MESC, 1, 1),
        (M3, 2, 4),
    ]


@pytest.mark.parametrize(
    "now, expected",
    [
        # 23:59 in Shanghai on 27 November: the milestone is still due today.
        (datetime(2026, 11, 27, 15, 59, tzinfo=UTC), M3),
        # UTC 16:30 on the 27th is 00:30 on the 28th in Shanghai: yesterday's due date is now overdue,
        # although the UTC date is still the 27th.
        (datetime(2026, 11, 27, 16, 30, tzinfo=UTC), MOVER),
    ],
)
def test_milestone_today_is_the_shanghai_date(now, expected):
    got = milestone_reminders([milestone(due_on=date(2026, 11, 27))], now)
    assert kinds(got) == [(expected, 5)]


def test_fourteen_day_window_opens_at_shanghai_midnight():
    due = date(2026, 12, 12)  # 14 days after 28 November
    before = datetime(2026, 11, 27, 15, 59, 59, tzinfo=UTC)  # 27 Nov 23:59:59 Shanghai: 15 days left
    after = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 28 Nov 00:00 Shanghai: 14 days left
    assert milestone_reminders([milestone(due_on=due)], before) == []
    assert kinds(milestone_reminders([milestone(due_on=due)], after)) == [(M14, 5)]


def test_milestone_reminders_carry_what_the_texts_are_made_of():
    due = TODAY + timedelta(days=10)
    ms = milestone(due_on=due, title="完成中试样品验证", project_title="硅光调制器", platform_code="SIPH")
    (r,) = milestone_reminders([ms], NOW)
    assert_plain(r)
    assert r.context == {"milestone_id": 12, "project_id": 7, "platform_id": 2, "title": "完成中试样品验证",
                         "due_on": due, "days_left": 10, "project_title": "硅光调制器", "platform_code": "SIPH",
                         "escalate_after_days": 30}
    (late,) = milestone_reminders([milestone(due_on=TODAY - timedelta(days=1))], NOW)
    assert late.kind == MOVER and late.context["days_left"] == -1 and late.context["project_title"] is None


def test_reminders_are_values():
    (r,) = milestone_reminders([milestone(due_on=date(2026, 12, 1))], NOW)
    assert (r.kind, r.recipient_id, r.dedup_key) == ("milestone_due_3d", 5, "milestone_due_3d:ms=12:due=2026-12-01:user=5")
    assert str(r.kind) == "milestone_due_3d"
    assert isinstance(r, Reminder) and hash(r) == hash(milestone_reminders([milestone(due_on=date(2026, 12, 1))], NOW)[0])


# ---------------------------------------------------------------------------------------------
# 5. Daily digest


@pytest.mark.parametrize(
    "now, digest_date",
    [
        (datetime(2026, 11, 27, 23, 59, tzinfo=UTC), None),  # 07:59 on 28 Nov in Shanghai
        (datetime(2026, 11, 28, 0, 0, tzinfo=UTC), date(2026, 11, 28)),  # 08:00 exactly
        (datetime(2026, 11, 28, 15, 59, tzinfo=UTC), date(2026, 11, 28)),  # 23:59: catch-up same day
        (datetime(2026, 11, 28, 16, 30, tzinfo=UTC), None),  # 00:30 on 29 Nov: before the hour
    ],
)
def test_digest_hour_in_shanghai(now, digest_date):
    got = digest_due({}, [5], now)
    if digest_date is None:
        assert got == []
    else:
        assert [(r.kind, r.recipient_id, r.dedup_key) for r in got] == [
            (ReminderKind.DAILY_DIGEST, 5, f"digest:user=5:date={digest_date.isoformat()}")
        ]


def test_digest_once_per_user_per_day():
    last = {5: date(2026, 11, 28), 6: date(2026, 11, 27), 8: None}
    users = [SimpleNamespace(id=7), 6, 5, 8, 6]
    got = digest_due(last, users, NOW)
    assert [r.dedup_key for r in got] == [
        "digest:user=6:date=2026-11-28",
        "digest:user=7:date=2026-11-28",
        "digest:user=8:date=2026-11-28",
    ]
    assert [r.dedup_key for r in digest_due(last, users, NOW + timedelta(minutes=5))] == [r.dedup_key for r in got]
    everyone_done = {u: date(2026, 11, 28) for u in (5, 6, 7, 8)}
    assert digest_due(everyone_done, users, NOW) == []
    assert_plain(got[0])
    assert got[0].context == {"date": date(2026, 11, 28)}


def test_digest_date_is_the_shanghai_date():
    # With a midnight digest hour, UTC 16:30 on the 27th already belongs to the 28th.
    got = digest_due({}, [5], datetime(2026, 11, 27, 16, 30, tzinfo=UTC), digest_hour=0)
    assert [r.dedup_key for r in got] == ["digest:user=5:date=2026-11-28"]
    assert digest_due({5: date(2026, 11, 28)}, [5], datetime(2026, 11, 27, 16, 30, tzinfo=UTC), digest_hour=0) == []


def test_postponing_an_overdue_milestone_rearms_its_reminders():
    late = milestone(id=12, due_on=TODAY - timedelta(days=3))
    postponed = milestone(id=12, due_on=TODAY + timedelta(days=20))
    (overdue,) = milestone_reminders([late], NOW)
    assert overdue.dedup_key == "milestone_overdue:ms=12:due=2026-11-25:user=5"
    assert milestone_reminders([postponed], NOW) == []  # outside every window for now
    (again,) = milestone_reminders([postponed], NOW + 8 * DAY)  # 12 days left
    assert again.kind == M14 and again.dedup_key == "milestone_due_14d:ms=12:due=2026-12-18:user=5"
