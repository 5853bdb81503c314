"""Project and gate pages in the browser: forms, field errors in both languages, evidence, dashboard."""
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from platform_mgr.db import get_engine
from platform_mgr.i18n import shanghai_today
from platform_mgr.models import AuditEvent, EvidenceFile, GateReview, GateTemplateItem, Milestone, Outcome, Project

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(make):
    platform = make.platform(code="BCI", name_zh="脑机接口平台", name_en="BCI Platform")
    other = make.platform(code="SIPH")
    return dict(platform=platform, other=other, operator=make.operator(platform),
                gatekeeper=make.reviewer(gatekeeper_of=[platform]), admin=make.admin(),
                other_op=make.operator(other))


def _html(response):
    return response.get_data(as_text=True)


def test_operator_registers_a_project_in_the_browser(client, auth, world, db):
    auth.login(world["operator"].email)
    page = client.get(f"/projects/platform/{world['platform'].id}/new")
    assert page.status_code == 200 and "TRL 3" in _html(page)
    response = client.post(f"/projects/platform/{world['platform'].id}/new", data={
        "title_zh": "柔性电极", "lead": "王工", "selection_mode": "open_call", "stage": "S0", "trl_entry": "2",
        "budget": "800000", "started_on": "2026-01-05", "apply_template": "y"})
    assert response.status_code == 302, _html(response)
    project = db.exec(select(Project)).one()
    assert project.platform_id == world["platform"].id and project.trl_current == 2
    assert len(db.exec(select(Milestone).where(Milestone.project_id == project.id)).all()) == 2
    html = _html(client.get(f"/projects/{project.id}"))
    assert "柔性电极" in html and "id=\"timeline\"" in html
    # nowhere else
    assert client.get(f"/projects/platform/{world['other'].id}/new").status_code == 403
    assert client.post(f"/projects/platform/{world['other'].id}/new", data={
        "title_zh": "x", "lead": "y", "selection_mode": "direct", "stage": "S0", "budget": "0"}).status_code == 403
    assert len(db.exec(select(Project)).all()) == 1


@pytest.mark.parametrize("lang,needle", [("zh", "不能为负"), ("en", "may not be negative")])
def test_field_errors_in_the_users_language(client, auth, world, db, lang, needle):
    auth.login(world["operator"].email)
    response = client.post(f"/projects/platform/{world['platform'].id}/new?lang={lang}", data={
        "title_zh": "", "lead": "王工", "selection_mode": "direct", "stage": "S0", "budget": "-5"})
    assert response.status_code == 422
    html = _html(response)
    assert needle in html and "is-invalid" in html
    assert db.exec(select(Project)).first() is None


def test_edit_with_a_stale_version_is_409(client, auth, world, make, db):
    project = make.project(world["platform"], title_zh="旧")
    auth.login(world["operator"].email)
    form = {"title_zh": "新", "lead": "王工", "selection_mode": "direct", "budget": "1", "version": "1"}
    assert client.post(f"/projects/{project.id}/edit", data=form).status_code == 302
    response = client.post(f"/projects/{project.id}/edit", data={**form, "title_zh": "更新"})
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Project, project.id).title_zh == "新"


