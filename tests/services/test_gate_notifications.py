"""Requesting and deciding a gate tells the right people once."""
from datetime import date

from sqlmodel import select

from platform_mgr.models import Notification


def _inbox(db, user):
    db.expire_all()
    return db.exec(select(Notification).where(Notification.recipient_id == user.id)).all()


def test_request_and_decision_notify_gatekeepers_admins_and_operators(api, make, db):
    platform = make.platform(code="BCI")
    other = make.platform(code="SIPH")
    operator = make.operator(platform)
    colleague = make.operator(platform)
    stranger = make.operator(other)
    gatekeeper = make.reviewer(gatekeeper_of=[platform])
    other_gatekeeper = make.reviewer(gatekeeper_of=[other])
    admin = make.admin()
    project = make.project(platform, stage="S0", title_zh="柔性电极")
    make.milestone(project, stage="S0", is_gate_criterion=True, status="done", completed_on=date(2026, 10, 1))

    response = api(operator).post(f"/api/v1/projects/{project.id}/gate-reviews", json={"note": "请评审"})
    assert response.status_code == 201, response.get_json()
    review_id = response.get_json()["id"]
    for person in (gatekeeper, admin):
        [note] = _inbox(db, person)
        assert note.kind == "gate_requested" and "柔性电极" in note.subject_zh and note.link == f"/projects/{project.id}"
        assert note.subject_zh.startswith("阶段评审申请：柔性电极（") and note.subject_zh.endswith("）")
        assert note.subject_en.startswith("Gate review requested: 柔性电极 (")  # no English title: the Chinese one
    for person in (operator, colleague, stranger, other_gatekeeper):
        assert _inbox(db, person) == []

    response = api(gatekeeper).post(f"/api/v1/gate-reviews/{review_id}/decision",
                                    json={"decision": "go", "rationale": "材料齐全"})
    assert response.status_code == 200, response.get_json()
    for person in (operator, colleague):
        decided = [n for n in _inbox(db, person) if n.kind == "gate_decided"]
        assert len(decided) == 1 and "通过" in decided[0].subject_zh and "Go" in decided[0].subject_en
        assert decided[0].body_zh.endswith("的决定：通过。理由：材料齐全")
        assert decided[0].body_en.endswith("was decided: Go. Rationale: 材料齐全")
    assert [n.kind for n in _inbox(db, gatekeeper)] == ["gate_requested"]  # the decider is not told
    assert _inbox(db, stranger) == []
