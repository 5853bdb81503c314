"""The authorization table over every route of the projects/gates area, web and API:
operator of the platform, operator of another platform, reviewer, gatekeeper, admin, anonymous.

Each row is one route with the roles that may use it and the status each gets; every other role is refused
and nothing may be written: anonymous gets the sign-in redirect (302 to /login) on a page and 401 on the API,
a signed-in role the route is not for gets 403 (DESIGN §7). Rows run on a fresh database each.
"""
import io
from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlmodel import func, select

from platform_mgr.models import (
    AuditEvent,
    EvidenceFile,
    GateReview,
    GateTemplateItem,
    Milestone,
    Outcome,
    Project,
)
from platform_mgr.services import evidence as evidence_svc

PDF = b"%PDF-1.4\n%%EOF\n"
ROLES = ("op", "other_op", "reviewer", "gatekeeper", "admin", "anon")


@pytest.fixture
def w(make, db, app):
    platform = make.platform(code="BCI")
    other = make.platform(code="SIPH")
    users = dict(op=make.operator(platform), other_op=make.operator(other), reviewer=make.reviewer(),
                 gatekeeper=make.reviewer(gatekeeper_of=[platform]), admin=make.admin())
    # ready for a gate request: its only must-meet milestone is done
    ready = make.project(platform, title_zh="就绪项目", stage="S1")
    make.milestone(ready, is_gate_criterion=True, status="done", completed_on=date(2026, 1, 2), trl_claimed=3)
    m = make.milestone(ready, title="开放里程碑")
    # a project with a pending gate review the operator requested
    pending_project = make.project(platform, title_zh="待评审项目", stage="S2")
    review = GateReview(project_id=pending_project.id, from_stage="S2", to_stage="S3", requested_by_id=users["op"].id)
    db.add(review)
    held = make.project(platform, title_zh="暂停项目", status="on_hold")
    outcome = make.outcome(ready)
    item = GateTemplateItem(platform_id=None, stage="S1", position=0, title_zh="默认条目", due_days=60)
    db.add(item)
    db.add(GateTemplateItem(platform_id=platform.id, stage="S2", position=0, title_zh="平台条目", due_days=30))
    db.commit()
    ev = evidence_svc.store_evidence(db, None, project_id=ready.id, stream=io.BytesIO(PDF), filename="a.pdf",
                                     upload_dir=app.config["UPLOAD_DIR"], max_bytes=10**6, milestone_id=m.id)
    db.commit()
    return dict(users=users, platform=platform, other=other, ready=ready, m=m, review=review, held=held,
                outcome=outcome, item=item, ev=ev, pending_project=pending_project)


def _counts(db):
    return tuple(db.exec(select(func.count()).select_from(model)).one()
                 for model in (Project, Milestone, GateReview, Outcome, EvidenceFile, GateTemplateItem, AuditEvent))


