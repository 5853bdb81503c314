"""Gate, milestone, outcome and evidence services: state moves, concurrency, templates, TRL, audit."""
import io
import zipfile
from datetime import date, timedelta

import pytest

from platform_mgr.inputs.projects import (
    GateDecision,
    GateRequest,
    MilestoneCompletion,
    MilestoneCreate,
    MilestoneUpdate,
    OutcomeCreate,
    ProjectCreate,
    ProjectUpdate,
    Resume,
)
from sqlmodel import select

from platform_mgr.db import get_engine, new_session
from platform_mgr.errors import Conflict, Forbidden, Invalid, TooLarge
from platform_mgr.models import AuditEvent, GateReview, GateTemplateItem, Milestone, Project, User
from platform_mgr.services import audit
from platform_mgr.services import evidence as evidence_svc
from platform_mgr.services import gates as gate_svc
from platform_mgr.services import milestones as milestone_svc
from platform_mgr.services import outcomes as outcome_svc
from platform_mgr.services import projects as project_svc

TODAY = date(2026, 6, 15)


@pytest.fixture
def ctx(app):
    with app.test_request_context("/?lang=en"):
        yield app


@pytest.fixture
def tx(ctx):
    """``with tx() as s:`` — one write transaction on the app's database: committed when the block ends,
    rolled back when it raises, closed either way (SQLite allows one writer at a time)."""
    from contextlib import contextmanager

    @contextmanager
    def run(commit=True):
        s = new_session(get_engine(ctx.config["SQLALCHEMY_DATABASE_URI"]))
        try:
            yield s
            if commit:
                s.commit()
            else:
                s.rollback()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    return run


@pytest.fixture
def w(make):
    platform = make.platform(code="BCI")
    return dict(platform=platform, op=make.operator(platform), gk=make.reviewer(gatekeeper_of=[platform]),
                admin=make.admin())


def _ready(make, platform, stage="S1", **kw):
    project = make.project(platform, stage=stage, **kw)
    make.milestone(project, is_gate_criterion=True, status="done", completed_on=date(2026, 1, 2), trl_claimed=3)
    return project


def _request(tx, project_id, user_id):
    with tx() as s:
        review = gate_svc.request_gate_review(s, s.get(User, user_id), s.get(Project, project_id), GateRequest())
        s.flush()
        return review.id


def _decide(tx, review_id, user_id, **kw):
    with tx() as s:
        review = s.get(GateReview, review_id)
        return gate_svc.decide_gate(s, s.get(User, user_id), review, s.get(Project, review.project_id),
                                    GateDecision(**kw), today=TODAY)


def test_concurrent_gate_requests_answer_409(make, w, tx, monkeypatch):
    """Two requests that both passed the check: the partial unique index lets one through."""
    project = _ready(make, w["platform"])
    _request(tx, project.id, w["op"].id)
    monkeypatch.setattr(gate_svc.gq, "pending_review", lambda session, project_id: None)  # the race's blind spot
    with pytest.raises(Conflict):
        _request(tx, project.id, w["op"].id)
    monkeypatch.undo()
    with tx() as s:
        assert len(s.exec(select(GateReview).where(GateReview.project_id == project.id)).all()) == 1


def test_two_deciders_only_one_wins(make, w, tx):
    project = _ready(make, w["platform"])
    review_id = _request(tx, project.id, w["op"].id)
    with tx() as late:  # read, then let go of the database, keeping the objects as read
        late_review, late_project = late.get(GateReview, review_id), late.get(Project, project.id)
        late_user = late.get(User, w["admin"].id)
        late.expunge_all()
    _decide(tx, review_id, w["gk"].id, decision="kill", rationale="失败")
    with pytest.raises(Conflict):
        with tx() as s:
            s.add_all([late_review, late_project, late_user])
            gate_svc.decide_gate(s, late_user, late_review, late_project, GateDecision(decision="go"), today=TODAY)
    with tx() as s:
        assert s.get(Project, project.id).status == "killed"
        assert s.get(GateReview, review_id).decision == "kill"


def test_the_requester_never_decides(make, w, tx):
    project = _ready(make, w["platform"])
    review_id = _request(tx, project.id, w["admin"].id)  # an admin requested it
    with pytest.raises(Forbidden):
        _decide(tx, review_id, w["admin"].id, decision="go")


def test_go_copies_the_platform_template_and_moves_trl(make, w, db, tx):
    project = _ready(make, w["platform"], stage="S1", trl_current=2)
    make.milestone(project, stage="S1", status="in_progress", trl_claimed=9)  # not done: its claim does not count
    make.milestone(project, stage="S0", status="done", completed_on=date(2025, 5, 1), trl_claimed=8)  # other stage
    db.add(GateTemplateItem(platform_id=None, stage="S2", position=0, title_zh="默认验证报告", due_days=90))
    db.add(GateTemplateItem(platform_id=w["platform"].id, stage="S2", position=0, title_zh="平台验证报告",
                            deliverable_zh="报告", due_days=45))
    db.commit()
    review_id = _request(tx, project.id, w["op"].id)
    outcome = _decide(tx, review_id, w["gk"].id, decision="go")
    assert outcome.entered_stage == "S2"
    with tx() as s:
        p = s.get(Project, project.id)
        assert (p.stage, p.status, p.trl_current, p.version) == ("S2", "active", 3, 2)
        s2 = s.exec(select(Milestone).where(Milestone.project_id == project.id, Milestone.stage == "S2")).all()
        assert [(m.title, m.due_on, m.is_gate_criterion) for m in s2] == [
            ("平台验证报告", TODAY + timedelta(days=45), True)]


