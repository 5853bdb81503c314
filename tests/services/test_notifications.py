"""Notifications created once, mailed through the outbox (retry with backoff, never lost, never twice),
marked read by their recipient."""
from __future__ import annotations

import smtplib
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from platform_mgr.db import new_session
from platform_mgr.errors import NotFound
from platform_mgr.jobs.tasks import run_tick
from platform_mgr.models import AuditEvent, Notification, OutboxMail, User
from platform_mgr.services import mail, notifications

UTC = timezone.utc
T0 = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


class FakeSMTP:
    """Stands in for smtplib.SMTP: no network. `down` refuses connections; `sent` keeps what went out."""

    down = False
    refuse_rcpt: set[str] = set()
    sent: list = []
    connections = 0

    def __init__(self, host, port=0, timeout=None):
        type(self).connections += 1
        if type(self).down:
            raise ConnectionRefusedError(111, "Connection refused")
        self.host, self.port = host, port

    def starttls(self):
        return (220, b"ready")

    def login(self, user, password):
        return (235, b"ok")

    def send_message(self, msg):
        if msg["To"] in type(self).refuse_rcpt:
            raise smtplib.SMTPRecipientsRefused({msg["To"]: (550, b"no such user")})
        type(self).sent.append(msg)

    def quit(self):
        pass

    def close(self):
        pass


@pytest.fixture
def smtp(monkeypatch):
    FakeSMTP.down = False
    FakeSMTP.sent = []
    FakeSMTP.refuse_rcpt = set()
    FakeSMTP.connections = 0
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    return FakeSMTP


@pytest.fixture
def mail_app(app):
    app.config.update(MAIL_SERVER="smtp.example.test", MAIL_PORT=2525, MAIL_FROM="noreply@commission.example")
    with app.app_context():
        yield app


def _notify(user_id: int, key: str, now: datetime = T0):
    with new_session() as s:
        created = notifications.create(s, recipient_id=user_id, kind="milestone_due_3d", subject_zh="里程碑提醒",
                                       subject_en="Milestone reminder", body_zh="请按时完成。",
                                       body_en="Please finish on time.", dedup_key=key, link="/projects/1", now=now)
        s.commit()
    return created


def outbox(db):
    db.expire_all()
    return db.exec(select(OutboxMail).order_by(OutboxMail.id)).all()


def test_without_mail_server_notifications_stay_in_the_app(app, make, db):
    user = make.operator()
    with app.app_context():
        assert _notify(user.id, "k1") is not None
    assert len(db.exec(select(Notification)).all()) == 1 and outbox(db) == []


def test_each_new_notification_is_queued_once_bilingual_in_the_recipients_language_first(mail_app, make, db):
    zh_user = make.operator(preferred_lang="zh_Hans_CN")
    en_user = make.operator(preferred_lang="en")
    gone = make.operator(active=False)
    assert _notify(zh_user.id, "a") and _notify(en_user.id, "b") and _notify(gone.id, "c")
    assert _notify(zh_user.id, "a") is None  # the same key again: nothing new, no second mail
    rows = outbox(db)
    assert [r.to_addr for r in rows] == [zh_user.email, en_user.email]
    assert rows[0].subject == "里程碑提醒 / Milestone reminder"
    assert rows[0].body.index("请按时完成") < rows[0].body.index("Please finish on time")
    assert rows[1].subject == "Milestone reminder / 里程碑提醒"
    assert rows[1].body.index("Please finish on time") < rows[1].body.index("请按时完成")
    assert all(r.attempts == 0 and r.sent_at is None for r in rows)


def test_smtp_down_the_mail_waits_and_goes_out_once_when_it_is_back(mail_app, make, db, smtp):
    user = make.operator()
    note = _notify(user.id, "k")
    smtp.down = True
    report = run_tick(T0, only=["mail"])
    assert report.results["mail"] == {"sent": 0, "failed": 1, "waiting": 0}
    [row] = outbox(db)
    assert row.attempts == 1 and row.sent_at is None
    assert "Connection refused" in row.last_error
    assert row.next_attempt_at == T0 + timedelta(minutes=1)

    run_tick(T0 + timedelta(seconds=30), only=["mail"])  # not due yet: no attempt
    assert outbox(db)[0].attempts == 1

    run_tick(T0 + timedelta(minutes=2), only=["mail"])  # still down: backs off further
    [row] = outbox(db)
    assert row.attempts == 2 and row.next_attempt_at == T0 + timedelta(minutes=4)

    smtp.down = False
    report = run_tick(T0 + timedelta(minutes=5), only=["mail"])
    assert report.results["mail"]["sent"] == 1
    [row] = outbox(db)
    assert row.sent_at == T0 + timedelta(minutes=5) and row.last_error == "" and row.attempts == 3
    assert len(smtp.sent) == 1
    msg = smtp.sent[0]
    assert msg["To"] == user.email and msg["From"] == "noreply@commission.example"
    assert "请按时完成" in msg.get_content() and "Please finish on time" in msg.get_content()
    db.expire_all()
    assert db.get(Notification, note.id).sent_at == T0 + timedelta(minutes=5)

    for minutes in (6, 30, 600):
        run_tick(T0 + timedelta(minutes=minutes), only=["mail"])
    assert len(smtp.sent) == 1  # sent once, never again


