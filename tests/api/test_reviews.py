"""API of a reviewer's review, blind visibility, results and the self-assessment."""
import io

import pytest
from sqlmodel import select

from platform_mgr.domain.rubric import DEFAULT_RUBRIC_V1
from platform_mgr.models import AuditEvent, EvidenceFile, Score, SelfAssessment

FULL = {c.code: c.max_tenths / 10 for c in DEFAULT_RUBRIC_V1}  # 100 points


def _error(response, status, field=None):
    assert response.status_code == status, response.get_json()
    body = response.get_json()["error"]
    if field is not None:
        assert field in body["fields"], body
    return body


@pytest.fixture
def scene(make):
    platform = make.platform(code="BCI")
    reviewer = make.reviewer()
    cycle = make.cycle(state="open")
    assignment = make.assignment(cycle, reviewer, platform)
    return platform, reviewer, cycle, assignment


def _url(cycle, platform):
    return f"/api/v1/cycles/{cycle.id}/reviews/{platform.id}"


def _put(client, cycle, platform, body):
    """PUT the review carrying the version the caller just read (GET), as every client must."""
    version = client.get(_url(cycle, platform), expect=200).get_json()["version"]
    return client.put(_url(cycle, platform), json={"version": version, **body})


def test_reviewer_saves_a_draft_then_submits_which_locks(api, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    client = api(reviewer)
    draft = _put(client, cycle, platform, {"scores": {"VC1": 7.5, "SE5": "4"}, "comment": "初评"})
    assert draft.status_code == 200, draft.get_json()
    body = draft.get_json()
    assert body["review_state"] == "draft" and body["scores"] == {"VC1": 7.5, "SE5": 4.0} and body["total"] == 11.5
    assert {c["code"] for c in body["criteria"]} == set(FULL) and body["evidence"]["platform_id"] == platform.id
    assert sorted(db.exec(select(Score.points_tenths)).all()) == [40, 75]  # exact tenths
    submitted = _put(client, cycle, platform, {"scores": FULL, "comment": "终评", "submit": True})
    assert submitted.status_code == 200 and submitted.get_json()["review_state"] == "submitted"
    assert submitted.get_json()["total"] == 100.0
    locked = _put(client, cycle, platform, {"scores": {"VC1": 1}})
    body = _error(locked, 409)
    assert "锁定" in body["message"] and body["code"] == "review_submitted"  # the default language is Chinese
    db.refresh(assignment)
    assert assignment.review_state == "submitted" and assignment.submitted_at is not None
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "assignment")).all()
    assert actions == ["save_draft", "submit"]


@pytest.mark.parametrize("scores,field", [
    ({"VC1": 8.1}, "VC1"),           # above the maximum of 8
    ({"VC1": -1}, "VC1"),
    ({"VC1": 7.55}, "VC1"),          # two decimals
    ({"VC1": "abc"}, "VC1"),
    ({"VC1": True}, "VC1"),
    ({"XX9": 3}, "XX9"),             # unknown criterion
])
def test_bad_points_are_422_naming_the_criterion_and_write_nothing(api, db, scene, scores, field):
    platform, reviewer, cycle, assignment = scene
    response = _put(api(reviewer), cycle, platform, {"scores": {"SE1": 5, **scores}})
    body = _error(response, 422, field)
    assert field in body["message"] or field in body["fields"]
    assert db.exec(select(Score)).all() == []
    db.refresh(assignment)
    assert assignment.review_state == "not_started"


def test_submitting_needs_every_criterion_unless_a_conflict_is_declared(api, db, scene):
    platform, reviewer, cycle, assignment = scene
    client = api(reviewer)
    partial = {k: v for k, v in FULL.items() if k != "OM4"}
    _error(_put(client, cycle, platform, {"scores": partial, "submit": True}), 422, "OM4")
    ok = _put(client, cycle, platform, {"conflict": True, "conflict_note": "曾任该平台顾问", "submit": True})
    assert ok.status_code == 200 and ok.get_json()["conflict"] is True