# (name, method, url, form or JSON body, {role: success status}); roles not listed are refused
ALLOWED_VIEW = {"op": 200, "gatekeeper": 200, "admin": 200}
WEB = [
    ("dashboard index", "GET", "/projects/dashboard", None,
     {"op": 302, "other_op": 302, "reviewer": 200, "gatekeeper": 200, "admin": 200}),
    ("platform dashboard", "GET", "/projects/platform/{platform}", None, ALLOWED_VIEW),
    ("new project form", "GET", "/projects/platform/{platform}/new", None, {"op": 200, "admin": 200}),
    ("create project", "POST", "/projects/platform/{platform}/new",
     {"title_zh": "新项目", "lead": "王工", "selection_mode": "direct", "stage": "S0", "budget": "0"},
     {"op": 302, "admin": 302}),
    ("project page", "GET", "/projects/{ready}", None, ALLOWED_VIEW),
    ("edit form", "GET", "/projects/{ready}/edit", None, {"op": 200, "admin": 200}),
    ("edit project", "POST", "/projects/{ready}/edit",
     {"title_zh": "改名", "lead": "王工", "selection_mode": "direct", "budget": "5", "version": "1"},
     {"op": 302, "admin": 302}),
    ("resume", "POST", "/projects/{held}/resume", {"version": "1"}, {"admin": 302}),
    ("milestone form", "GET", "/projects/{ready}/milestones/new", None, {"op": 200, "admin": 200}),
    ("add milestone", "POST", "/projects/{ready}/milestones/new",
     {"title": "新里程碑", "stage": "S1", "due_on": "2026-08-01", "status": "planned"}, {"op": 302, "admin": 302}),
    ("milestone page", "GET", "/projects/milestones/{m}", None, ALLOWED_VIEW),
    ("edit milestone", "POST", "/projects/milestones/{m}",
     {"title": "改名", "stage": "S1", "due_on": "2026-08-01", "status": "in_progress", "version": "1"},
     {"op": 302, "admin": 302}),
    ("complete form", "GET", "/projects/milestones/{m}/complete", None, {"op": 200, "admin": 200}),
    ("complete", "POST", "/projects/milestones/{m}/complete", {"completed_on": "2026-01-05", "version": "1"},
     {"op": 302, "admin": 302}),
    ("waive form", "GET", "/projects/milestones/{m}/waive", None, {"admin": 200}),
    ("waive", "POST", "/projects/milestones/{m}/waive", {"waived_reason": "不再需要", "version": "1"},
     {"admin": 302}),
    ("upload evidence", "POST", "/projects/milestones/{m}/evidence", "FILE", {"op": 302, "admin": 302}),
    ("download evidence", "GET", "/projects/evidence/{ev}", None, ALLOWED_VIEW),
    ("outcome form", "GET", "/projects/{ready}/outcomes/new", None, {"op": 200, "admin": 200}),
    ("record outcome", "POST", "/projects/{ready}/outcomes/new",
     {"kind": "licence", "counterparty": "某公司", "amount": "1", "occurred_on": "2026-01-05"},
     {"op": 302, "admin": 302}),
    ("gate request form", "GET", "/projects/{ready}/gate", None, {"op": 200, "admin": 200}),
    ("request gate", "POST", "/projects/{ready}/gate", {"note": ""}, {"op": 302, "admin": 302}),
    ("gate queue", "GET", "/gates/", None, {"gatekeeper": 200, "admin": 200}),
    ("gate review page", "GET", "/gates/{review}", None, ALLOWED_VIEW),
    ("decide gate", "POST", "/gates/{review}", {"decision": "go"}, {"gatekeeper": 302, "admin": 302}),
    ("templates page", "GET", "/gates/templates", None, {"admin": 200}),
    ("add template item", "POST", "/gates/templates", {"stage": "S2", "title_zh": "新条目", "due_days": "30"},
     {"admin": 302}),
    ("template item page", "GET", "/gates/templates/items/{item}", None, {"admin": 200}),
    ("edit template item", "POST", "/gates/templates/items/{item}",
     {"stage": "S1", "title_zh": "改", "due_days": "30"}, {"admin": 302}),
    ("delete template item", "POST", "/gates/templates/items/{item}/delete", {}, {"admin": 302}),
    ("customise template", "POST", "/gates/templates/{platform}/customise", {}, {"admin": 302}),
    ("reset template", "POST", "/gates/templates/{platform}/reset", {}, {"admin": 302}),
]

