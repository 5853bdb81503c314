"""Bulk notification inserts (one cached statement, many parameter sets): a key that exists is skipped and
only the rows actually inserted are reported, on SQLite and PostgreSQL."""
from sqlmodel import select

from platform_mgr.models import Notification
from platform_mgr.services import notifications


def _item(user, key):
    return dict(recipient_id=user.id, kind="milestone_due", subject_zh=f"提醒 {key}", subject_en=f"Reminder {key}",
                dedup_key=key)


def test_existing_keys_are_skipped_and_not_reported(db, make):
    user = make.operator(make.platform())
    notifications.create_many(db, [_item(user, "k-1")], send_mail=False)
    db.commit()
    # prechecked: the caller claims the keys are new; the insert itself must still skip "k-1"
    items = [_item(user, f"k-{i}") for i in range(450)]
    created = notifications.create_many(db, items, send_mail=False, prechecked=True)
    db.commit()
    assert len(created) == 449
    assert "k-1" not in {c.dedup_key for c in created}
    assert sorted(c.id for c in created) == [c.id for c in created]
    rows = db.exec(select(Notification).where(Notification.recipient_id == user.id)).all()
    assert len(rows) == 450 and len({r.dedup_key for r in rows}) == 450
    by_key = {r.dedup_key: r.id for r in rows}
    assert all(by_key[c.dedup_key] == c.id for c in created)
