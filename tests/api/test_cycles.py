"""API of review cycles: create/edit, state changes, assignments, rubric versions, results visibility."""
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from platform_mgr.models import (
    Assignment, AuditEvent, Criterion, EligibilitySnapshot, ReviewCycle, Rubric,
)

CYCLE = {"name": "2026年度评估", "window_start": "2026-01-01", "window_end": "2026-10-31",
         "opens_at": "2026-11-01T09:00:00+08:00", "closes_at": "2026-12-01T18:00:00+08:00", "budget": 8_000_000,
         "rules": {"min_reviews": 4}}


def _error(response, status, field=None):
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    if field is not None:
        assert field in body["fields"], body
    return body


def test_admin_creates_a_draft_cycle_on_the_latest_rubric(api, make, db):
    admin = make.admin()
    response = api(admin).post("/api/v1/cycles", json=CYCLE)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] == "draft" and body["rubric_version"] == 1 and body["rules"] == {"min_reviews": 4}
    assert body["opens_at"] == "2026-11-01T01:00:00Z" and body["budget"] == 8_000_000
    assert len(db.exec(select(Criterion)).all()) == 13  # rubric v1 created on first use
    event = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "cycle")).one()
    assert event.action == "create" and event.actor_id == admin.id


@pytest.mark.parametrize("change,field", [
    ({"window_end": "2025-12-31"}, "window_end"),
    ({"closes_at": "2026-10-01T00:00:00+08:00"}, "closes_at"),
    ({"opens_at": "2026-11-01T09:00:00"}, "opens_at"),  # no time zone
    ({"budget": -1}, "budget"),
    ({"name": ""}, "name"),
    ({"rules": {"min_reviews": 0}}, "rules.min_reviews"),
    ({"rules": {"nonsense": 3}}, "rules.nonsense"),
    ({"colour": "red"}, "colour"),
])
def test_bad_cycle_input_is_422_naming_the_field_and_writes_nothing(api, make, db, change, field):
    response = api(make.admin()).post("/api/v1/cycles", json={**CYCLE, **change})
    _error(response, 422, field)
    assert db.exec(select(ReviewCycle)).all() == []


def test_only_admins_create_or_move_cycles(api, make):
    platform = make.platform()
    cycle = make.cycle()
    for user in (make.reviewer(), make.operator(platform)):
        client = api(user)
        assert client.post("/api/v1/cycles", json=CYCLE).status_code == 403
        assert client.post(f"/api/v1/cycles/{cycle.id}/open").status_code == 403
        assert client.patch(f"/api/v1/cycles/{cycle.id}", json={"version": 1, "name": "x"}).status_code == 403
        assert client.get(f"/api/v1/cycles/{cycle.id}").status_code == 200  # programme information


def test_patch_with_a_stale_version_is_409_and_changes_nothing(api, make, db):
    cycle = make.cycle()
    client = api(make.admin())
    ok = client.patch(f"/api/v1/cycles/{cycle.id}", json={"version": cycle.version, "name": "新名称"})
    assert ok.status_code == 200 and ok.get_json()["name"] == "新名称"
    stale = client.patch(f"/api/v1/cycles/{cycle.id}", json={"version": cycle.version, "name": "旧的写入"})
    _error(stale, 409, "version")
    db.refresh(cycle)
    assert cycle.name == "新名称"


def test_open_cycle_keeps_its_window_but_may_move_its_close(api, make, db):
    cycle = make.cycle(state="open", closes_at=datetime(2099, 1, 1, tzinfo=timezone.utc))
    client = api(make.admin())
    locked = client.patch(f"/api/v1/cycles/{cycle.id}", json={"version": cycle.version, "window_start": "2025-06-01"})
    assert _error(locked, 409, "window_start")["code"] == "cycle_open"
    moved = client.patch(f"/api/v1/cycles/{cycle.id}", json={"version": cycle.version,
                                                             "closes_at": "2099-02-01T00:00:00Z"})
    assert moved.status_code == 200 and moved.get_json()["closes_at"] == "2099-02-01T00:00:00Z"
    past = client.patch(f"/api/v1/cycles/{cycle.id}", json={"version": moved.get_json()["version"],
                                                            "closes_at": "2020-02-01T00:00:00Z"})
    _error(past, 422, "closes_at")
    closed = make.cycle(state="closed")
    assert _error(client.patch(f"/api/v1/cycles/{closed.id}", json={"version": 1, "name": "x"}), 409)["code"] \
        == "cycle_closed"