def test_a_dead_server_fails_the_whole_batch_without_hammering_it(mail_app, make, db, smtp):
    users = [make.operator() for _ in range(3)]
    for i, u in enumerate(users):
        _notify(u.id, f"k{i}")
    smtp.down = True
    run_tick(T0, only=["mail"])
    assert [r.attempts for r in outbox(db)] == [1, 1, 1]
    assert smtp.connections == 1
    smtp.down = False
    run_tick(T0 + timedelta(minutes=1), only=["mail"])
    assert len(smtp.sent) == 3 and smtp.connections == 2  # one connection for the batch


def test_a_refused_recipient_does_not_hold_back_the_others(mail_app, make, db, smtp):
    bad, good = make.operator(), make.operator()
    _notify(bad.id, "bad")
    _notify(good.id, "good")
    smtp.refuse_rcpt = {bad.email}
    run_tick(T0, only=["mail"])
    rows = {r.to_addr: r for r in outbox(db)}
    assert rows[bad.email].sent_at is None and "no such user" in rows[bad.email].last_error
    assert rows[good.email].sent_at is not None
    assert [m["To"] for m in smtp.sent] == [good.email]


def test_the_same_mail_cannot_be_claimed_twice(mail_app, make, db):
    _notify(make.operator().id, "k")
    [row] = outbox(db)
    with new_session() as s:
        assert mail.claim(s, row.id, T0) is not None
        s.commit()
    with new_session() as s:
        assert mail.claim(s, row.id, T0) is None  # another sender got it first (and it is not due again yet)
        s.commit()
    assert outbox(db)[0].attempts == 1


def test_mail_waits_while_mail_server_is_unset(app, make, db, smtp):
    user = make.operator()
    app.config["MAIL_SERVER"] = "smtp.example.test"
    with app.app_context():
        _notify(user.id, "k")
    app.config["MAIL_SERVER"] = ""
    with app.app_context():
        report = run_tick(T0, only=["mail"])
    assert report.results["mail"] == {"sent": 0, "failed": 0, "waiting": 1}
    assert outbox(db)[0].attempts == 0 and smtp.sent == []


def test_the_message_id_is_the_same_on_every_attempt(mail_app, make, db):
    _notify(make.operator().id, "k")
    [row] = outbox(db)
    config = mail.settings()
    assert mail.message(row, config)["Message-ID"] == mail.message(row, config)["Message-ID"]


@pytest.mark.parametrize("attempts,wait", [(0, 0), (1, 1), (2, 2), (3, 4), (6, 32), (9, 256), (10, 360), (50, 360)])
def test_backoff(attempts, wait):
    assert mail.backoff(attempts) == timedelta(minutes=wait)


def test_reminders_from_the_tick_are_mailed(mail_app, make, db, smtp):
    platform = make.platform(code="BCI")
    operator = make.operator(platform, preferred_lang="en")
    make.milestone(make.project(platform), title="Pilot batch", due_on=date(2026, 12, 12))
    report = run_tick(T0)
    assert report.results["milestone_reminders"]["created"] == 1
    assert report.results["mail"]["sent"] >= 1
    subjects = [m["Subject"] for m in smtp.sent if m["To"] == operator.email]
    assert any(s.startswith("Milestone reminder") and "里程碑提醒" in s for s in subjects)
    run_tick(T0 + timedelta(minutes=5))
    assert len([m for m in smtp.sent if "Pilot batch" in m["Subject"]]) == 1


# --- reading --------------------------------------------------------------------------------------------------

def test_mark_read_only_own_and_audited(app, make, db):
    owner, stranger = make.reviewer(), make.reviewer()
    with app.app_context():
        note = _notify(owner.id, "k")
        with new_session() as s:
            with pytest.raises(NotFound):
                notifications.mark_read(s, s.get(User, stranger.id), note.id)
            s.rollback()
        with new_session() as s:
            row = notifications.mark_read(s, s.get(User, owner.id), note.id, now=T0)
            first = row.read_at
            s.commit()
        with new_session() as s:
            assert notifications.mark_read(s, s.get(User, owner.id), note.id, now=T0 + timedelta(hours=1)).read_at == first
            s.commit()
    events = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "notification")).all()
    assert [(e.action, e.entity_id, e.actor_id) for e in events] == [("read", note.id, owner.id)]


def test_mark_all_read(app, make, db):
    owner, other = make.reviewer(), make.reviewer()
    with app.app_context():
        for i in range(3):
            _notify(owner.id, f"o{i}")
        _notify(other.id, "x")
        with new_session() as s:
            assert notifications.unread_count(s, owner.id) == 3
            assert notifications.mark_all_read(s, s.get(User, owner.id)) == 3
            s.commit()
        with new_session() as s:
            assert notifications.unread_count(s, owner.id) == 0
            assert notifications.unread_count(s, other.id) == 1
            assert notifications.mark_all_read(s, s.get(User, owner.id)) == 0
            s.commit()
    assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "read_all")).all()) == 1