def _attach(s, milestone):
    """An evidence row for `milestone` in session `s` (the rule asks only whether there is one)."""
    from platform_mgr.models import EvidenceFile

    s.add(EvidenceFile(milestone_id=milestone.id, original_name="证明.pdf", stored_name=f"test-{milestone.id}.pdf",
                       content_type="application/pdf", size_bytes=10, sha256="0" * 64))
    s.flush()


def test_completing_a_must_meet_milestone_needs_evidence(make, w, tx):
    project = make.project(w["platform"])
    must = make.milestone(project, is_gate_criterion=True)
    plain = make.milestone(project)
    with pytest.raises(Conflict) as info, tx() as s:
        m = s.get(Milestone, must.id)
        milestone_svc.complete_milestone(s, s.get(User, w["op"].id), m, s.get(Project, project.id),
                                         MilestoneCompletion(version=m.version), today=TODAY)
    assert info.value.code == "evidence_required" and "file" in info.value.fields
    with pytest.raises(Conflict) as info, tx() as s:  # registered as done at once: no evidence can be there yet
        milestone_svc.add_milestone(s, s.get(User, w["op"].id), s.get(Project, project.id),
                                    MilestoneCreate(title="x", due_on=TODAY, is_gate_criterion=True, status="done"),
                                    today=TODAY)
    assert info.value.code == "evidence_required"
    with tx() as s:  # a milestone that is not must-meet needs none; with a file a must-meet one is done
        m = s.get(Milestone, plain.id)
        milestone_svc.complete_milestone(s, s.get(User, w["op"].id), m, s.get(Project, project.id),
                                         MilestoneCompletion(version=m.version), today=TODAY)
        m = s.get(Milestone, must.id)
        _attach(s, m)
        milestone_svc.complete_milestone(s, s.get(User, w["op"].id), m, s.get(Project, project.id),
                                         MilestoneCompletion(version=m.version), today=TODAY)
    with tx() as s:
        assert {s.get(Milestone, must.id).status, s.get(Milestone, plain.id).status} == {"done"}


def test_recycle_hold_resume_and_kill(make, w, tx):
    project = _ready(make, w["platform"], stage="S2")
    review_id = _request(tx, project.id, w["op"].id)
    _decide(tx, review_id, w["gk"].id, decision="recycle", rationale="数据不足",
            rework_due_on=TODAY + timedelta(days=30))
    with tx() as s:
        rework = s.exec(select(Milestone).where(Milestone.project_id == project.id,
                                                Milestone.status == "planned")).one()
        assert rework.stage == "S2" and rework.is_gate_criterion and rework.due_on == TODAY + timedelta(days=30)
        rework_id = rework.id
    with pytest.raises(Conflict):  # the rework is must-meet: the next request waits for it
        _request(tx, project.id, w["op"].id)
    with tx() as s:
        m = s.get(Milestone, rework_id)
        _attach(s, m)  # a must-meet milestone is done only with evidence (DESIGN §3)
        milestone_svc.complete_milestone(s, s.get(User, w["op"].id), m, s.get(Project, project.id),
                                         MilestoneCompletion(version=m.version), today=TODAY)
    review_id = _request(tx, project.id, w["op"].id)
    _decide(tx, review_id, w["gk"].id, decision="hold", rationale="等待需求方")
    with pytest.raises(Conflict):
        with tx() as s:
            milestone_svc.add_milestone(s, s.get(User, w["op"].id), s.get(Project, project.id),
                                        MilestoneCreate(title="x", due_on=TODAY), today=TODAY)
    with pytest.raises(Conflict):
        with tx() as s:
            held = s.get(Project, project.id)
            project_svc.update_project(s, s.get(User, w["op"].id), held, ProjectUpdate(lead="x", version=held.version))
    with tx() as s:
        project_svc.resume_project(s, s.get(User, w["admin"].id), s.get(Project, project.id), Resume())
    review_id = _request(tx, project.id, w["op"].id)
    _decide(tx, review_id, w["admin"].id, decision="kill", rationale="终止")
    attempts = [
        lambda s, p: project_svc.resume_project(s, s.get(User, w["admin"].id), p, Resume()),
        lambda s, p: outcome_svc.record_outcome(s, None, p, OutcomeCreate(kind="licence", counterparty="x", amount=1,
                                                                          occurred_on=TODAY)),
        lambda s, p: gate_svc.request_gate_review(s, None, p, GateRequest()),
        lambda s, p: milestone_svc.add_milestone(s, None, p, MilestoneCreate(title="x", due_on=TODAY), today=TODAY),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict):
            with tx() as s:
                attempt(s, s.get(Project, project.id))
    with tx() as s:
        assert s.get(Project, project.id).status == "killed"


