"""The bell, the notification list, mark as read, and the calendar feed at its secret address."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar
from sqlmodel import select

from platform_mgr.models import AuditEvent, Notification, User

UTC = timezone.utc


def note(db, user, key, *, read=False, link="", zh="里程碑提醒", en="Milestone reminder", at=None):
    row = Notification(recipient_id=user.id, kind="milestone_due_3d", subject_zh=zh, subject_en=en,
                       body_zh="请按时完成。", body_en="Please finish on time.", dedup_key=key, link=link,
                       created_at=at or datetime(2026, 12, 1, tzinfo=UTC),
                       read_at=datetime(2026, 12, 2, tzinfo=UTC) if read else None)
    db.add(row)
    db.commit()
    return row


def test_the_bell_shows_the_unread_count(client, auth, make, db):
    user = make.operator()
    note(db, user, "a")
    note(db, user, "b")
    note(db, user, "c", read=True)
    note(db, make.operator(), "other")
    auth.login(user.email)
    html = client.get("/home").get_data(as_text=True)
    assert 'data-unread-count="2"' in html and 'href="/notifications/"' in html


def test_no_badge_when_all_read(client, auth, make, db):
    user = make.operator()
    note(db, user, "a", read=True)
    auth.login(user.email)
    html = client.get("/home").get_data(as_text=True)
    assert "data-unread-count" not in html and 'href="/notifications/"' in html


def test_anonymous_is_sent_to_sign_in(client):
    for url in ("/notifications/", "/calendar"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/notifications/read-all").status_code == 302


def test_the_list_shows_only_own_notifications_in_both_languages(client, auth, make, db):
    user = make.reviewer()
    note(db, user, "mine")
    note(db, make.reviewer(), "theirs", zh="别人的通知", en="Someone else's")
    auth.login(user.email)
    html = client.get("/notifications/").get_data(as_text=True)
    assert "里程碑提醒" in html and "请按时完成" in html and "别人的通知" not in html
    assert "全部标为已读" in html
    html = client.get("/notifications/?lang=en").get_data(as_text=True)
    assert "Milestone reminder" in html and "Mark all as read" in html and "Someone else" not in html


def test_unread_filter_and_pagination(client, auth, make, db):
    user = make.reviewer()
    for i in range(30):
        note(db, user, f"k{i}", read=i % 2 == 0, zh=f"通知{i:02d}", at=datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=i))
    auth.login(user.email)
    html = client.get("/notifications/?unread=1").get_data(as_text=True)
    assert "通知29" in html and "通知28" not in html
    first = client.get("/notifications/").get_data(as_text=True)
    assert "通知29" in first and "通知04" not in first  # newest first, 25 a page
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert "通知04" in second and "通知29" not in second


def test_mark_as_read_and_mark_all(client, auth, make, db):
    user = make.reviewer()
    first = note(db, user, "a")
    note(db, user, "b")
    auth.login(user.email)
    response = client.post(f"/notifications/{first.id}/read", data={"next": "/notifications/?unread=1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications/?unread=1")
    db.expire_all()
    assert db.get(Notification, first.id).read_at is not None
    assert 'data-unread-count="1"' in client.get("/home").get_data(as_text=True)
    response = client.post("/notifications/read-all", follow_redirects=True)
    assert "1 notifications marked as read" in response.get_data(as_text=True) or \
        "1 条通知已标为已读" in response.get_data(as_text=True)
    assert db.exec(select(Notification).where(Notification.read_at.is_(None))).all() == []
    actions = sorted(e.action for e in db.exec(select(AuditEvent).where(AuditEvent.entity_type == "notification")))
    assert actions == ["read", "read_all"]


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, auth, make, db):
    user = make.reviewer()
    row = note(db, user, "a", link="/platforms/")
    auth.login(user.email)
    response = client.post(f"/notifications/{row.id}/read", data={"open": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/platforms/")
    db.expire_all()
    assert db.get(Notification, row.id).read_at is not None


def test_an_offsite_next_is_ignored(client, auth, make, db):
    user = make.reviewer()
    row = note(db, user, "a")
    auth.login(user.email)
    response = client.post(f"/notifications/{row.id}/read", data={"next": "//evil.example/"})
    assert response.headers["Location"].endswith("/notifications/")


def test_someone_elses_notification_is_not_found_and_unchanged(client, auth, make, db):
    owner, other = make.reviewer(), make.operator()
    row = note(db, owner, "a")
    auth.login(other.email)
    assert client.post(f"/notifications/{row.id}/read").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404
    db.expire_all()
    assert db.get(Notification, row.id).read_at is None
    assert db.exec(select(AuditEvent).where(AuditEvent.entity_type == "notification")).all() == []


# --- the calendar feed ------------------------------------------------------------------------------------

def _feed_url(html: str) -> str:
    match = re.search(r'id="feed-url"[^>]*value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def test_operator_feed_shows_open_milestones_of_own_platforms_without_a_session(app, client, auth, make, db):
    platform = make.platform(code="BCI")
    operator = make.operator(platform)
    project = make.project(platform, title_zh="柔性电极")
    open_ms = make.milestone(project, title="动物实验", due_on=date(2026, 12, 20))
    make.milestone(project, title="已完成", status="done", completed_on=date(2026, 11, 1), due_on=date(2026, 11, 1))
    make.milestone(make.project(make.platform(code="SIPH")), title="别的平台", due_on=date(2026, 12, 21))
    auth.login(operator.email)
    page = client.get("/calendar").get_data(as_text=True)
    assert "创建日历订阅地址" in page
    response = client.post("/calendar/rotate")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    url = _feed_url(response.get_data(as_text=True))
    token = url.rsplit("/", 1)[1][:-4]
    db.expire_all()
    stored = db.get(User, operator.id).calendar_token_hash
    assert stored and token not in stored and len(stored) == 64  # only a hash is kept

    anonymous = app.test_client()  # a calendar application: no cookie, no session
    feed = anonymous.get(url.replace("http://localhost", ""))
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    assert "Set-Cookie" not in feed.headers
    events = _events(feed.data)
    assert [str(e["summary"]) for e in events] == ["里程碑到期：动物实验（BCI）"]
    assert events[0].decoded("dtstart") == date(2026, 12, 20)
    assert str(events[0]["uid"]) == f"milestone-{open_ms.id}@platform-mgr"
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.entity_id == operator.id,
                                                                    AuditEvent.entity_type == "user"))]
    assert "create_calendar_token" in actions


def test_rotating_makes_the_old_address_stop_working(app, client, auth, make, db):
    user = make.operator(make.platform())
    auth.login(user.email)
    old = _feed_url(client.post("/calendar/rotate").get_data(as_text=True)).replace("http://localhost", "")
    page = client.get("/calendar?lang=en").get_data(as_text=True)
    assert "Your feed is active" in page and 'id="feed-url"' not in page  # the address is shown only once
    new = _feed_url(client.post("/calendar/rotate").get_data(as_text=True)).replace("http://localhost", "")
    assert old != new
    anonymous = app.test_client()
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200
    client.post("/calendar/disable", expect=302)
    assert anonymous.get(new).status_code == 404
    assert anonymous.get("/calendar/cal_guess.ics").status_code == 404
    assert anonymous.get("/calendar/nonsense.ics").status_code == 404


def test_reviewer_feed_has_review_deadlines_in_english(app, client, auth, make, db):
    closes = datetime(2026, 12, 1, tzinfo=UTC)
    cycle = make.cycle(state="open", opens_at=datetime(2026, 11, 1, tzinfo=UTC), closes_at=closes,
                       name="2026 evaluation")
    closed = make.cycle(state="closed", name="2025 evaluation", opens_at=datetime(2025, 11, 1, tzinfo=UTC),
                        closes_at=datetime(2025, 12, 1, tzinfo=UTC))
    reviewer = make.reviewer(preferred_lang="en")
    p1, p2 = make.platform(code="BCI"), make.platform(code="SIPH")
    make.assignment(cycle, reviewer, p1)
    make.assignment(cycle, reviewer, p2, review_state="submitted")
    make.assignment(closed, reviewer, p1)
    auth.login(reviewer.email)
    url = _feed_url(client.post("/calendar/rotate").get_data(as_text=True)).replace("http://localhost", "")
    events = _events(app.test_client().get(url).data)
    assert [str(e["summary"]) for e in events] == ["Review deadline: 2026 evaluation"]
    assert events[0].decoded("dtstart") == closes
    assert "BCI, SIPH" in str(events[0]["description"]) and "Not yet submitted: 1" in str(events[0]["description"])


def test_feed_texts_follow_the_users_language_not_the_address(app, client, auth, make, db):
    platform = make.platform(code="BCI")
    english = make.operator(platform, preferred_lang="en")
    chinese = make.reviewer()
    project = make.project(platform, title_zh="柔性电极", title_en="Flexible electrodes")
    make.milestone(project, title="Animal study", stage="S1", deliverable="Report", due_on=date(2026, 12, 20))
    cycle = make.cycle(state="open", name="2026年度评估")
    make.assignment(cycle, chinese, platform)
    make.assignment(cycle, chinese, make.platform(code="SIPH"), review_state="submitted")
    feeds = {}
    for user in (english, chinese):
        auth.login(user.email)
        url = _feed_url(client.post("/calendar/rotate", expect=200).get_data(as_text=True))
        # the other language in the address changes nothing: a calendar application fetches it without a session
        body = app.test_client().get(url.replace("http://localhost", "") + "?lang=" + ("zh" if user is english else "en"),
                                     expect=200).data
        feeds[user.id] = (Calendar.from_ical(body), _events(body))
        client.post("/logout", expect=302)
    cal, [event] = feeds[english.id]
    assert str(cal["x-wr-calname"]) == "Platform programme"
    assert str(event["summary"]) == "Milestone due: Animal study (BCI)"
    assert str(event["description"]) == "Project: Flexible electrodes\nPlatform: BCI\nStage: S1\nDeliverable: Report"
    cal, [event] = feeds[chinese.id]
    assert str(cal["x-wr-calname"]) == "概念验证平台计划"
    assert str(event["summary"]) == "评审截止：2026年度评估"
    assert str(event["description"]) == "平台：BCI、SIPH\n尚未提交：1"


def test_admin_feed_has_cycle_openings_and_closings(app, client, auth, make, db):
    make.cycle(state="draft", name="草稿周期")
    make.cycle(state="published", name="旧周期")
    admin = make.admin()
    auth.login(admin.email)
    url = _feed_url(client.post("/calendar/rotate").get_data(as_text=True)).replace("http://localhost", "")
    summaries = sorted(str(e["summary"]) for e in _events(app.test_client().get(url).data))
    assert summaries == ["评审周期开启：草稿周期", "评审周期截止：草稿周期"]


def test_an_inactive_users_feed_is_gone(app, client, auth, make, db):
    user = make.operator(make.platform())
    auth.login(user.email)
    url = _feed_url(client.post("/calendar/rotate").get_data(as_text=True)).replace("http://localhost", "")
    row = db.get(User, user.id)
    row.active = False
    db.add(row)
    db.commit()
    assert app.test_client().get(url).status_code == 404
