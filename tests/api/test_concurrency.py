"""A write that loses a race at flush time (StaleDataError: another worker changed the row between our
read and our UPDATE) answers 409 in the API's error format and writes nothing — never a 500.

The race is staged inside the request: the row's version is bumped behind the ORM's back just before the
service writes, exactly what a concurrent worker does (bench/load.py shows it under real load).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import text
from sqlmodel import func, select

from platform_mgr.api import projects as api_projects
from platform_mgr.api import reviews as api_reviews
from platform_mgr.models import Assignment, AuditEvent, Milestone


def _audit_count(db):
    return db.exec(select(func.count()).select_from(AuditEvent)).one()


def test_milestone_race_lost_at_flush_is_409(api, make, db, monkeypatch):
    platform = make.platform()
    operator = make.operator(platform)
    milestone = make.milestone(make.project(platform), title="原标题")
    original = api_projects.milestone_svc.update_milestone

    def racing(session, *args, **kwargs):
        session.execute(text("UPDATE milestone SET version = version + 1 WHERE id = :id"), {"id": milestone.id})
        return original(session, *args, **kwargs)

    monkeypatch.setattr(api_projects.milestone_svc, "update_milestone", racing)
    client = api(operator)
    before = _audit_count(db)
    response = client.patch(f"/api/v1/milestones/{milestone.id}", json={"version": 1, "title": "新标题"})
    assert response.status_code == 409, response.get_data(as_text=True)[:500]
    assert response.get_json()["error"]["code"] == "conflict"
    db.expire_all()
    assert db.get(Milestone, milestone.id).title == "原标题"
    assert _audit_count(db) == before


def test_review_race_lost_at_flush_is_409(api, make, db, monkeypatch):
    platform = make.platform()
    reviewer = make.reviewer()
    cycle = make.cycle(state="open", opened_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    assignment = make.assignment(cycle, reviewer, platform)
    original = api_reviews.svc.save_review

    def racing(session, *args, **kwargs):
        session.execute(text("UPDATE assignment SET version = version + 1 WHERE id = :id"), {"id": assignment.id})
        return original(session, *args, **kwargs)

    monkeypatch.setattr(api_reviews.svc, "save_review", racing)
    client = api(reviewer)
    before = _audit_count(db)
    response = client.put(f"/api/v1/cycles/{cycle.id}/reviews/{platform.id}",
                                 json={"comment": "竞争写入", "version": 1})
    assert response.status_code == 409, response.get_data(as_text=True)[:500]
    assert response.get_json()["error"]["code"] == "conflict"
    db.expire_all()
    assert db.get(Assignment, assignment.id).comment == ""
    assert _audit_count(db) == before


def test_web_form_race_lost_at_flush_is_a_409_page(client, auth, make, db, monkeypatch):
    from platform_mgr.web.projects import routes as web_projects

    platform = make.platform()
    operator = make.operator(platform)
    milestone = make.milestone(make.project(platform), title="原标题")
    svc = web_projects.milestone_svc
    original = svc.update_milestone

    def racing(session, *args, **kwargs):
        session.execute(text("UPDATE milestone SET version = version + 1 WHERE id = :id"), {"id": milestone.id})
        return original(session, *args, **kwargs)

    monkeypatch.setattr(svc, "update_milestone", racing)
    auth.login(operator.email)
    response = client.post(f"/projects/milestones/{milestone.id}?lang=en",
                           data={"title": "新标题", "stage": milestone.stage, "due_on": milestone.due_on.isoformat(),
                                 "status": "in_progress", "version": "1"})
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Milestone, milestone.id).title == "原标题"