def test_stale_milestone_version_changes_nothing(make, w, tx):
    project = make.project(w["platform"])
    m = make.milestone(project, title="原标题")
    with pytest.raises(Conflict) as exc:
        with tx() as s:
            milestone_svc.update_milestone(s, s.get(User, w["op"].id), s.get(Milestone, m.id),
                                           s.get(Project, project.id), MilestoneUpdate(title="新", version=7),
                                           today=TODAY)
    assert "version" in exc.value.fields
    with tx() as s:
        assert s.get(Milestone, m.id).title == "原标题"


def test_every_change_is_audited_and_the_chain_verifies(make, w, tx, runner, db):
    with tx() as s:
        project = project_svc.create_project(s, s.get(User, w["op"].id), s.get(type(w["platform"]), w["platform"].id),
                                             ProjectCreate(title_zh="审计项目", lead="王工", trl_entry=2), today=TODAY)
        s.flush()
        pid = project.id
    with tx() as s:
        for m in s.exec(select(Milestone).where(Milestone.project_id == pid)).all():
            _attach(s, m)
            milestone_svc.update_milestone(s, s.get(User, w["op"].id), m, s.get(Project, pid),
                                           MilestoneUpdate(status="done", version=m.version), today=TODAY)
    review_id = _request(tx, pid, w["op"].id)
    _decide(tx, review_id, w["gk"].id, decision="conditional_go", rationale="附条件", conditions=["补充材料"])
    with tx() as s:
        outcome_svc.record_outcome(s, s.get(User, w["op"].id), s.get(Project, pid),
                                   OutcomeCreate(kind="contract", counterparty="某企业", amount=100, occurred_on=TODAY))
    events = db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    kinds = [(e.entity_type, e.action) for e in events]
    assert ("project", "create") in kinds and ("project", "gate_conditional_go") in kinds
    assert ("outcome", "create") in kinds and ("milestone", "complete") in kinds
    assert kinds.count(("milestone", "create")) == 2 + 1 + 2  # S0 template, the condition, S1 template
    assert all(e.after.get("project_id") == pid for e in events
               if e.entity_type in ("milestone", "outcome", "gate_review"))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    victim = events[3]
    from sqlalchemy import text

    db.exec(text("UPDATE audit_event SET action = 'tampered' WHERE id = :i"), params={"i": victim.id})
    db.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and str(victim.id) in result.output
    with tx() as s:
        assert audit.verify(s).first_bad_id == victim.id


# --- evidence checks --------------------------------------------------------------------------------------

def _office(prefix: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(prefix + "document.xml", "<x/>")
    return buf.getvalue()


def _plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("evil.exe", "MZ")
    return buf.getvalue()


@pytest.mark.parametrize("content,name,expected", [
    (b"%PDF-1.7\n...", "a.pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "a.png", "image/png"),
    (b"\xff\xd8\xff\xe0JFIF", "照片.jpg", "image/jpeg"),
    (_office("word/"), "a.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (_office("xl/"), "a.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (_office("ppt/"), "a.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("项目,金额\n柔性电极,100\n".encode("gb18030"), "清单.csv", "text/csv"),
    ("\ufeff纯文本说明\n".encode("utf-8"), "说明.txt", "text/plain"),
    (_plain_zip(), "a.docx", None),
    (b"MZ\x90\x00\x03\x00\x00\x00", "a.pdf", None),
    (b"<html><script>alert(1)</script>\x00", "a.txt", None),
    (b"\x7fELF\x02\x01\x01", "a.txt", None),
])
def test_evidence_type_is_decided_by_content(tmp_path, content, name, expected):
    path = tmp_path / "f"
    path.write_bytes(content)
    kind = evidence_svc.sniff(path, name)
    assert (kind[0] if kind else None) == expected


def test_evidence_limits_and_names(make, w, db, tmp_path):
    project = make.project(w["platform"])
    m = make.milestone(project)
    s = db
    with pytest.raises(TooLarge):
        evidence_svc.store_evidence(s, None, project_id=project.id, stream=io.BytesIO(b"%PDF-" + b"0" * 200),
                                    filename="a.pdf", upload_dir=str(tmp_path), max_bytes=100, milestone_id=m.id)
    with pytest.raises(Invalid) as exc:
        evidence_svc.store_evidence(s, None, project_id=project.id, stream=io.BytesIO(b""), filename="a.pdf",
                                    upload_dir=str(tmp_path), max_bytes=100, milestone_id=m.id)
    assert "file" in exc.value.fields
    assert [p for p in tmp_path.iterdir()] == []  # nothing left behind
    ev = evidence_svc.store_evidence(s, None, project_id=project.id, stream=io.BytesIO(b"%PDF-1.4"),
                                     filename="C:\\fakepath\\..\\报告.pdf", upload_dir=str(tmp_path), max_bytes=100,
                                     milestone_id=m.id)
    assert ev.original_name == "报告.pdf" and ev.stored_name.endswith(".pdf") and "报告" not in ev.stored_name
    assert (tmp_path / ev.stored_name).read_bytes() == b"%PDF-1.4"
