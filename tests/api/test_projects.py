"""The project, milestone, evidence, gate-review and outcome API (DESIGN §7), end to end."""
import io
from datetime import date, timedelta

import pytest
from sqlmodel import select

from platform_mgr.i18n import shanghai_today
from platform_mgr.models import AuditEvent, EvidenceFile, GateReview, GateTemplateItem, Milestone, Outcome, Project

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _fields(response):
    return response.get_json()["error"]["fields"]


@pytest.fixture
def world(make):
    platform = make.platform(code="BCI")
    other = make.platform(code="SIPH")
    operator = make.operator(platform)
    gatekeeper = make.reviewer(gatekeeper_of=[platform])
    admin = make.admin()
    return dict(platform=platform, other=other, operator=operator, gatekeeper=gatekeeper, admin=admin,
                other_op=make.operator(other))


def _create(client, platform, **kw):
    body = {"title_zh": "柔性脑机接口电极", "lead": "王工", "budget": 1_000_000, "trl_entry": 2, **kw}
    return client.post(f"/api/v1/platforms/{platform.id}/projects", json=body)


def test_operator_registers_a_project_on_its_platform_only(api, world, db):
    op = api(world["operator"])
    response = _create(op, world["platform"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["stage"] == "S0" and body["status"] == "active" and body["trl_current"] == 2 and body["version"] == 1
    # the S0 template (built-in defaults on an unseeded database) became must-meet milestones
    ms = db.exec(select(Milestone).where(Milestone.project_id == body["id"])).all()
    assert len(ms) == 2 and all(m.is_gate_criterion and m.stage == "S0" for m in ms)
    assert all(m.due_on == shanghai_today() + timedelta(days=90) for m in ms)
    # nowhere else
    response = _create(op, world["other"])
    assert response.status_code == 403
    assert db.exec(select(Project).where(Project.platform_id == world["other"].id)).first() is None


def test_platform_template_rows_replace_the_defaults(api, world, db):
    db.add(GateTemplateItem(platform_id=None, stage="S0", position=0, title_zh="默认项", due_days=30))
    db.add(GateTemplateItem(platform_id=world["platform"].id, stage="S0", position=0, title_zh="本平台项",
                            due_days=10))
    db.commit()
    body = _create(api(world["operator"]), world["platform"]).get_json()
    titles = [m.title for m in db.exec(select(Milestone).where(Milestone.project_id == body["id"])).all()]
    assert titles == ["本平台项"]
    body = _create(api(world["admin"]), world["other"]).get_json()
    titles = [m.title for m in db.exec(select(Milestone).where(Milestone.project_id == body["id"])).all()]
    assert titles == ["默认项"]


@pytest.mark.parametrize("body,field", [
    ({"title_zh": "  "}, "title_zh"),
    ({"lead": ""}, "lead"),
    ({"budget": -1}, "budget"),
    ({"stage": "S9"}, "stage"),
    ({"selection_mode": "lottery"}, "selection_mode"),
    ({"trl_entry": 10}, "trl_entry"),
    ({"started_on": "2026-02-30"}, "started_on"),
    ({"colour": "red"}, "colour"),
])
def test_bad_project_input_is_422_naming_the_field(api, world, db, body, field):
    response = _create(api(world["operator"]), world["platform"], **body)
    assert response.status_code == 422
    assert field in _fields(response)
    assert db.exec(select(Project)).first() is None


def test_patch_with_stale_version_is_409_and_changes_nothing(api, world, make, db):
    project = make.project(world["platform"], title_zh="旧标题")
    op = api(world["operator"])
    response = op.patch(f"/api/v1/projects/{project.id}", json={"version": 1, "title_zh": "新标题"})
    assert response.status_code == 200 and response.get_json()["version"] == 2
    response = op.patch(f"/api/v1/projects/{project.id}", json={"version": 1, "title_zh": "再改"})
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Project, project.id).title_zh == "新标题"
    response = op.patch(f"/api/v1/projects/{project.id}", json={"title_zh": "缺版本"})
    assert response.status_code == 422 and "version" in _fields(response)
    response = op.patch(f"/api/v1/projects/{project.id}", json={"version": 2, "stage": "S3"})
    assert response.status_code == 422 and "stage" in _fields(response)


def test_milestone_plan_complete_and_stale_version(api, world, make, db):
    project = make.project(world["platform"])
    op = api(world["operator"])
    response = op.post(f"/api/v1/projects/{project.id}/milestones",
                       json={"title": "动物实验", "due_on": "2025-12-01", "is_gate_criterion": True})
    assert response.status_code == 201, response.get_json()
    m = response.get_json()
    assert m["stage"] == "S0" and m["overdue"] is True and m["days_overdue"] > 0  # past due dates are allowed
    today = shanghai_today()
    body = {"version": m["version"], "status": "done", "completed_on": today.isoformat(), "trl_claimed": 3}
    # a must-meet milestone is done only with evidence (DESIGN §3): 409 evidence_required, nothing changed
    refused = op.patch(f"/api/v1/milestones/{m['id']}", json=body, expect=409)
    assert refused.get_json()["error"]["code"] == "evidence_required"
    db.expire_all()
    assert db.get(Milestone, m["id"]).status == "planned"
    op.client.post(f"/api/v1/milestones/{m['id']}/evidence", content_type="multipart/form-data",
                   data={"file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "report.pdf")}, headers=op._headers(), expect=201)
    response = op.patch(f"/api/v1/milestones/{m['id']}", json=body)
    assert response.status_code == 200, response.get_json()
    done = response.get_json()
    assert done["status"] == "done" and done["overdue"] is False and done["trl_claimed"] == 3
    stale = op.patch(f"/api/v1/milestones/{m['id']}", json={"version": m["version"], "title": "改名"})
    assert stale.status_code == 409
    db.expire_all()
    assert db.get(Milestone, m["id"]).title == "动物实验"


@pytest.mark.parametrize("body,field", [
    ({"title": "", "due_on": "2026-05-01"}, "title"),
    ({"title": "x", "due_on": "2026-13-01"}, "due_on"),
    ({"title": "x"}, "due_on"),
    ({"title": "x", "due_on": "2026-05-01", "stage": "S7"}, "stage"),
    ({"title": "x", "due_on": "2026-05-01", "status": "done", "completed_on": "2999-01-01"}, "completed_on"),
    ({"title": "x", "due_on": "2026-05-01", "status": "waived"}, "status"),
    ({"title": "x", "due_on": "2026-05-01", "trl_claimed": 0}, "trl_claimed"),
])
def test_bad_milestone_input_is_422(api, world, make, db, body, field):
    project = make.project(world["platform"])
    response = api(world["operator"]).post(f"/api/v1/projects/{project.id}/milestones", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in _fields(response)
    assert db.exec(select(Milestone)).first() is None


def test_completion_date_in_the_future_is_refused_on_patch(api, world, make, db):
    project = make.project(world["platform"])
    m = make.milestone(project)
    tomorrow = (shanghai_today() + timedelta(days=1)).isoformat()
    response = api(world["operator"]).patch(f"/api/v1/milestones/{m.id}", json={
        "version": 1, "status": "done", "completed_on": tomorrow})
    assert response.status_code == 422 and "completed_on" in _fields(response)
    # the message comes in the caller's language
    assert "未来" in _fields(response)["completed_on"] or "晚于" in _fields(response)["completed_on"]
    db.expire_all()
    assert db.get(Milestone, m.id).status == "planned"


def test_waive_is_admin_only_and_needs_a_reason(api, world, make, db):
    project = make.project(world["platform"])
    m = make.milestone(project, is_gate_criterion=True)
    url = f"/api/v1/milestones/{m.id}"
    assert api(world["operator"]).patch(url, json={"version": 1, "status": "waived",
                                                   "waived_reason": "x"}).status_code == 403
    admin = api(world["admin"])
    response = admin.patch(url, json={"version": 1, "status": "waived"})
    assert response.status_code == 422 and "waived_reason" in _fields(response)
    response = admin.patch(url, json={"version": 1, "status": "waived", "waived_reason": "需求方已书面确认无需此项"})
    assert response.status_code == 200 and response.get_json()["status"] == "waived"


def test_must_meet_stays_must_meet_for_operators(api, world, make):
    project = make.project(world["platform"])
    m = make.milestone(project, is_gate_criterion=True)
    response = api(world["operator"]).patch(f"/api/v1/milestones/{m.id}",
                                            json={"version": 1, "is_gate_criterion": False})
    assert response.status_code == 422 and "is_gate_criterion" in _fields(response)


def _gate_ready(make, platform, stage="S0", **kw):
    project = make.project(platform, stage=stage, **kw)
    make.milestone(project, is_gate_criterion=True, status="done", completed_on=date(2026, 1, 10), trl_claimed=4)
    return project


def test_gate_request_refused_while_must_meet_open(api, world, make, db):
    project = make.project(world["platform"])
    make.milestone(project, title="需求方确认函", is_gate_criterion=True)
    response = api(world["operator"]).post(f"/api/v1/projects/{project.id}/gate-reviews", json={})
    assert response.status_code == 409
    assert "需求方确认函" in response.get_json()["error"]["message"]
    assert db.exec(select(GateReview)).first() is None


def test_full_gate_flow_go_moves_stage_trl_and_copies_template(api, world, make, db):
    project = _gate_ready(make, world["platform"])
    op = api(world["operator"])
    response = op.post(f"/api/v1/projects/{project.id}/gate-reviews", json={"note": "申请评审"})
    assert response.status_code == 201, response.get_json()
    review = response.get_json()
    assert review["from_stage"] == "S0" and review["to_stage"] == "S1" and review["decision"] is None
    # a second request while one is pending
    assert op.post(f"/api/v1/projects/{project.id}/gate-reviews", json={}).status_code == 409
    # the requester never decides; the other platform's operator neither
    assert op.post(f"/api/v1/gate-reviews/{review['id']}/decision", json={"decision": "go"}).status_code == 403
    assert api(world["other_op"]).post(f"/api/v1/gate-reviews/{review['id']}/decision",
                                       json={"decision": "go"}).status_code == 403
    # the gatekeeper's queue shows it
    queue = api(world["gatekeeper"]).get("/api/v1/gate-reviews").get_json()
    assert [r["id"] for r in queue["items"]] == [review["id"]]
    response = api(world["gatekeeper"]).post(f"/api/v1/gate-reviews/{review['id']}/decision",
                                             json={"decision": "go", "rationale": "材料齐全"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["project"]["stage"] == "S1" and body["project"]["trl_current"] == 4
    assert body["gate_review"]["decision"] == "go"
    s1 = db.exec(select(Milestone).where(Milestone.project_id == project.id, Milestone.stage == "S1")).all()
    assert len(s1) == 2 and all(m.is_gate_criterion for m in s1)
    # deciding twice
    again = api(world["admin"]).post(f"/api/v1/gate-reviews/{review['id']}/decision", json={"decision": "go"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "gate_review_decided"


def test_conditional_go_creates_condition_milestones(api, world, make, db):
    project = _gate_ready(make, world["platform"], stage="S1")
    review = api(world["operator"]).post(f"/api/v1/projects/{project.id}/gate-reviews", json={}).get_json()
    due = (shanghai_today() + timedelta(days=30)).isoformat()
    response = api(world["admin"]).post(f"/api/v1/gate-reviews/{review['id']}/decision", json={
        "decision": "conditional_go", "rationale": "补充专利检索", "conditions": ["补充专利检索报告"],
        "conditions_due_on": due})
    assert response.status_code == 200, response.get_json()
    cond = db.exec(select(Milestone).where(Milestone.project_id == project.id,
                                           Milestone.title == "补充专利检索报告")).one()
    assert cond.stage == "S2" and cond.is_gate_criterion and cond.due_on.isoformat() == due
    assert response.get_json()["gate_review"]["conditions"] == ["补充专利检索报告"]


@pytest.mark.parametrize("decision,status,stage", [
    ("hold", "on_hold", "S2"), ("kill", "killed", "S2"), ("recycle", "active", "S2")])
def test_other_decisions(api, world, make, db, decision, status, stage):
    project = _gate_ready(make, world["platform"], stage="S2")
    review = api(world["operator"]).post(f"/api/v1/projects/{project.id}/gate-reviews", json={}).get_json()
    body = {"decision": decision, "rationale": "见评审意见"}
    if decision == "recycle":
        body["rework_due_on"] = (shanghai_today() + timedelta(days=45)).isoformat()
    response = api(world["gatekeeper"]).post(f"/api/v1/gate-reviews/{review['id']}/decision", json=body)
    assert response.status_code == 200, response.get_json()
    db.expire_all()
    p = db.get(Project, project.id)
    assert (p.status, p.stage, p.trl_current) == (status, stage, 2)
    if decision == "recycle":
        rework = db.exec(select(Milestone).where(Milestone.project_id == project.id,
                                                 Milestone.status == "planned")).one()
        assert rework.is_gate_criterion and rework.stage == "S2"


def test_s4_go_marks_transferred(api, world, make, db):
    project = _gate_ready(make, world["platform"], stage="S4", trl_current=7)
    review = api(world["operator"]).post(f"/api/v1/projects/{project.id}/gate-reviews", json={}).get_json()
    assert review["to_stage"] is None
    response = api(world["gatekeeper"]).post(f"/api/v1/gate-reviews/{review['id']}/decision",
                                             json={"decision": "go"})
    assert response.status_code == 200
    assert response.get_json()["project"]["status"] == "transferred"
    assert response.get_json()["project"]["read_only"] is True


@pytest.mark.parametrize("body,field", [
    ({"decision": "maybe"}, "decision"),
    ({"decision": "kill"}, "rationale"),
    ({"decision": "conditional_go", "rationale": "x"}, "conditions"),
    ({"decision": "conditional_go", "rationale": "x", "conditions": ["  "]}, "conditions"),
    ({"decision": "recycle", "rationale": "x"}, "rework_due_on"),
    ({"decision": "go", "conditions": ["x"]}, "conditions"),
    ({"decision": "recycle", "rationale": "x", "rework_due_on": "2026-02-31"}, "rework_due_on"),
])
def test_bad_decisions_are_422_and_change_nothing(api, world, make, db, body, field):
    project = _gate_ready(make, world["platform"], stage="S1")
    review = api(world["operator"]).post(f"/api/v1/projects/{project.id}/gate-reviews", json={}).get_json()
    response = api(world["admin"]).post(f"/api/v1/gate-reviews/{review['id']}/decision", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in _fields(response)
    db.expire_all()
    assert db.get(GateReview, review["id"]).decision is None
    assert db.get(Project, project.id).stage == "S1"


def test_hold_and_kill_leave_the_project_read_only(api, world, make, db):
    """DESIGN §7: a read-only project refuses a change with 409 to those whose role allows the change (its state
    does not), and with 403 to those whose role does not (another platform's operator)."""
    held = make.project(world["platform"], status="on_hold")
    killed = make.project(world["platform"], status="killed")
    op, admin = api(world["operator"]), api(world["admin"])
    stranger = api(make.operator(make.platform()))
    for project in (held, killed):
        m = make.milestone(project)
        changes = [
            ("PATCH", f"/api/v1/projects/{project.id}", {"json": {"version": 1, "title_zh": "x"}}),
            ("POST", f"/api/v1/projects/{project.id}/milestones", {"json": {"title": "x", "due_on": "2026-05-01"}}),
            ("PATCH", f"/api/v1/milestones/{m.id}", {"json": {"version": 1, "title": "x"}}),
            ("POST", f"/api/v1/projects/{project.id}/outcomes",
             {"json": {"kind": "licence", "counterparty": "某公司", "amount": 1, "date": "2026-01-01"}}),
            ("POST", f"/api/v1/projects/{project.id}/gate-reviews", {"json": {}}),
            ("POST", f"/api/v1/milestones/{m.id}/evidence",
             {"data": {"file": (io.BytesIO(PDF), "a.pdf")}, "content_type": "multipart/form-data"}),
        ]
        state = f"project_{project.status}"  # the code names the state that refuses (DESIGN §7)
        for client, status, code in ((op, 409, state), (admin, 409, state), (stranger, 403, "forbidden")):
            for method, url, kw in changes:
                if "data" in kw:  # a fresh upload each time
                    kw = {**kw, "data": {"file": (io.BytesIO(PDF), "a.pdf")}}
                response = client.client.open(url, method=method, headers=client._headers(), **kw)
                assert response.status_code == status, (project.status, method, url, response.get_json())
                assert response.get_json()["error"]["code"] == code
    db.expire_all()
    assert db.get(Project, held.id).title_zh != "x" and db.exec(select(Outcome)).first() is None
    assert len(db.exec(select(Milestone)).all()) == 2 and db.exec(select(EvidenceFile)).first() is None
    # an admin resumes the held project; the killed one stays final
    assert admin.post(f"/api/v1/projects/{held.id}/resume", json={}).get_json()["status"] == "active"
    assert op.post(f"/api/v1/projects/{held.id}/resume", json={}).status_code == 403
    refused = admin.post(f"/api/v1/projects/{killed.id}/resume", json={})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "project_killed"
    again = admin.post(f"/api/v1/projects/{held.id}/resume", json={})  # active now: only a held project resumes
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "project_active"


def test_outcomes(api, world, make, db):
    project = make.project(world["platform"], stage="S4")
    op = api(world["operator"])
    body = {"kind": "licence", "counterparty": "某医疗器械公司", "amount": 3_000_000, "date": "2026-03-01"}
    response = op.post(f"/api/v1/projects/{project.id}/outcomes", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["date"] == "2026-03-01"
    listed = op.get(f"/api/v1/projects/{project.id}/outcomes").get_json()
    assert listed["total"] == 1 and listed["items"][0]["amount"] == 3_000_000
    future = (shanghai_today() + timedelta(days=3)).isoformat()
    for bad, field in (({"amount": -5}, "amount"), ({"kind": "gift"}, "kind"), ({"counterparty": " "}, "counterparty"),
                       ({"date": future}, "date"), ({"date": "2026-04-31"}, "date")):  # named as sent
        response = op.post(f"/api/v1/projects/{project.id}/outcomes", json={**body, **bad})
        assert response.status_code == 422, (bad, response.get_json())
        assert field in _fields(response), (bad, _fields(response))
    assert len(db.exec(select(Outcome)).all()) == 1


def test_audit_shows_a_projects_history(api, world, make, db):
    op = api(world["operator"])
    pid = _create(op, world["platform"]).get_json()["id"]
    ms = op.get(f"/api/v1/projects/{pid}/milestones").get_json()["items"]
    for m in ms:
        make.evidence(db.get(Milestone, m["id"]))
        op.patch(f"/api/v1/milestones/{m['id']}", json={"version": m["version"], "status": "done"}, expect=200)
    review = op.post(f"/api/v1/projects/{pid}/gate-reviews", json={}).get_json()
    api(world["gatekeeper"]).post(f"/api/v1/gate-reviews/{review['id']}/decision", json={"decision": "go"}, expect=200)
    assert op.get(f"/api/v1/audit?entity_type=project&entity_id={pid}").status_code == 403
    history = api(world["admin"]).get(f"/api/v1/audit?entity_type=project&entity_id={pid}&per_page=200").get_json()
    actions = [(e["entity_type"], e["action"]) for e in history["items"]]
    assert actions[0] == ("project", "create")
    assert ("milestone", "complete") in actions and ("gate_review", "request") in actions
    assert ("gate_review", "decide") in actions and ("project", "gate_go") in actions
    assert all(e["after"]["project_id"] == pid for e in history["items"] if e["entity_type"] != "project")
    own = api(world["admin"]).get(f"/api/v1/audit?entity_type=project&entity_id={pid}&related=false").get_json()
    assert {e["entity_type"] for e in own["items"]} == {"project"}
    assert db.exec(select(AuditEvent).where(AuditEvent.entity_type == "gate_review")).first() is not None