def test_state_moves_once_and_close_freezes_the_snapshot(api, make, db):
    cycle = make.cycle(closes_at=datetime(2099, 1, 1, tzinfo=timezone.utc))
    client = api(make.admin())
    assert _error(client.post(f"/api/v1/cycles/{cycle.id}/close"), 409)["code"] == "cycle_draft"  # not open yet
    assert _error(client.post(f"/api/v1/cycles/{cycle.id}/publish"), 409)["code"] == "cycle_draft"
    opened = client.post(f"/api/v1/cycles/{cycle.id}/open")
    assert opened.status_code == 200 and opened.get_json()["state"] == "open" and opened.get_json()["opened_at"]
    again = client.post(f"/api/v1/cycles/{cycle.id}/open")
    body = _error(again, 409)
    assert ("open" in body["message"].lower() or "开放" in body["message"]) and body["code"] == "cycle_open"
    # closing before closes_at needs a written reason (DESIGN §10): 409 reason_required, nothing moves
    refused = _error(client.post(f"/api/v1/cycles/{cycle.id}/close", json={"reason": "  "}), 409)
    assert refused["code"] == "reason_required" and "reason" in refused["fields"]
    assert _error(client.post(f"/api/v1/cycles/{cycle.id}/close"), 409)["code"] == "reason_required"
    closed = client.post(f"/api/v1/cycles/{cycle.id}/close", json={"reason": "评审已提前完成"}, expect=200).get_json()
    assert closed["state"] == "closed" and closed["close_reason"] == "评审已提前完成"
    assert db.exec(select(EligibilitySnapshot).where(EligibilitySnapshot.cycle_id == cycle.id)).first() is not None
    assert client.post(f"/api/v1/cycles/{cycle.id}/publish").get_json()["state"] == "published"
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "cycle",
                                                      AuditEvent.entity_id == cycle.id)).all()
    assert actions == ["open", "close", "publish"]


def test_manual_open_after_the_closing_time_is_refused(api, make):
    cycle = make.cycle(closes_at=datetime(2020, 1, 1, tzinfo=timezone.utc),
                       opens_at=datetime(2019, 12, 1, tzinfo=timezone.utc))
    _error(api(make.admin()).post(f"/api/v1/cycles/{cycle.id}/open"), 409, "closes_at")


# --- assignments -------------------------------------------------------------------------------

def test_host_institution_conflict_is_409_with_the_reason(api, make, db):
    platform = make.platform(host_institution="复兴大学")
    reviewer = make.reviewer(affiliation=" 复兴大学", display_name="李专家")
    cycle = make.cycle()
    response = api(make.admin()).post(f"/api/v1/cycles/{cycle.id}/assignments",
                                      json={"reviewer_id": reviewer.id, "platform_id": platform.id})
    body = _error(response, 409, "reviewer_id")
    assert "复兴大学" in body["fields"]["reviewer_id"]
    assert db.exec(select(Assignment)).all() == []


def test_assignments_are_made_by_admins_and_listed_by_role(api, make, db):
    p1, p2 = make.platform(code="AAA"), make.platform(code="BBB")
    r1, r2 = make.reviewer(), make.reviewer()
    cycle = make.cycle()
    admin = api(make.admin())
    created = admin.post(f"/api/v1/cycles/{cycle.id}/assignments", json={"reviewer_id": r1.id, "platform_id": p1.id})
    assert created.status_code == 201 and created.get_json()["platform_code"] == "AAA"
    admin.post(f"/api/v1/cycles/{cycle.id}/assignments", json={"reviewer_id": r2.id, "platform_id": p2.id}, expect=201)
    _error(admin.post(f"/api/v1/cycles/{cycle.id}/assignments", json={"reviewer_id": r1.id, "platform_id": p1.id}),
           409, "reviewer_id")
    _error(admin.post(f"/api/v1/cycles/{cycle.id}/assignments", json={"reviewer_id": 9999, "platform_id": p1.id}),
           422, "reviewer_id")
    _error(admin.post(f"/api/v1/cycles/{cycle.id}/assignments", json={"reviewer_id": r1.id}), 422, "platform_id")
    assert admin.get(f"/api/v1/cycles/{cycle.id}/assignments").get_json()["total"] == 2
    mine = api(r1).get(f"/api/v1/cycles/{cycle.id}/assignments").get_json()
    assert [a["reviewer_id"] for a in mine["items"]] == [r1.id]
    assert api(make.operator(p1)).get(f"/api/v1/cycles/{cycle.id}/assignments").status_code == 403
    assert api(r1).post(f"/api/v1/cycles/{cycle.id}/assignments",
                        json={"reviewer_id": r1.id, "platform_id": p2.id}).status_code == 403


def test_no_assignment_changes_after_close(api, make, db):
    platform, reviewer = make.platform(), make.reviewer()
    cycle = make.cycle(state="closed")
    assert _error(api(make.admin()).post(f"/api/v1/cycles/{cycle.id}/assignments",
                                         json={"reviewer_id": reviewer.id, "platform_id": platform.id}),
                  409)["code"] == "cycle_closed"


