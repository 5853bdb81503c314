"""Delisting review (DESIGN §4, issue 15): two consecutive Fails mark the platform at the close of the second
cycle — `delisting_review: true` on `GET /api/v1/platforms/{id}` and on the second cycle's eligibility row, a
badge on the platform pages, a notification to each admin — until an admin resolves it: delist, or clear with a
reason (audited)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import select

from platform_mgr.models import AuditEvent, Notification, Platform
from platform_mgr.services import cycles as svc

FIRST_CLOSE = datetime(2025, 12, 2, 2, 0, tzinfo=timezone.utc)
SECOND_CLOSE = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)


def _cycle(make, year, **kw):
    return make.cycle(state="open", name=f"{year} 年度评估", window_start=datetime(year, 1, 1).date(),
                      window_end=datetime(year, 10, 31).date(), opens_at=datetime(year, 11, 1, tzinfo=timezone.utc),
                      closes_at=datetime(year, 12, 1, tzinfo=timezone.utc), **kw)


def _two_cycles(make, db, first_pct, second_pct, app=None):
    """FAIL scored first_pct then second_pct by three reviewers; PASS scores 80 both times."""
    fail, good = make.platform(code="FAIL"), make.platform(code="PASS")
    reviewers = [make.reviewer() for _ in range(3)]
    first, second = _cycle(make, 2025), _cycle(make, 2026)
    for cycle, pct in ((first, first_pct), (second, second_pct)):
        for r in reviewers:
            make.review(cycle, r, fail, pct)
            make.review(cycle, r, good, 80)
    with app.app_context():  # the scheduler's close: notifications render their texts
        svc.close_cycle(db, None, first, now=FIRST_CLOSE)
        db.commit()
        svc.close_cycle(db, None, second, now=SECOND_CLOSE)
        db.commit()
    return fail, good, first, second


def test_two_consecutive_fails_mark_the_platform_and_notify_the_admins(app, db, make, api):
    admins = [make.admin(), make.admin()]
    fail, good, first, second = _two_cycles(make, db, 50, 40, app)
    db.refresh(fail)
    assert fail.delisting_review is True and fail.delisting_review_cycle_id == second.id
    client = api(admins[0])
    assert client.get(f"/api/v1/platforms/{fail.id}", expect=200).get_json()["delisting_review"] is True
    assert client.get(f"/api/v1/platforms/{good.id}", expect=200).get_json()["delisting_review"] is False
    rows = {r["code"]: r for r in client.get(f"/api/v1/cycles/{second.id}/eligibility", expect=200).get_json()["items"]}
    assert rows["FAIL"]["delisting_review"] is True and rows["PASS"]["delisting_review"] is False
    earlier = client.get(f"/api/v1/cycles/{first.id}/eligibility", expect=200).get_json()["items"]
    assert not any(r["delisting_review"] for r in earlier)
    sent = db.exec(select(Notification).where(Notification.kind == "delisting_review")).all()
    assert sorted(n.recipient_id for n in sent) == sorted(a.id for a in admins)
    assert "FAIL" in sent[0].subject_zh and "FAIL" in sent[0].subject_en
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "delisting_review_mark")).one()
    assert event.entity_id == fail.id and event.after["previous_cycle_id"] == first.id


def test_one_fail_or_a_fail_after_a_pass_marks_nothing(app, db, make):
    fail, *_ = _two_cycles(make, db, 80, 40, app)
    db.refresh(fail)
    assert fail.delisting_review is False
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "delisting_review_mark")).first() is None


def test_an_admin_clears_the_mark_with_a_reason(app, db, make, api, client, auth):
    admin = make.admin()
    fail, _good, _first, second = _two_cycles(make, db, 50, 40, app)
    auth.login(admin.email)
    page = client.get(f"/admin/platforms/{fail.id}?lang=en", expect=200).get_data(as_text=True)
    assert 'id="delisting-review"' in page and 'data-mark="delisting-review"' in page
    assert 'data-mark="delisting-review"' in client.get(f"/platforms/{fail.id}", expect=200).get_data(as_text=True)
    # shown where §4 lists: the programme dashboard and the second cycle's eligibility row
    assert 'data-mark="delisting-review"' in client.get("/dashboards/programme", expect=200).get_data(as_text=True)
    assert 'data-mark="delisting-review"' in client.get(f"/eligibility/cycles/{second.id}",
                                                        expect=200).get_data(as_text=True)
    client.post(f"/admin/platforms/{fail.id}/delisting-review/clear", data={"reason": ""}, expect=422)
    client.post(f"/admin/platforms/{fail.id}/delisting-review/clear", data={"reason": "整改计划已获批准"}, expect=302)
    db.expire_all()
    platform = db.get(Platform, fail.id)
    assert platform.delisting_review is False and platform.status == "active"
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "delisting_review_resolve")).one()
    assert event.after["decision"] == "clear" and event.after["reason"] == "整改计划已获批准"
    rows = {r["code"]: r for r in api(admin).get(f"/api/v1/cycles/{second.id}/eligibility",
                                                 expect=200).get_json()["items"]}
    assert rows["FAIL"]["delisting_review"] is False
    # nothing left to resolve: 409 naming the state
    body = api(admin).post(f"/api/v1/platforms/{fail.id}/delisting-review",
                           json={"decision": "clear", "reason": "再次"}, expect=409).get_json()
    assert body["error"]["code"] == "no_delisting_review"


def test_an_admin_delists_through_the_api(app, db, make, api):
    admin = make.admin()
    fail, *_ = _two_cycles(make, db, 50, 40, app)
    client = api(admin)
    client.post(f"/api/v1/platforms/{fail.id}/delisting-review", json={"decision": "delist"}, expect=422)
    api(make.reviewer()).post(f"/api/v1/platforms/{fail.id}/delisting-review",
                              json={"decision": "delist", "reason": "x"}, expect=403)
    body = client.post(f"/api/v1/platforms/{fail.id}/delisting-review",
                       json={"decision": "delist", "reason": "连续两年不合格，经研究予以摘牌"}, expect=200).get_json()
    assert body["status"] == "delisted" and body["delisting_review"] is False
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.entity_type == "platform",
                                                                 AuditEvent.entity_id == fail.id)
                                         .order_by(AuditEvent.id)).all()]
    assert actions[-3:] == ["delisting_review_mark", "delist", "delisting_review_resolve"]