def test_messages_follow_the_callers_language(api, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    reviewer.preferred_lang = "en"
    db.add(reviewer)
    db.commit()
    body = _error(_put(api(reviewer), cycle, platform, {"scores": {"VC1": 9}}), 422, "VC1")
    assert body["fields"]["VC1"] == "Points for VC1 must be between 0 and 8.0"
    reviewer.preferred_lang = "zh_Hans_CN"
    db.add(reviewer)
    db.commit()
    body = _error(_put(api(reviewer), cycle, platform, {"scores": {"VC1": 9}}), 422, "VC1")
    assert body["fields"]["VC1"] == "指标 VC1：分值须在 0–8.0 之间"


def test_stale_version_is_409(api, db, scene):
    platform, reviewer, cycle, assignment = scene
    client = api(reviewer)
    client.put(_url(cycle, platform), json={"scores": {"VC1": 5}, "version": assignment.version}, expect=200)
    _error(client.put(_url(cycle, platform), json={"scores": {"VC1": 6}, "version": assignment.version}), 409, "version")
    assert db.exec(select(Score.points_tenths)).all() == [50]


@pytest.mark.parametrize("state", ["draft", "closed", "published"])
def test_nothing_is_accepted_unless_the_cycle_is_open(api, make, db, state):
    platform, reviewer = make.platform(), make.reviewer()
    cycle = make.cycle(state=state)
    make.assignment(cycle, reviewer, platform)
    body = {"scores": {"VC1": 5}, "version": 1}  # a new assignment's version
    assert _error(api(reviewer).put(_url(cycle, platform), json=body), 409)["code"] == f"cycle_{state}"
    assert db.exec(select(Score)).all() == []


def test_only_the_assigned_reviewer_scores(api, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    other_platform = make.platform()
    body = {"scores": {"VC1": 5}, "version": assignment.version}
    assert api(reviewer).put(_url(cycle, other_platform), json=body).status_code == 403
    assert api(make.reviewer()).put(_url(cycle, platform), json=body).status_code == 403
    assert api(make.admin()).put(_url(cycle, platform), json=body).status_code == 403
    assert api(make.operator(platform)).get(_url(cycle, platform)).status_code == 403
    assert api(make.reviewer()).get(_url(cycle, platform)).status_code == 403
    assert api(reviewer).get(f"/api/v1/cycles/{cycle.id}/reviews/99999").status_code == 404
    assert db.exec(select(Score)).all() == []


def test_blind_until_the_cycle_is_closed(api, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    colleague = make.reviewer()
    make.review(cycle, colleague, platform, 50)
    mine = api(reviewer).get(_url(cycle, platform)).get_json()
    assert mine["others"] is None and mine["reviewer_id"] == reviewer.id
    assert api(reviewer).get(f"/api/v1/cycles/{cycle.id}/results").status_code == 403
    cycle.state = "closed"
    db.add(cycle)
    db.commit()
    after = api(reviewer).get(_url(cycle, platform)).get_json()
    assert len(after["others"]) == 1 and after["others"][0]["total"] == 50.0
    assert after["others"][0]["reviewer"] == "A"  # anonymised
    # admins read any reviewer's review
    admin = api(make.admin())
    assert admin.get(_url(cycle, platform) + f"?reviewer_id={colleague.id}").get_json()["total"] == 50.0


# --- results ---------------------------------------------------------------------------------------

def test_results_follow_design_4_and_visibility_rules(api, make, db):
    p1, p2 = make.platform(code="AAA"), make.platform(code="BBB")
    reviewers = [make.reviewer(display_name=f"R{i}") for i in range(6)]
    cycle = make.cycle(state="open")
    # p1: five counted reviews 90, 80, 70, 60, 100 → trimmed mean of 70, 80, 90 = 80; spread 40 → disputed
    for r, pct in zip(reviewers, (90, 80, 70, 60, 100)):
        make.review(cycle, r, p1, pct)
    make.review(cycle, reviewers[5], p1, 10, submitted=False)  # a draft never counts
    # p2: 70 and 80 counted; a conflicted 20 does not count
    make.review(cycle, reviewers[0], p2, 70)
    make.review(cycle, reviewers[1], p2, 80)
    make.review(cycle, reviewers[2], p2, 20, conflict=True)
    admin = api(make.admin())
    body = admin.get(f"/api/v1/cycles/{cycle.id}/results").get_json()
    assert body["provisional"] is True and body["dispute_spread"] == 20
    first, second = body["items"]
    assert (first["code"], first["n_reviews"], first["total"], first["min"], first["max"], first["disputed"]) == \
        ("AAA", 5, 80.0, 60.0, 100.0, True)
    assert first["rank"] == 1 and first["dimensions"]["verification"] == 24.0  # mean of 27, 24, 21 (60 and 100 trimmed, as in the total)
    assert (second["n_reviews"], second["total"], second["disputed"], second["std"]) == (2, 75.0, False, 5.0)
    states = {(r["reviewer"], r["counted"]) for r in first["reviews"]}
    assert ("R5", False) in states and len(first["reviews"]) == 6
    stats = {s["reviewer"]: s for s in body["reviewers"]}
    assert stats["R0"]["counted"] == 2 and stats["R2"]["counted"] == 1 and stats["R2"]["submitted"] == 2
    # before publication only admins; once published everyone, without the per-reviewer breakdown
    operator = api(make.operator(p1))
    assert operator.get(f"/api/v1/cycles/{cycle.id}/results").status_code == 403
    assert api(reviewers[0]).get(f"/api/v1/cycles/{cycle.id}/results").status_code == 403
    cycle.state = "published"
    db.add(cycle)
    db.commit()
    public = operator.get(f"/api/v1/cycles/{cycle.id}/results").get_json()
    assert public["items"][0]["total"] == 80.0 and "reviews" not in public["items"][0]
    assert "reviewers" not in public and "reviewer_totals" not in public["items"][0]


# --- self-assessment ---------------------------------------------------------------------------

def test_operator_writes_the_self_assessment_and_assigned_reviewers_read_it(api, make, db, scene, app):
    platform, reviewer, cycle, assignment = scene
    operator = make.operator(platform)
    url = f"/api/v1/cycles/{cycle.id}/self-assessments/{platform.id}"
    client = api(operator)
    written = client.put(url, json={"verification": "开放设备 42 台", "service": "通过阶段门 9 次", "version": 0})
    assert written.status_code == 200 and written.get_json()["version"] == 1
    _error(client.put(url, json={"operating": "x", "version": 0}), 409, "version")
    pdf = (io.BytesIO(b"%PDF-1.4 test"), "自评报告.pdf")
    attached = client.post(url + "/attachments", data={"file": pdf}, content_type="multipart/form-data")
    assert attached.status_code == 201, attached.get_json()
    file_id = attached.get_json()["attachments"][0]["id"]
    # the reviewer sees it beside the scoring form, and may download the file
    review = api(reviewer).get(_url(cycle, platform)).get_json()
    assert review["self_assessment"]["verification"] == "开放设备 42 台"
    download = api(reviewer).get(f"/api/v1/self-assessment-files/{file_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 test"
    # others may not
    other_platform = make.platform()
    assert api(make.operator(other_platform)).put(url, json={"service": "x", "version": 1}).status_code == 403
    assert api(make.operator(other_platform)).get(f"/api/v1/self-assessment-files/{file_id}").status_code == 403
    assert api(make.reviewer()).get(url).status_code == 403
    stored = db.exec(select(EvidenceFile)).one()
    assert stored.original_name == "自评报告.pdf" and stored.stored_name != stored.original_name


def test_self_assessment_refuses_bad_files_and_closed_cycles(api, make, db):
    platform = make.platform()
    operator = make.operator(platform)
    cycle = make.cycle()
    url = f"/api/v1/cycles/{cycle.id}/self-assessments/{platform.id}"
    client = api(operator)
    fake = (io.BytesIO(b"MZ\x90\x00 not a pdf"), "report.pdf")
    _error(client.post(url + "/attachments", data={"file": fake}, content_type="multipart/form-data"), 422, "file")
    exe = (io.BytesIO(b"MZ"), "tool.exe")
    _error(client.post(url + "/attachments", data={"file": exe}, content_type="multipart/form-data"), 422, "file")
    _error(client.put(url, json={"service": "x" * 8001, "version": 0}), 422, "service")
    assert db.exec(select(EvidenceFile)).all() == [] and db.exec(select(SelfAssessment)).all() == []
    closed = make.cycle(state="closed")
    closed_url = f"/api/v1/cycles/{closed.id}/self-assessments/{platform.id}"
    _error(client.put(closed_url, json={"service": "x", "version": 0}), 409)


# --- versions on every write (DESIGN §7: every write of a versioned object carries the version it read) --------

def _sa_url(cycle, platform):
    return f"/api/v1/cycles/{cycle.id}/self-assessments/{platform.id}"


def test_a_review_write_without_a_version_is_422_naming_it_and_writes_nothing(api, db, scene):
    platform, reviewer, cycle, assignment = scene
    body = _error(api(reviewer).put(_url(cycle, platform), json={"scores": {"VC1": 5}, "comment": "无版本"}), 422,
                  "version")
    assert body["code"] == "invalid" and list(body["fields"]) == ["version"]
    assert body["fields"]["version"] == "此项为必填项。"  # "This field is required." in the default language
    _error(api(reviewer).put(_url(cycle, platform), json={"scores": {"VC1": 5}, "version": None}), 422, "version")
    db.refresh(assignment)
    assert (assignment.version, assignment.comment, assignment.review_state) == (1, "", "not_started")
    assert db.exec(select(Score)).all() == []
    assert db.exec(select(AuditEvent).where(AuditEvent.entity_type == "assignment")).all() == []


def test_a_review_write_with_the_version_read_is_200_and_moves_the_version_on(api, db, scene):
    platform, reviewer, cycle, assignment = scene
    client = api(reviewer)
    read = client.get(_url(cycle, platform), expect=200).get_json()
    assert read["version"] == 1
    first = client.put(_url(cycle, platform), json={"scores": {"VC1": 5}, "version": 1}, expect=200).get_json()
    assert first["version"] == 2 and first["scores"] == {"VC1": 5.0}
    second = client.put(_url(cycle, platform), json={"scores": {"VC1": 6}, "version": 2}, expect=200).get_json()
    assert second["version"] == 3 and client.get(_url(cycle, platform), expect=200).get_json()["version"] == 3
    db.refresh(assignment)
    assert assignment.version == 3


def test_a_stale_review_write_is_409_and_changes_nothing(api, db, scene):
    """Two tabs read version 1; the first saves, the second is refused instead of overwriting it."""
    platform, reviewer, cycle, assignment = scene
    client = api(reviewer)
    client.put(_url(cycle, platform), json={"scores": {"VC1": 5}, "comment": "第一个标签页", "version": 1}, expect=200)
    body = _error(client.put(_url(cycle, platform), json={"scores": {"VC1": 6}, "comment": "第二个标签页", "version": 1}),
                  409, "version")
    assert body["code"] == "conflict"  # as for any stale version (projects, milestones, cycles)
    _error(client.put(_url(cycle, platform), json={"scores": {}, "version": 3}), 409, "version")  # ahead is stale too
    db.refresh(assignment)
    assert (assignment.version, assignment.comment) == (2, "第一个标签页")
    assert db.exec(select(Score.points_tenths)).all() == [50]
    assert db.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "assignment")).all() == ["save_draft"]


def test_a_write_that_changes_only_scores_still_moves_the_version_on(api, db, scene):
    """The scores are rows of their own: without the assignment's version moving on, two tabs that both read it
    and changed only points would both be accepted, and the first one's points silently lost."""
    platform, reviewer, cycle, assignment = scene
    client = api(reviewer)
    client.put(_url(cycle, platform), json={"scores": {"VC1": 5}, "version": 1}, expect=200)
    tab1 = client.put(_url(cycle, platform), json={"scores": {"VC1": 6}, "version": 2}, expect=200).get_json()
    assert tab1["version"] == 3
    _error(client.put(_url(cycle, platform), json={"scores": {"VC1": 7}, "version": 2}), 409, "version")  # tab 2
    assert db.exec(select(Score.points_tenths)).all() == [60]


def test_a_self_assessment_write_without_a_version_is_422_naming_it(api, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    client = api(make.operator(platform))
    body = _error(client.put(_sa_url(cycle, platform), json={"service": "无版本"}), 422, "version")
    assert body["code"] == "invalid" and list(body["fields"]) == ["version"]
    client.put(_sa_url(cycle, platform), json={"service": "首次", "version": 0}, expect=200)
    _error(client.put(_sa_url(cycle, platform), json={"service": "无版本"}), 422, "version")  # nor once it exists
    assert db.exec(select(SelfAssessment.service)).all() == ["首次"]


def test_a_self_assessment_starts_at_version_0_and_each_write_moves_it_on(api, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    client = api(make.operator(platform))
    assert client.get(_sa_url(cycle, platform), expect=200).get_json()["version"] == 0  # none yet
    first = client.put(_sa_url(cycle, platform), json={"verification": "设备 42 台", "version": 0}, expect=200)
    assert first.get_json()["version"] == 1
    read = client.get(_sa_url(cycle, platform), expect=200).get_json()
    second = client.put(_sa_url(cycle, platform), json={"service": "服务 9 次", "version": read["version"]},
                        expect=200).get_json()
    assert (second["version"], second["verification"], second["service"]) == (2, "设备 42 台", "服务 9 次")
    same = client.put(_sa_url(cycle, platform), json={"service": "服务 9 次", "version": 2}, expect=200).get_json()
    assert same["version"] == 3  # an accepted write is a new version even when the text is the same


def test_a_stale_self_assessment_write_is_409_and_keeps_the_colleagues_text(api, make, db, scene):
    """Two operators of the platform read version 1; the second one's write is refused, not silently applied."""
    platform, reviewer, cycle, assignment = scene
    alice, bob = api(make.operator(platform)), api(make.operator(platform))
    alice.put(_sa_url(cycle, platform), json={"operating": "初稿", "version": 0}, expect=200)
    read_by_alice = alice.get(_sa_url(cycle, platform), expect=200).get_json()["version"]
    read_by_bob = bob.get(_sa_url(cycle, platform), expect=200).get_json()["version"]
    alice.put(_sa_url(cycle, platform), json={"operating": "甲的修改", "version": read_by_alice}, expect=200)
    body = _error(bob.put(_sa_url(cycle, platform), json={"operating": "乙的修改", "version": read_by_bob}), 409,
                  "version")
    assert body["code"] == "conflict"
    # a second first write (version 0 once it exists) is stale as well
    _error(bob.put(_sa_url(cycle, platform), json={"operating": "乙的修改", "version": 0}), 409, "version")
    sa = db.exec(select(SelfAssessment)).one()
    db.refresh(sa)
    assert (sa.operating, sa.version) == ("甲的修改", 2)
    actions = db.exec(select(AuditEvent.action).where(AuditEvent.entity_type == "self_assessment")).all()
    assert actions == ["create", "update"]


def test_two_first_self_assessment_writes_at_the_same_moment_give_one_200_and_one_409(api, make, db, scene,
                                                                                    monkeypatch):
    """The race `bench/load.py` found on PostgreSQL: both read "none yet" (version 0); the second insert hits the
    unique (cycle, platform) key. It is a 409 naming nothing lost, never a 500, and the first text stays."""
    from platform_mgr.services import self_assessments as sa_svc

    platform, reviewer, cycle, assignment = scene
    client = api(make.operator(platform))
    client.put(_sa_url(cycle, platform), json={"operating": "先到", "version": 0}, expect=200)
    monkeypatch.setattr(sa_svc, "get_self_assessment", lambda session, cycle_id, platform_id: None)  # read before
    body = _error(client.put(_sa_url(cycle, platform), json={"operating": "后到", "version": 0}), 409)
    assert body["code"] == "conflict"
    assert db.exec(select(SelfAssessment.operating)).all() == ["先到"]


def test_an_attachment_uploaded_while_a_colleague_creates_the_self_assessment_joins_theirs(app, make, db, scene,
                                                                                          monkeypatch):
    """get_or_create's race: it read "none yet", a colleague's row is there by the insert; it uses theirs, in the
    same transaction (the failed insert is undone by its savepoint, not the whole transaction)."""
    from platform_mgr.db import get_engine, new_session
    from platform_mgr.models import Platform, ReviewCycle
    from platform_mgr.services import self_assessments as sa_svc

    platform, reviewer, cycle, assignment = scene
    real = sa_svc.get_self_assessment
    with new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"])) as s:
        s.add(SelfAssessment(cycle_id=cycle.id, platform_id=platform.id, operating="同事的"))
        s.commit()
    calls = []
    monkeypatch.setattr(sa_svc, "get_self_assessment",
                        lambda session, cycle_id, platform_id: calls.append(1) or (
                            None if len(calls) == 1 else real(session, cycle_id, platform_id)))
    with new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"])) as s:
        sa = sa_svc.get_or_create(s, s.get(ReviewCycle, cycle.id), s.get(Platform, platform.id))
        assert sa.operating == "同事的"
        s.commit()
    assert db.exec(select(SelfAssessment.operating)).all() == ["同事的"]
