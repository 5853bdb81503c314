"""The closing guard (DESIGN §10, issue 15): closing a cycle by hand before its closing time, or while an assigned
platform has fewer counted reviews than R1 requires, shows what is missing and needs a written reason — on the
cycle page and through `POST /api/v1/cycles/{id}/close` (409 `reason_required`). The reason is stored on the
cycle, shown on its page and kept in the audit event with what was missing. The scheduler closes on time."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import select

from platform_mgr.models import AuditEvent, ReviewCycle
from platform_mgr.services import cycles as svc

AFTER_CLOSE = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)  # the factory cycle closes 2026-12-01


def _world(make):
    """An open cycle, 15 days before it closes: AAA has 3 counted reviews, BBB 1 counted + 1 conflicted + 1 draft."""
    cycle = make.cycle(state="open")
    aaa, bbb = make.platform(code="AAA"), make.platform(code="BBB")
    for _ in range(3):
        make.review(cycle, make.reviewer(), aaa, 80)
    make.review(cycle, make.reviewer(), bbb, 70)
    make.review(cycle, make.reviewer(), bbb, 20, conflict=True)
    make.review(cycle, make.reviewer(display_name="迟交专家"), bbb, 60, submitted=False)
    return cycle, aaa, bbb


def _close_event(db, cycle):
    return db.exec(select(AuditEvent).where(AuditEvent.entity_type == "cycle", AuditEvent.entity_id == cycle.id,
                                            AuditEvent.action == "close")).one()


def test_the_guard_names_what_is_missing(app, db, make):
    cycle, _aaa, bbb = _world(make)
    guard = svc.closing_guard(db, cycle, now=datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc))
    assert guard.applies and guard.early and guard.required == 3
    assert [(x.code, x.counted, x.required, x.unsubmitted) for x in guard.short] == [("BBB", 1, 3, ("迟交专家",))]
    after = svc.closing_guard(db, cycle, now=AFTER_CLOSE)
    assert not after.early and after.applies  # on time, but BBB is still short


def test_on_time_with_every_review_in_needs_no_reason(app, db, make, api):
    cycle = make.cycle(state="open")
    platform = make.platform(code="AAA")
    for _ in range(3):
        make.review(cycle, make.reviewer(), platform, 80)
    assert not svc.closing_guard(db, cycle, now=AFTER_CLOSE).applies
    svc.close_cycle(db, make.admin(), cycle, now=AFTER_CLOSE, by_hand=True)
    db.commit()
    assert cycle.state == "closed" and cycle.close_reason == ""


def test_api_close_without_a_reason_is_409_then_with_one_it_closes_and_audits(app, db, make, api):
    cycle, _aaa, bbb = _world(make)
    admin = api(make.admin())
    refused = admin.post(f"/api/v1/cycles/{cycle.id}/close", json={}, expect=409).get_json()["error"]
    assert refused["code"] == "reason_required" and "reason" in refused["fields"]
    db.expire_all()
    assert db.get(ReviewCycle, cycle.id).state == "open"
    body = admin.post(f"/api/v1/cycles/{cycle.id}/close", json={"reason": "专家组已当面评议，提前结束"},
                      expect=200).get_json()
    assert body["state"] == "closed" and body["close_reason"] == "专家组已当面评议，提前结束"
    event = _close_event(db, cycle)
    assert event.after["close_reason"] == "专家组已当面评议，提前结束"
    assert event.after["closing_guard"]["early"] is True
    assert event.after["closing_guard"]["short"] == [
        {"platform_id": bbb.id, "code": "BBB", "counted": 1, "required": 3, "unsubmitted": ["迟交专家"]}]
    # unknown fields are refused like everywhere else
    other = make.cycle(state="open")
    admin.post(f"/api/v1/cycles/{other.id}/close", json={"why": "x"}, expect=422)


def test_the_cycle_page_shows_what_is_missing_and_refuses_a_close_without_a_reason(app, db, make, client, auth):
    cycle, *_ = _world(make)
    auth.login(make.admin().email)
    page = client.get(f"/cycles/{cycle.id}?lang=en", expect=200).get_data(as_text=True)
    assert 'id="closing-guard"' in page and "closing now is early" in page
    assert "BBB has 1 counted review(s) of the 3 R1 requires." in page and "迟交专家" in page
    refused = client.post(f"/cycles/{cycle.id}/close?lang=en", data={"reason": ""}, expect=409).get_data(as_text=True)
    assert "give a written reason" in refused and 'id="closing-guard"' in refused
    db.expire_all()
    assert db.get(ReviewCycle, cycle.id).state == "open"
    client.post(f"/cycles/{cycle.id}/close", data={"reason": "评审专家已全部到会评议"}, expect=302)
    db.expire_all()
    closed = db.get(ReviewCycle, cycle.id)
    assert closed.state == "closed" and closed.close_reason == "评审专家已全部到会评议"
    page = client.get(f"/cycles/{cycle.id}", expect=200).get_data(as_text=True)
    assert 'id="close-reason"' in page and "评审专家已全部到会评议" in page
    assert _close_event(db, cycle).after["close_reason"] == "评审专家已全部到会评议"


def test_the_scheduler_closes_on_time_without_a_reason(app, db, make):
    cycle, *_ = _world(make)
    svc.close_cycle(db, None, cycle, now=AFTER_CLOSE)
    db.commit()
    assert cycle.state == "closed" and cycle.close_reason == ""