def test_plan_complete_and_attach_evidence(client, auth, world, make, db, app):
    project = make.project(world["platform"])
    auth.login(world["operator"].email)
    response = client.post(f"/projects/{project.id}/milestones/new", data={
        "title": "动物实验报告", "stage": "S0", "due_on": "2025-11-30", "status": "planned", "is_gate_criterion": "y"})
    assert response.status_code == 302, _html(response)
    m = db.exec(select(Milestone).where(Milestone.title == "动物实验报告")).one()
    html = _html(client.get(f"/projects/{project.id}"))
    assert "逾期" in html  # past due and open: shown overdue
    # a completion date in the future is refused, naming the field
    tomorrow = (shanghai_today() + timedelta(days=1)).isoformat()
    response = client.post(f"/projects/milestones/{m.id}/complete",
                           data={"completed_on": tomorrow, "trl_claimed": "3", "version": "1"})
    assert response.status_code == 422 and "completed_on" in _html(response)
    # a must-meet milestone is done only with evidence: without a file the form says so (409), nothing changes
    response = client.post(f"/projects/milestones/{m.id}/complete",
                           data={"completed_on": shanghai_today().isoformat(), "trl_claimed": "3", "version": "1"})
    assert response.status_code == 409 and "至少附一份证明材料" in _html(response)
    db.expire_all()
    assert db.get(Milestone, m.id).status == "planned"
    # the completion form takes the files in the same submission
    response = client.post(f"/projects/milestones/{m.id}/complete", content_type="multipart/form-data", data={
        "completed_on": shanghai_today().isoformat(), "trl_claimed": "3", "version": "1",
        "file": [(io.BytesIO(PDF), "检测报告.pdf"), (io.BytesIO(b"plain notes"), "记录.txt")]})
    assert response.status_code == 302, _html(response)
    db.expire_all()
    assert db.get(Milestone, m.id).status == "done" and db.get(Milestone, m.id).trl_claimed == 3
    # evidence: a PDF is accepted and served as an attachment under its original name
    ev, notes = db.exec(select(EvidenceFile).order_by(EvidenceFile.id)).all()
    assert ev.original_name == "检测报告.pdf" and ev.content_type == "application/pdf" and ev.stored_name != ev.original_name
    assert notes.original_name == "记录.txt" and notes.milestone_id == m.id
    download = client.get(f"/projects/evidence/{ev.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    # more evidence later, on the milestone's page
    response = client.post(f"/projects/milestones/{m.id}/evidence",
                           data={"file": (io.BytesIO(PDF), "补充.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    # an executable pretending to be a PDF is refused
    response = client.post(f"/projects/milestones/{m.id}/evidence",
                           data={"file": (io.BytesIO(b"MZ\x90\x00\x03binary"), "report.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert len(db.exec(select(EvidenceFile)).all()) == 3
    # another platform's operator cannot download
    client.post("/logout", expect=302)
    auth.login(world["other_op"].email)
    assert client.get(f"/projects/evidence/{ev.id}").status_code == 403


def test_upload_over_the_limit_is_413(client, auth, world, make, db, app):
    app.config["MAX_UPLOAD_MB"] = 1
    project = make.project(world["platform"])
    m = make.milestone(project)
    auth.login(world["operator"].email)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)
    response = client.post(f"/projects/milestones/{m.id}/evidence", data={"file": (io.BytesIO(big), "big.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert db.exec(select(EvidenceFile)).first() is None
    assert [p.name for p in __import__("pathlib").Path(app.config["UPLOAD_DIR"]).iterdir()] == []


def test_a_file_over_the_body_limit_shows_the_form_again_with_the_values_kept(client, auth, world, make, db, app):
    """Issue 17: a file larger than the request body allowed (30 MB against 20) used to end on the bare 413 page,
    the form lost. The upload views take a larger body, keep each file to the limit plus a byte, and answer the
    form again (413) with the message at the file field and the other values as entered."""
    app.config["MAX_UPLOAD_MB"] = 1
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024 + 64 * 1024  # as create_app sets it for 1 MB
    project = make.project(world["platform"])
    m = make.milestone(project, is_gate_criterion=True)
    auth.login(world["operator"].email)
    assert client.get(f"/projects/milestones/{m.id}/complete").status_code == 200  # shows the sign-in welcome
    big = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024 // 2)  # past MAX_CONTENT_LENGTH, within the upload bound
    response = client.post(f"/projects/milestones/{m.id}/complete", content_type="multipart/form-data", data={
        "completed_on": "2026-01-05", "trl_claimed": "4", "version": "1", "file": [(io.BytesIO(big), "big.pdf")]})
    assert response.status_code == 413
    html = _html(response)
    field = re.search(r'<input[^>]*id="file"[^>]*>\s*(?:<div class="form-text">[^<]*</div>\s*)?'
                      r'<div class="invalid-feedback d-block" id="file-err">([^<]*)</div>', html)
    assert field and field.group(1) == "文件超过 1 MB。", html
    assert html.count(">文件超过 1 MB。<") == 1 and html.count('role="alert"') == 1  # at the field, one summary
    assert 'value="2026-01-05"' in html and re.search(r'<option selected value="4">|<option value="4" selected', html)
    assert 'data-max-bytes="1048576"' in html and 'data-too-large="文件超过 1 MB。"' in html
    db.expire_all()
    assert db.get(Milestone, m.id).status == "planned" and db.exec(select(EvidenceFile)).first() is None
    assert [p.name for p in __import__("pathlib").Path(app.config["UPLOAD_DIR"]).iterdir()] == []
    # the milestone page's own upload form: the milestone page again, the message at its file field
    response = client.post(f"/projects/milestones/{m.id}/evidence", data={"file": (io.BytesIO(big), "big.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and 'id="file-err">文件超过 1 MB。</div>' in _html(response)
    assert 'name="title"' in _html(response)  # the milestone's form is on the page
    # a body past even the upload bound (8 × the limit) never reaches the view: back to the form, saying why
    huge = b"0" * (9 * 1024 * 1024)
    response = client.post(f"/projects/milestones/{m.id}/evidence", data={"file": (io.BytesIO(huge), "huge.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/projects/milestones/{m.id}")
    assert "文件超过 1 MB。" in _html(client.get(f"/projects/milestones/{m.id}"))
    # other forms keep the bare limit: a large body anywhere else is the plain 413 page
    assert client.post(f"/projects/{project.id}/gate", data={"note": "x" * (2 * 1024 * 1024)}).status_code == 413


def test_gate_request_and_decision_in_the_browser(client, auth, world, make, db):
    project = make.project(world["platform"], stage="S1", trl_current=2)
    make.milestone(project, is_gate_criterion=True, status="done", completed_on=date(2026, 1, 3), trl_claimed=3)
    auth.login(world["operator"].email)
    page = client.get(f"/projects/{project.id}/gate")
    assert page.status_code == 200
    assert client.post(f"/projects/{project.id}/gate", data={"note": "请评审"}).status_code == 302
    review = db.exec(select(GateReview)).one()
    # the operator sees it pending on the dashboard, and cannot decide it
    html = _html(client.get(f"/projects/platform/{world['platform'].id}"))
    assert "id=\"pending-gates\"" in html and project.title_zh in html
    assert client.post(f"/gates/{review.id}", data={"decision": "go"}).status_code == 403
    client.post("/logout", expect=302)
    auth.login(world["gatekeeper"].email)
    html = _html(client.get("/gates/"))
    assert project.title_zh in html
    response = client.post(f"/gates/{review.id}", data={"decision": "conditional_go", "rationale": "需补充",
                                                         "conditions": "补充专利检索\n补充用户访谈"})
    assert response.status_code == 302, _html(response)
    db.expire_all()
    p = db.get(Project, project.id)
    assert (p.stage, p.status, p.trl_current) == ("S2", "active", 3)
    titles = {m.title for m in db.exec(select(Milestone).where(Milestone.project_id == project.id,
                                                               Milestone.stage == "S2")).all()}
    assert {"补充专利检索", "补充用户访谈"} <= titles and len(titles) == 4  # conditions + S2 template
    html = _html(client.get(f"/projects/{project.id}"))
    assert "有条件通过" in html and "补充专利检索" in html
    assert client.get("/gates/").status_code == 200
    # deciding it again: its state refuses (409), as the API's does; the operator still may not (403)
    assert client.post(f"/gates/{review.id}", data={"decision": "go"}).status_code == 409
    client.post("/logout", expect=302)
    auth.login(world["operator"].email)
    assert client.post(f"/gates/{review.id}", data={"decision": "go"}).status_code == 403


def test_decision_form_errors_name_the_field(client, auth, world, make, db):
    project = make.project(world["platform"], stage="S1")
    review = GateReview(project_id=project.id, from_stage="S1", to_stage="S2", requested_by_id=world["operator"].id)
    db.add(review)
    db.commit()
    auth.login(world["admin"].email, lang="en")
    response = client.post(f"/gates/{review.id}?lang=en", data={"decision": "recycle", "rationale": "rework"})
    assert response.status_code == 422
    assert "new due date for the rework" in _html(response)
    response = client.post(f"/gates/{review.id}", data={"decision": "teleport"})
    assert response.status_code == 422
    db.expire_all()
    assert db.get(GateReview, review.id).decision is None


def test_kill_without_a_rationale_says_so_once_at_the_field_with_one_summary(client, auth, world, make, db):
    """Issue 17: the refusal was shown three times (a flashed banner, the form's alert, the field)."""
    project = make.project(world["platform"], stage="S1")
    review = GateReview(project_id=project.id, from_stage="S1", to_stage="S2", requested_by_id=world["operator"].id)
    db.add(review)
    db.commit()
    auth.login(world["gatekeeper"].email)
    assert client.get(f"/gates/{review.id}").status_code == 200  # shows the sign-in welcome
    response = client.post(f"/gates/{review.id}", data={"decision": "kill", "rationale": ""})
    assert response.status_code == 422
    html = _html(response)
    assert html.count(">此项为必填项。<") == 1  # as text once; the attribute below is for the browser
    assert re.search(r'<textarea[^>]*id="rationale"[^>]*>[^<]*</textarea>\s*<div class="form-text">[^<]*</div>\s*'
                     r'<div class="invalid-feedback d-block" id="rationale-err">此项为必填项。</div>', html), html
    assert html.count('role="alert"') == 1 and html.count(">请更正标出的字段。<") == 1  # one summary
    assert html.count("alert-danger") == 1
    # the browser checks it before asking to confirm (static/js/app.js)
    assert 'data-required-unless="decision=go"' in html and 'data-required-message="此项为必填项。"' in html
    db.expire_all()
    assert db.get(GateReview, review.id).decision is None


def test_hold_makes_the_project_read_only_until_an_admin_resumes(client, auth, world, make, db):
    project = make.project(world["platform"], status="on_hold")
    m = make.milestone(project)
    auth.login(world["operator"].email)
    html = _html(client.get(f"/projects/{project.id}"))
    assert "只读" in html or "暂停" in html
    # DESIGN §7: the project's state refuses the operator's changes (409, saying so), not their role (403)
    refused = client.get(f"/projects/{project.id}/edit")
    assert refused.status_code == 409 and "暂停" in _html(refused)
    assert client.post(f"/projects/milestones/{m.id}", data={"title": "x", "due_on": "2026-01-01", "stage": "S0",
                                                             "status": "planned", "version": "1"}).status_code == 409
    assert client.get(f"/projects/{project.id}/outcomes/new").status_code == 409
    assert client.get(f"/projects/{project.id}/milestones/new").status_code == 409
    assert client.get(f"/projects/milestones/{m.id}/complete").status_code == 409
    assert client.get(f"/projects/{project.id}/gate").status_code == 409
    assert client.post(f"/projects/{project.id}/resume", data={"version": "1"}).status_code == 403  # admins only
    client.post("/logout", expect=302)
    auth.login(make.operator(make.platform(code="OTHER")).email)  # another platform's operator: not theirs
    assert client.get(f"/projects/{project.id}/edit").status_code == 403
    assert client.get(f"/projects/{project.id}/outcomes/new").status_code == 403
    client.post("/logout", expect=302)
    auth.login(world["admin"].email)
    assert client.get(f"/projects/milestones/{m.id}/waive").status_code == 409  # held: nothing is waived
    assert client.post(f"/projects/{project.id}/resume", data={"version": "1"}).status_code == 302
    db.expire_all()
    assert db.get(Project, project.id).status == "active"
    assert client.post(f"/projects/{project.id}/resume", data={"version": "2"}).status_code == 409  # active now
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "resume")).first() is not None


def test_outcome_form_with_evidence(client, auth, world, make, db):
    project = make.project(world["platform"], stage="S4")
    auth.login(world["operator"].email)
    response = client.post(f"/projects/{project.id}/outcomes/new", data={
        "kind": "equity", "counterparty": "某创投", "amount": "-1", "occurred_on": "2026-03-01"})
    assert response.status_code == 422 and db.exec(select(Outcome)).first() is None
    response = client.post(f"/projects/{project.id}/outcomes/new", data={
        "kind": "equity", "counterparty": "某创投", "amount": "5000000", "occurred_on": "2026-03-01",
        "file": (io.BytesIO(b"name,amount\n\xe6\x9f\x90,1\n"), "清单.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302, _html(response)
    outcome = db.exec(select(Outcome)).one()
    ev = db.exec(select(EvidenceFile)).one()
    assert ev.outcome_id == outcome.id and ev.content_type == "text/csv"
    assert "某创投" in _html(client.get(f"/projects/{project.id}"))


def test_trl_definitions_are_shown_in_the_readers_language(client, auth, world, make):
    project = make.project(world["platform"], trl_current=4)
    auth.login(world["operator"].email)
    zh, en = "实验室环境中的部件或原理样机验证", "Component and/or breadboard validation in laboratory environment"
    for url in (f"/projects/{project.id}", f"/projects/{project.id}/milestones/new",
                f"/projects/platform/{world['platform'].id}/new"):
        html = _html(client.get(url + "?lang=zh"))
        assert zh in html and en not in html, url
        html = _html(client.get(url + "?lang=en"))
        assert en in html and zh not in html, url


def test_dashboard_shows_stage_counts_overdue_next_due_and_pending(client, auth, world, make, db):
    today = shanghai_today()
    a = make.project(world["platform"], title_zh="项目甲", stage="S1")
    b = make.project(world["platform"], title_zh="项目乙", stage="S2")
    make.project(world["other"], title_zh="别家项目")
    make.milestone(a, title="逾期的里程碑", due_on=today - timedelta(days=5))
    make.milestone(b, title="下一个里程碑", due_on=today + timedelta(days=3))
    make.milestone(b, title="已完成的", due_on=today - timedelta(days=9), status="done", completed_on=today)
    db.add(GateReview(project_id=b.id, from_stage="S2", to_stage="S3", requested_by_id=world["operator"].id))
    db.commit()
    auth.login(world["operator"].email)
    assert client.get("/projects/dashboard").status_code == 302
    html = _html(client.get(f"/projects/platform/{world['platform'].id}"))
    overdue = html.split('id="overdue"')[1].split("</ul>")[0]
    assert "逾期的里程碑" in overdue and "5" in overdue and "已完成的" not in overdue
    assert "下一个里程碑" in html.split('id="next-due"')[1].split("</ul>")[0]
    assert "项目乙" in html.split('id="pending-gates"')[1]
    assert "别家项目" not in html


def _count_queries(app, fn):
    engine = get_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len(statements)


def _fill(make, db, platform, operator, n):
    today = shanghai_today()
    for i in range(n):
        p = make.project(platform, stage=["S0", "S1", "S2"][i % 3])
        make.milestone(p, due_on=today - timedelta(days=i + 1))
        m = make.milestone(p, due_on=today + timedelta(days=i + 1))
        db.add(EvidenceFile(milestone_id=m.id, original_name="a.pdf", stored_name=f"x{p.id}.pdf",
                            content_type="application/pdf", size_bytes=1, sha256="0" * 64))
        make.outcome(p)
        db.add(GateReview(project_id=p.id, from_stage=p.stage, to_stage="S3", requested_by_id=operator.id))
    db.commit()


def test_pages_issue_a_bounded_number_of_queries(client, auth, world, make, db, app):
    auth.login(world["admin"].email)
    platform = world["platform"]
    _fill(make, db, platform, world["operator"], 3)
    pid = db.exec(select(Project.id).where(Project.platform_id == platform.id)).first()
    urls = [f"/projects/platform/{platform.id}", "/gates/", f"/projects/{pid}"]
    small = [_count_queries(app, lambda u=u: client.get(u)) for u in urls]
    _fill(make, db, platform, world["operator"], 12)
    for i in range(8):  # more rows on the one project page too
        make.milestone(db.get(Project, pid), due_on=shanghai_today() + timedelta(days=i))
        make.outcome(db.get(Project, pid))
    large = [_count_queries(app, lambda u=u: client.get(u)) for u in urls]
    assert large == small, (urls, small, large)


def test_gate_template_admin_page(client, auth, world, db):
    db.add(GateTemplateItem(platform_id=None, stage="S1", position=0, title_zh="知识产权权属清晰", due_days=60))
    db.commit()
    auth.login(world["operator"].email)
    assert client.get("/gates/templates").status_code == 403
    client.post("/logout", expect=302)
    auth.login(world["admin"].email)
    html = _html(client.get("/gates/templates"))
    assert "知识产权权属清晰" in html
    pid = world["platform"].id
    response = client.post(f"/gates/templates?platform_id={pid}", data={
        "stage": "S1", "title_zh": "平台特有要求", "due_days": "30"})
    assert response.status_code == 302, _html(response)
    own = db.exec(select(GateTemplateItem).where(GateTemplateItem.platform_id == pid)).all()
    assert {i.title_zh for i in own} == {"知识产权权属清晰", "平台特有要求"}  # the default was copied first
    response = client.post(f"/gates/templates?platform_id={pid}", data={"stage": "S1", "title_zh": "", "due_days": "-3"})
    assert response.status_code == 422
    item = next(i for i in own if i.title_zh == "平台特有要求")
    assert client.post(f"/gates/templates/items/{item.id}", data={
        "stage": "S1", "title_zh": "平台特有要求（改）", "due_days": "45"}).status_code == 302
    assert client.post(f"/gates/templates/{pid}/reset", data={}).status_code == 302
    assert db.exec(select(GateTemplateItem).where(GateTemplateItem.platform_id == pid)).first() is None
    assert client.post(f"/gates/templates/{pid}/customise", data={}).status_code == 302
    assert len(db.exec(select(GateTemplateItem).where(GateTemplateItem.platform_id == pid)).all()) >= 1
    assert re.search(r"gate_template_item", " ".join(e.entity_type for e in db.exec(select(AuditEvent)).all()))


def test_a_malformed_date_is_kept_in_its_field_with_the_error(client, auth, world, make, db):
    """Issue 17: the date input emptied a date it could not hold when the form came back; the text as entered is
    shown (as text) with the error at its field, the other fields as entered, and nothing is written."""
    project = make.project(world["platform"])
    auth.login(world["operator"].email)
    response = client.post(f"/projects/{project.id}/milestones/new", data={
        "title": "动物实验报告", "stage": "S0", "due_on": "2026-02-30", "status": "planned"})
    assert response.status_code == 422
    html = _html(response)
    (tag,) = re.findall(r'<input[^>]*id="due_on"[^>]*>', html)
    assert 'type="text"' in tag and 'value="2026-02-30"' in tag and 'aria-describedby="due_on-err"' in tag
    assert re.search(r'id="due_on-err">[^<]+<', html)
    assert 'value="动物实验报告"' in html
    assert db.exec(select(Milestone).where(Milestone.title == "动物实验报告")).all() == []
    # a valid date, or none, stays a date input
    page = _html(client.get(f"/projects/{project.id}/milestones/new"))
    assert re.search(r'<input[^>]*id="due_on"[^>]*type="date"|<input[^>]*type="date"[^>]*id="due_on"', page)
