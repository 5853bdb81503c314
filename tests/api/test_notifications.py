"""GET /api/v1/notifications (the caller's own, paginated) and marking them read."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import select

from platform_mgr.models import AuditEvent, Notification

UTC = timezone.utc


def note(db, user, key, *, read=False, hours=0):
    row = Notification(recipient_id=user.id, kind="review_due_7d", subject_zh=f"评审提醒{key}",
                       subject_en=f"Review reminder {key}", body_zh="请提交评审。", body_en="Please submit.",
                       dedup_key=key, link="/notifications/",
                       created_at=datetime(2026, 11, 25, tzinfo=UTC) + timedelta(hours=hours),
                       read_at=datetime(2026, 11, 26, tzinfo=UTC) if read else None)
    db.add(row)
    db.commit()
    return row


def test_the_caller_sees_only_their_own_newest_first(api, make, db):
    user = make.reviewer()
    for i in range(5):
        note(db, user, f"k{i}", hours=i, read=i == 0)
    note(db, make.reviewer(), "other")
    body = api(user).get("/api/v1/notifications?per_page=2").get_json()
    assert body["total"] == 5 and body["page"] == 1 and body["per_page"] == 2
    assert [n["subject_en"] for n in body["items"]] == \
        ["Review reminder k4", "Review reminder k3"]
    item = body["items"][0]
    assert item["subject"] == "评审提醒k4" and item["body"] == "请提交评审。"  # the default language
    assert item["created_at"] == "2026-11-25T04:00:00Z" and item["read"] is False and item["read_at"] is None
    page3 = api(user).get("/api/v1/notifications?per_page=2&page=3").get_json()
    assert [n["subject_en"] for n in page3["items"]] == ["Review reminder k0"] and page3["items"][0]["read"]


def test_unread_filter_and_language(api, make, db):
    user = make.operator(preferred_lang="en")
    note(db, user, "a", read=True)
    note(db, user, "b")
    body = api(user).get("/api/v1/notifications?unread=true").get_json()
    assert body["total"] == 1 and body["items"][0]["subject"] == "Review reminder b"


def test_bad_query_is_422_naming_the_field(api, make, db):
    client = api(make.reviewer())
    response = client.get("/api/v1/notifications?per_page=0")
    assert response.status_code == 422 and "per_page" in response.get_json()["error"]["fields"]
    response = client.get("/api/v1/notifications?unread=maybe")
    assert response.status_code == 422 and "unread" in response.get_json()["error"]["fields"]


def test_without_a_token_401(api):
    response = api(None).get("/api/v1/notifications")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


def test_mark_read_own_only(api, make, db):
    owner, stranger = make.reviewer(), make.admin()
    row = note(db, owner, "a")
    response = api(stranger).post(f"/api/v1/notifications/{row.id}/read")
    assert response.status_code == 404  # even an admin cannot read someone else's
    db.expire_all()
    assert db.get(Notification, row.id).read_at is None
    response = api(owner).post(f"/api/v1/notifications/{row.id}/read")
    assert response.status_code == 200 and response.get_json()["read"] is True
    assert api(owner).post(f"/api/v1/notifications/{row.id}/read").status_code == 200  # again: no change
    events = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "notification")).all()
    assert [(e.action, e.actor_id) for e in events] == [("read", owner.id)]


def test_mark_all_read(api, make, db):
    owner, other = make.reviewer(), make.reviewer()
    note(db, owner, "a")
    note(db, owner, "b")
    note(db, other, "c")
    response = api(owner).post("/api/v1/notifications/read-all")
    assert response.status_code == 200 and response.get_json() == {"marked": 2, "unread": 0}
    assert api(other).get("/api/v1/notifications?unread=true").get_json()["total"] == 1


def test_documented_in_openapi(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "get" in spec["paths"]["/api/v1/notifications"]
    assert "post" in spec["paths"]["/api/v1/notifications/{notification_id}/read"]