API = [
    ("list projects", "GET", "/api/v1/platforms/{platform}/projects", None, ALLOWED_VIEW),
    ("create project", "POST", "/api/v1/platforms/{platform}/projects", {"title_zh": "新", "lead": "王工"},
     {"op": 201, "admin": 201}),
    ("project", "GET", "/api/v1/projects/{ready}", None, ALLOWED_VIEW),
    ("patch project", "PATCH", "/api/v1/projects/{ready}", {"version": 1, "lead": "李工"}, {"op": 200, "admin": 200}),
    ("resume", "POST", "/api/v1/projects/{held}/resume", {}, {"admin": 200}),
    ("milestones", "GET", "/api/v1/projects/{ready}/milestones", None, ALLOWED_VIEW),
    ("add milestone", "POST", "/api/v1/projects/{ready}/milestones", {"title": "新", "due_on": "2026-08-01"},
     {"op": 201, "admin": 201}),
    ("milestone", "GET", "/api/v1/milestones/{m}", None, ALLOWED_VIEW),
    ("patch milestone", "PATCH", "/api/v1/milestones/{m}", {"version": 1, "status": "in_progress"},
     {"op": 200, "admin": 200}),
    ("waive milestone", "PATCH", "/api/v1/milestones/{m}", {"version": 1, "status": "waived",
                                                            "waived_reason": "不需要"}, {"admin": 200}),
    ("upload evidence", "POST", "/api/v1/milestones/{m}/evidence", "FILE", {"op": 201, "admin": 201}),
    ("download evidence", "GET", "/api/v1/evidence/{ev}", None, ALLOWED_VIEW),
    ("gate history", "GET", "/api/v1/projects/{ready}/gate-reviews", None, ALLOWED_VIEW),
    ("request gate", "POST", "/api/v1/projects/{ready}/gate-reviews", {}, {"op": 201, "admin": 201}),
    ("gate queue", "GET", "/api/v1/gate-reviews", None, {"gatekeeper": 200, "admin": 200}),
    ("gate review", "GET", "/api/v1/gate-reviews/{review}", None, ALLOWED_VIEW),
    ("decide", "POST", "/api/v1/gate-reviews/{review}/decision", {"decision": "go"},
     {"gatekeeper": 200, "admin": 200}),
    ("outcomes", "GET", "/api/v1/projects/{ready}/outcomes", None, ALLOWED_VIEW),
    ("record outcome", "POST", "/api/v1/projects/{ready}/outcomes",
     {"kind": "contract", "counterparty": "某公司", "amount": 10, "date": "2026-01-05"}, {"op": 201, "admin": 201}),
    ("outcome evidence", "POST", "/api/v1/outcomes/{outcome}/evidence", "FILE", {"op": 201, "admin": 201}),
    ("audit", "GET", "/api/v1/audit?entity_type=project&entity_id={ready}", None, {"admin": 200}),
]


def _url(template, w):
    ids = dict(platform=w["platform"].id, ready=w["ready"].id, held=w["held"].id, m=w["m"].id, ev=w["ev"].id,
               review=w["review"].id, item=w["item"].id, outcome=w["outcome"].id)
    return template.format(**ids)


def _cases(table):
    return [pytest.param(row, role, id=f"{row[0]}-{role}") for row in table for role in ROLES]


@pytest.mark.parametrize("row,role", _cases(WEB))
def test_web_route_authorization(client, auth, w, db, row, role):
    _name, method, url, body, allowed = row
    if role != "anon":
        auth.login(w["users"][role].email)
    before = _counts(db)
    kwargs = {}
    if body == "FILE":
        kwargs = {"data": {"file": (io.BytesIO(PDF), "b.pdf")}, "content_type": "multipart/form-data"}
    elif body is not None:
        kwargs = {"data": body}
    response = client.open(_url(url, w), method=method, **kwargs)
    text = response.get_data(as_text=True)  # read to the end: a download's stream closes
    if role in allowed:
        assert response.status_code == allowed[role], text[-1500:]
        if method == "POST":
            assert _counts(db) != before  # the change happened
    else:
        if role == "anon":
            assert response.status_code == 302, text[-1500:]
            assert urlsplit(response.headers["Location"]).path == "/login"
        else:
            assert response.status_code == 403, text[-1500:]
        db.expire_all()
        assert _counts(db) == before  # nothing written


@pytest.mark.parametrize("row,role", _cases(API))
def test_api_route_authorization(api, w, db, row, role):
    _name, method, url, body, allowed = row
    client = api(None if role == "anon" else w["users"][role])
    before = _counts(db)
    if body == "FILE":
        response = client.client.open(_url(url, w), method=method, headers=client._headers(),
                                      data={"file": (io.BytesIO(PDF), "b.pdf")}, content_type="multipart/form-data")
    else:
        response = client.client.open(_url(url, w), method=method, headers=client._headers(), json=body)
    text = response.get_data(as_text=True)  # read to the end: a download's stream closes
    if role in allowed:
        assert response.status_code == allowed[role], text[:500]
        if method != "GET":
            assert _counts(db) != before
    else:
        assert response.status_code == (401 if role == "anon" else 403), text[:300]
        assert response.get_json()["error"]["code"] == ("unauthorized" if role == "anon" else "forbidden")
        db.expire_all()
        assert _counts(db) == before  # nothing written
