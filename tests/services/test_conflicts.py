"""Conflicts of interest (DESIGN §10): rules C1–C4 refuse an assignment with 409 ``conflict_of_interest`` naming
the rule; a declaration (C2) has a kind and a note; every change of a host institution, an affiliation, an
institution's parent, a gatekeeper binding or a declaration rechecks the assignments of draft and open cycles —
one that now conflicts is marked, its review stops counting and the admins are notified — and never touches a
closed cycle."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from platform_mgr.domain.institutions import conflict_rules
from platform_mgr.models import Assignment, AuditEvent, Institution, Notification
from platform_mgr.queries.scores import load_review_inputs
from platform_mgr.services.assignments import balanced_suggestion

OPENED = datetime(2026, 11, 1, tzinfo=timezone.utc)
HOST = "华东脑机智能研究院"


def _institution(db, name_zh, parent=None):
    from platform_mgr.domain.institutions import normalise

    row = Institution(name_zh=name_zh, name_key=normalise(name_zh), parent_id=parent.id if parent else None)
    db.add(row)
    db.commit()
    return row


def _assignment(db, assignment_id) -> Assignment:
    db.expire_all()
    return db.get(Assignment, assignment_id)


def _counted(db, cycle, assignment) -> bool:
    db.expire_all()
    _criteria, reviews = load_review_inputs(db, cycle)
    [review] = [r for r in reviews if (r.reviewer_id, r.platform_id) == (assignment.reviewer_id, assignment.platform_id)]
    return review.is_counted


@pytest.mark.parametrize("rules,kw", [
    ([], {}),
    (["C1_INSTITUTION"], {"reviewer": {7, "甲"}, "host": {7}}),
    (["C1_INSTITUTION"], {"reviewer": {None, "甲"}, "host": {"甲", 3}}),
    ([], {"reviewer": {None, ""}, "host": {None, ""}}),
    (["C2_DECLARED"], {"declared": True}),
    (["C3_GATEKEEPER"], {"gatekeeper": True}),
    ([], {"gatekeeper": True, "gatekeeper_rule": False}),
    (["C4_OPERATOR"], {"operator": True}),
    (["C1_INSTITUTION", "C2_DECLARED", "C3_GATEKEEPER", "C4_OPERATOR"],
     {"reviewer": {1}, "host": {1}, "declared": True, "gatekeeper": True, "operator": True}),
])
def test_the_rules_as_a_table(rules, kw):
    reviewer, host = frozenset(kw.pop("reviewer", set())), frozenset(kw.pop("host", set()))
    assert conflict_rules(reviewer, host, **kw) == rules


@pytest.mark.parametrize("affiliation", [HOST + "\u200b", "華東腦機智能研究院", "华东脑机　智能研究院", " 華東腦機智能研究院\ufeff"])
def test_variants_of_the_host_name_are_refused_with_c1(make, db, api, affiliation):
    admin = make.admin()
    platform = make.platform(host_institution=HOST)
    reviewer = make.reviewer(affiliation=affiliation)
    cycle = make.cycle(state="open", opened_at=OPENED)
    answer = api(admin).post(f"/api/v1/cycles/{cycle.id}/assignments",
                             json={"reviewer_id": reviewer.id, "platform_id": platform.id}, expect=409).json
    assert answer["error"]["code"] == "conflict_of_interest" and "C1_INSTITUTION" in answer["error"]["message"]
    assert "reviewer_id" in answer["error"]["fields"]


def test_parent_and_child_institutions_conflict(make, db, api):
    admin = make.admin()
    university = _institution(db, "复兴大学")
    hospital = _institution(db, "复兴大学附属医院", parent=university)
    platform = make.platform(host_institution=university.name_zh, institution_id=university.id)
    reviewer = make.reviewer(affiliation=hospital.name_zh, institution_id=hospital.id)
    cycle = make.cycle(state="open", opened_at=OPENED)
    answer = api(admin).post(f"/api/v1/cycles/{cycle.id}/assignments",
                             json={"reviewer_id": reviewer.id, "platform_id": platform.id}, expect=409).json
    assert "C1_INSTITUTION" in answer["error"]["message"]


def test_a_gatekeeper_does_not_score_their_platform(make, db, api):
    admin = make.admin()
    platform = make.platform()
    gatekeeper = make.reviewer(gatekeeper_of=[platform])
    cycle = make.cycle(state="open", opened_at=OPENED)
    answer = api(admin).post(f"/api/v1/cycles/{cycle.id}/assignments",
                             json={"reviewer_id": gatekeeper.id, "platform_id": platform.id}, expect=409).json
    assert answer["error"]["code"] == "conflict_of_interest" and "C3_GATEKEEPER" in answer["error"]["message"]
    assert balanced_suggestion(db, cycle, 1).pairs == []  # never proposed either
    other = make.reviewer()
    made = api(admin).post(f"/api/v1/cycles/{cycle.id}/assignments",
                           json={"reviewer_id": other.id, "platform_id": platform.id}, expect=201).json
    assert made["conflicted"] is False and made["conflict_rules"] == []


def test_changing_the_host_marks_live_assignments_and_leaves_closed_cycles_alone(make, db, api):
    admin, other_admin = make.admin(), make.admin()
    platform = make.platform(host_institution="东岳研究院")
    reviewer = make.reviewer(affiliation=HOST)
    live = make.cycle(state="open", opened_at=OPENED)
    closed = make.cycle(state="closed", opened_at=OPENED, closed_at=OPENED)
    a_live = make.review(live, reviewer, platform, 100)
    a_closed = make.review(closed, reviewer, platform, 100)
    assert _counted(db, live, a_live)
    api(admin).patch(f"/api/v1/platforms/{platform.id}", json={"host_institution": "華東腦機智能研究院"}, expect=200)
    marked = _assignment(db, a_live.id)
    assert marked.conflicted and marked.conflict_rules == ["C1_INSTITUTION"]
    assert not _counted(db, live, a_live)
    untouched = _assignment(db, a_closed.id)
    assert not untouched.conflicted and untouched.conflict_rules == [] and _counted(db, closed, a_closed)
    notes = db.exec(select(Notification).where(Notification.kind == "assignment_conflicted")).all()
    assert sorted(n.recipient_id for n in notes) == sorted([admin.id, other_admin.id])
    assert "C1" in notes[0].body_zh + notes[0].body_en
    events = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "assignment", AuditEvent.action == "conflict")).all()
    assert [e.entity_id for e in events] == [a_live.id]
    listed = api(admin).get(f"/api/v1/cycles/{live.id}/assignments", expect=200).json["items"]
    assert [(x["id"], x["conflicted"], x["conflict_rules"]) for x in listed] == [(a_live.id, True, ["C1_INSTITUTION"])]
    # moving the host away again clears the mark
    api(admin).patch(f"/api/v1/platforms/{platform.id}", json={"host_institution": "东岳研究院"}, expect=200)
    assert not _assignment(db, a_live.id).conflicted and _counted(db, live, a_live)


def test_changing_an_affiliation_or_a_parent_or_a_binding_rechecks(make, db, api, auth, client):
    admin = make.admin()
    university = _institution(db, "复兴大学")
    hospital = _institution(db, "复兴大学附属医院")
    p1 = make.platform(host_institution=university.name_zh, institution_id=university.id)
    p2 = make.platform()
    p3 = make.platform()
    reviewer = make.reviewer(affiliation=hospital.name_zh, institution_id=hospital.id)
    mover = make.reviewer(affiliation="科技发展研究中心")
    cycle = make.cycle(state="draft")
    a1 = make.assignment(cycle, reviewer, p1)
    a2 = make.assignment(cycle, mover, p2)
    a3 = make.assignment(cycle, mover, p3)
    # the hospital becomes the university's: C1 through the parent
    api(admin).patch(f"/api/v1/institutions/{hospital.id}", json={"parent_id": university.id}, expect=200)
    assert _assignment(db, a1.id).conflict_rules == ["C1_INSTITUTION"]
    # the mover's affiliation becomes p2's host
    auth.login(admin.email)
    client.post(f"/admin/users/{mover.id}", data={"display_name": mover.display_name, "role": "reviewer",
                                                  "affiliation": p2.host_institution}, expect=302)
    assert _assignment(db, a2.id).conflict_rules == ["C1_INSTITUTION"]
    # the mover is named p3's gatekeeper
    client.post(f"/admin/platforms/{p3.id}/gatekeepers", data={"gatekeeper-user_id": str(mover.id)}, expect=302)
    assert _assignment(db, a3.id).conflict_rules == ["C3_GATEKEEPER"]


def test_a_declaration_has_a_kind_and_a_note_and_stops_counting_at_once(make, db, api):
    admin = make.admin()
    platform = make.platform()
    reviewer, other = make.reviewer(), make.reviewer()
    cycle = make.cycle(state="open", opened_at=OPENED)
    assignment = make.review(cycle, reviewer, platform, 90)
    url = f"/api/v1/cycles/{cycle.id}/assignments/{assignment.id}/conflict"
    api(other).post(url, json={"kind": "family", "note": "x"}, expect=403)
    bad = api(reviewer).post(url, json={"kind": "neighbour", "note": ""}, expect=422).json
    assert {"kind", "note"} <= set(bad["error"]["fields"])
    out = api(reviewer).post(url, json={"kind": "employment", "note": "2024 年起兼职"}, expect=200).json
    assert out["conflicted"] is True and out["conflict_rules"] == ["C2_DECLARED"]
    row = _assignment(db, assignment.id)
    assert (row.conflict_declared, row.conflict_kind, row.conflict_note) == (True, "employment", "2024 年起兼职")
    assert not _counted(db, cycle, assignment)
    assert db.exec(select(Notification).where(Notification.kind == "assignment_conflicted",
                                              Notification.recipient_id == admin.id)).first() is not None
    closed = make.cycle(state="closed", opened_at=OPENED, closed_at=OPENED)
    old = make.review(closed, reviewer, platform, 90)
    refused = api(reviewer).post(f"/api/v1/cycles/{closed.id}/assignments/{old.id}/conflict",
                                 json={"kind": "family", "note": "x"}, expect=409).json
    assert refused["error"]["code"] == "cycle_closed"


def test_the_review_page_declares_with_a_kind(make, db, auth, client):
    admin = make.admin()
    platform = make.platform()
    reviewer = make.reviewer()
    cycle = make.cycle(state="open", opened_at=OPENED)
    assignment = make.assignment(cycle, reviewer, platform)
    auth.login(reviewer.email)
    page = client.get(f"/reviews/{cycle.id}/{platform.id}", expect=200).get_data(as_text=True)
    assert 'name="conflict_kind"' in page and "共同申报人" in page
    client.post(f"/reviews/{cycle.id}/{platform.id}", data={"conflict": "y", "conflict_kind": "co_applicant",
                                                             "conflict_note": "共同申报 2025 年项目",
                                                             "action": "draft", "version": "1"}, expect=302)
    row = _assignment(db, assignment.id)
    assert (row.conflicted, row.conflict_rules, row.conflict_kind) == (True, ["C2_DECLARED"], "co_applicant")
    assert db.exec(select(Notification).where(Notification.kind == "assignment_conflicted",
                                              Notification.recipient_id == admin.id)).first() is not None