def test_removing_an_assignment_keeps_submitted_reviews(api, make, db):
    platform, reviewer = make.platform(), make.reviewer()
    cycle = make.cycle(state="open")
    pending = make.assignment(cycle, reviewer, platform)
    done = make.review(cycle, make.reviewer(), platform, 80)
    admin = api(make.admin())
    assert admin.delete(f"/api/v1/cycles/{cycle.id}/assignments/{pending.id}").status_code == 200
    assert _error(admin.delete(f"/api/v1/cycles/{cycle.id}/assignments/{done.id}"), 409)["code"] == "review_submitted"
    assert [a.id for a in db.exec(select(Assignment)).all()] == [done.id]


def test_balanced_suggestion_gives_every_platform_enough_reviewers(api, make, db):
    platforms = [make.platform(host_institution=f"院{i}") for i in range(4)]
    reviewers = [make.reviewer(affiliation=f"院{i}") for i in range(5)]  # reviewer i conflicts with platform i
    cycle = make.cycle()
    make.assignment(cycle, reviewers[4], platforms[0])
    client = api(make.admin())
    preview = client.post(f"/api/v1/cycles/{cycle.id}/assignments/balanced", json={"min_per_platform": 3})
    assert preview.status_code == 200 and not preview.get_json()["applied"]
    assert len(db.exec(select(Assignment)).all()) == 1  # a preview writes nothing
    applied = client.post(f"/api/v1/cycles/{cycle.id}/assignments/balanced",
                          json={"min_per_platform": 3, "apply": True})
    assert applied.status_code == 201
    body = applied.get_json()
    assert body["shortfall"] == {}
    rows = db.exec(select(Assignment)).all()
    per_platform = {p.id: 0 for p in platforms}
    load = {r.id: 0 for r in reviewers}
    for a in rows:
        per_platform[a.platform_id] += 1
        load[a.reviewer_id] += 1
        reviewer = next(r for r in reviewers if r.id == a.reviewer_id)
        platform = next(p for p in platforms if p.id == a.platform_id)
        assert reviewer.affiliation != platform.host_institution
    assert all(n == 3 for n in per_platform.values())
    assert max(load.values()) - min(load.values()) <= 1
    _error(client.post(f"/api/v1/cycles/{cycle.id}/assignments/balanced", json={"min_per_platform": 0}), 422,
           "min_per_platform")


# --- rubric versions ------------------------------------------------------------------------------

def test_a_new_rubric_moves_draft_cycles_but_not_opened_ones(api, make, db):
    draft = make.cycle()
    opened = make.cycle(state="open")
    client = api(make.admin())
    criteria = [{"code": "Q1", "dimension": "verification", "max_points": 40, "name_zh": "能力", "name_en": "Capability"},
                {"code": "Q2", "dimension": "service", "max_points": 35.5, "name_zh": "成效", "name_en": "Results"},
                {"code": "Q3", "dimension": "operating", "max_points": 24.5, "name_zh": "运营", "name_en": "Operations"}]
    response = client.post("/api/v1/rubrics", json={"name": "2027", "criteria": criteria})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == 2 and [c["max_points"] for c in body["criteria"]] == [40.0, 35.5, 24.5]
    db.refresh(draft)
    db.refresh(opened)
    assert draft.rubric_id == body["id"]
    assert opened.rubric_id != body["id"]
    # opening a draft freezes the version it has at that moment
    client.post(f"/api/v1/cycles/{draft.id}/open", expect=200)
    client.post("/api/v1/rubrics", json={"name": "2028", "criteria": criteria}, expect=201)
    db.refresh(draft)
    assert draft.rubric_id == body["id"]
    listing = client.get("/api/v1/rubrics").get_json()
    assert [r["version"] for r in listing["items"]] == [3, 2, 1]


@pytest.mark.parametrize("criterion,field", [
    ({"code": "bad code"}, "criteria.0.code"),
    ({"max_points": 7.55}, "criteria.0.max_points"),
    ({"dimension": "charm"}, "criteria.0.dimension"),
])
def test_bad_rubric_is_422_naming_the_criterion_field(api, make, db, criterion, field):
    make.rubric()
    base = {"code": "Q1", "dimension": "service", "max_points": 10, "name_zh": "甲", "name_en": "A"}
    response = api(make.admin()).post("/api/v1/rubrics", json={"criteria": [{**base, **criterion}]})
    _error(response, 422, field)
    assert [r.version for r in db.exec(select(Rubric)).all()] == [1]


def test_openapi_documents_the_cycle_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in ("/api/v1/cycles", "/api/v1/cycles/{cycle_id}", "/api/v1/cycles/{cycle_id}/open",
                 "/api/v1/cycles/{cycle_id}/assignments", "/api/v1/cycles/{cycle_id}/results",
                 "/api/v1/cycles/{cycle_id}/reviews/{platform_id}"):
        assert path in paths
    assert "put" in paths["/api/v1/cycles/{cycle_id}/reviews/{platform_id}"]
