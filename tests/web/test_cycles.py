"""Admin pages of review cycles: forms, state buttons, assignments, results, rubric versions."""
from datetime import datetime, timezone

from sqlmodel import select

from platform_mgr.models import Assignment, AuditEvent, ReviewCycle, Rubric

FORM = {"name": "2026年度评估", "window_start": "2026-01-01", "window_end": "2026-10-31",
        "opens_at": "2026-11-01T09:00", "closes_at": "2026-12-01T18:00", "budget": "8000000", "rule_min_reviews": "4"}


def test_admin_creates_a_cycle_in_beijing_time(client, auth, make, db):
    admin = make.admin()
    auth.login(admin.email)
    response = client.post("/cycles/new", data=FORM)
    assert response.status_code == 302
    cycle = db.exec(select(ReviewCycle)).one()
    assert cycle.opens_at == datetime(2026, 11, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in Beijing
    assert cycle.rules == {"min_reviews": 4} and cycle.state == "draft"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "2026年度评估" in page.get_data(as_text=True)


def test_bad_cycle_form_shows_the_field_error_and_writes_nothing(client, auth, make, db):
    auth.login(make.admin().email)
    response = client.post("/cycles/new?lang=en", data={**FORM, "window_end": "2025-01-01", "rule_dispute_spread": "500"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422  # shown again with the errors, as every refused form is
    assert "The window must end on or after its start." in text or "Dispute spread" in text
    assert db.exec(select(ReviewCycle)).all() == []
    response = client.post("/cycles/new?lang=en", data={**FORM, "rule_dispute_spread": "500"})
    assert response.status_code == 422
    assert "Dispute spread (points) must be between 0 and 100" in response.get_data(as_text=True)
    assert db.exec(select(ReviewCycle)).all() == []


def test_cycle_pages_are_for_admins(client, auth, make):
    cycle = make.cycle()
    assert client.get("/cycles/new").status_code == 302  # anonymous → sign in
    auth.login(make.reviewer().email)
    assert client.get("/cycles/new").status_code == 403
    assert client.get(f"/cycles/{cycle.id}/assignments").status_code == 403
    assert client.post(f"/cycles/{cycle.id}/open").status_code == 403
    assert client.get(f"/cycles/{cycle.id}/results").status_code == 403
    assert client.get(f"/cycles/{cycle.id}").status_code == 200


def test_state_buttons_move_the_cycle_and_refuse_twice(client, auth, make, db):
    cycle = make.cycle(closes_at=datetime(2099, 1, 1, tzinfo=timezone.utc))
    auth.login(make.admin().email)
    page = client.get(f"/cycles/{cycle.id}?lang=en").get_data(as_text=True)
    assert "Open scoring" in page
    client.post(f"/cycles/{cycle.id}/open", expect=302)
    db.refresh(cycle)
    assert cycle.state == "open"
    again = client.post(f"/cycles/{cycle.id}/open?lang=en", follow_redirects=True)
    assert "it cannot be opened" in again.get_data(as_text=True)
    client.post(f"/cycles/{cycle.id}/close", data={"reason": "评审已提前完成"}, expect=302)
    client.post(f"/cycles/{cycle.id}/publish", expect=302)
    db.refresh(cycle)
    assert cycle.state == "published"
    assert db.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "cycle")).all() == \
        ["open", "close", "publish"]


def test_editing_an_open_cycle_keeps_its_window(client, auth, make, db):
    cycle = make.cycle(state="open", closes_at=datetime(2099, 1, 1, tzinfo=timezone.utc))
    auth.login(make.admin().email)
    page = client.get(f"/cycles/{cycle.id}/edit").get_data(as_text=True)
    assert 'id="window_start"' in page and "disabled" in page
    response = client.post(f"/cycles/{cycle.id}/edit", data={"name": "改名", "closes_at": "2099-02-01T08:00",
                                                            "budget": "1", "version": str(cycle.version),
                                                            "window_start": "2020-01-01"})
    assert response.status_code == 302
    db.refresh(cycle)
    assert cycle.name == "改名" and cycle.window_start.isoformat() == "2026-01-01"
    assert cycle.closes_at == datetime(2099, 2, 1, 0, 0, tzinfo=timezone.utc)
    stale = client.post(f"/cycles/{cycle.id}/edit", data={"name": "旧", "closes_at": "2099-02-01T08:00",
                                                         "budget": "1", "version": "1"})
    assert stale.status_code == 409  # a stale version (DESIGN §7)
    db.refresh(cycle)
    assert cycle.name == "改名"


def test_assigning_across_a_conflict_shows_the_reason(client, auth, make, db):
    platform = make.platform(code="BCI", host_institution="华东脑机智能研究院")
    reviewer = make.reviewer(affiliation="华东脑机智能研究院", display_name="张专家")
    cycle = make.cycle()
    auth.login(make.admin().email)
    response = client.post(f"/cycles/{cycle.id}/assignments?lang=en",
                           data={"reviewer_id": reviewer.id, "platform_id": platform.id})
    assert response.status_code == 409
    assert "the platform&#39;s host institution" in response.get_data(as_text=True)
    assert db.exec(select(Assignment)).all() == []
    fine = make.reviewer(affiliation="别处")
    assert client.post(f"/cycles/{cycle.id}/assignments",
                       data={"reviewer_id": fine.id, "platform_id": platform.id}).status_code == 302
    assert len(db.exec(select(Assignment)).all()) == 1


def test_balanced_suggestion_previews_then_applies(client, auth, make, db):
    platforms = [make.platform(code=f"Q{i}") for i in range(3)]
    for _i in range(4):
        make.reviewer()
    cycle = make.cycle()
    auth.login(make.admin().email)
    preview = client.post(f"/cycles/{cycle.id}/assignments/balanced?lang=en",
                          data={"min_per_platform": "2", "preview": "1"})
    assert preview.status_code == 200 and "6 new assignments would be made" in preview.get_data(as_text=True)
    assert db.exec(select(Assignment)).all() == []
    client.post(f"/cycles/{cycle.id}/assignments/balanced", data={"min_per_platform": "2", "apply": "1"}, expect=302)
    rows = db.exec(select(Assignment)).all()
    assert len(rows) == 6 and {a.platform_id for a in rows} == {p.id for p in platforms}


def test_results_page_shows_figures_breakdown_and_reviewer_statistics(client, auth, make, db):
    platform = make.platform(code="BCI")
    reviewers = [make.reviewer(display_name=f"专家{i}") for i in range(3)]
    cycle = make.cycle(state="closed")
    for r, pct in zip(reviewers, (90, 80, 40)):
        make.review(cycle, r, platform, pct)
    auth.login(make.admin().email)
    page = client.get(f"/cycles/{cycle.id}/results?lang=en").get_data(as_text=True)
    assert "70.00" in page and "Disputed" in page and "Per-reviewer breakdown (3)" in page
    assert "Reviewer statistics" in page and "专家2" in page
    zh = client.get(f"/cycles/{cycle.id}/results?lang=zh").get_data(as_text=True)
    assert "评审专家统计" in zh or "争议" in zh
    auth.logout()
    auth.login(reviewers[0].email)
    assert client.get(f"/cycles/{cycle.id}/results").status_code == 403
    cycle.state = "published"
    db.add(cycle)
    db.commit()
    public = client.get(f"/cycles/{cycle.id}/results?lang=en").get_data(as_text=True)
    assert "70.00" in public and "Per-reviewer breakdown" not in public and "专家2" not in public


def test_new_rubric_version_from_the_form(client, auth, make, db):
    make.rubric()
    draft = make.cycle()
    auth.login(make.admin().email)
    page = client.get("/cycles/rubrics/new").get_data(as_text=True)
    assert 'value="VC1"' in page
    data = {"name": "v2"}
    for i, (code, dim, mx) in enumerate([("A1", "verification", "40"), ("B1", "service", "60")]):
        data.update({f"criteria-{i}-code": code, f"criteria-{i}-dimension": dim, f"criteria-{i}-max_points": mx,
                     f"criteria-{i}-name_zh": f"指标{i}", f"criteria-{i}-name_en": f"Criterion {i}"})
    data.update({"criteria-2-code": "", "criteria-2-dimension": "service"})  # a blank row is left out
    response = client.post("/cycles/rubrics/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    latest = db.exec(select(Rubric).order_by(Rubric.version.desc())).first()
    assert latest.version == 2
    db.refresh(draft)
    assert draft.rubric_id == latest.id
    bad = client.post("/cycles/rubrics/new?lang=en", data={**data, "criteria-1-code": "A1"})
    assert bad.status_code == 422
    assert "This code is used twice." in bad.get_data(as_text=True)
    assert len(db.exec(select(Rubric)).all()) == 2
