"""The reviewer's pages (my reviews, scoring) and the operator's self-assessment page."""
import io
import re
from datetime import date

import pytest
from sqlmodel import select

from platform_mgr.domain.rubric import DEFAULT_RUBRIC_V1
from platform_mgr.models import Assignment, EvidenceFile, Score, SelfAssessment

FULL = {c.code: str(c.max_tenths / 10) for c in DEFAULT_RUBRIC_V1}


def _version(client, url) -> str:
    """The version the page read, from its hidden field (what a browser sends back)."""
    page = client.get(url, expect=200).get_data(as_text=True)
    return re.search(r'<input id="version" name="version" type="hidden" value="(\d+)"', page).group(1)


@pytest.fixture
def scene(make):
    platform = make.platform(code="BCI", name_zh="脑机接口平台", name_en="BCI platform")
    reviewer = make.reviewer()
    cycle = make.cycle(state="open")
    assignment = make.assignment(cycle, reviewer, platform)
    return platform, reviewer, cycle, assignment


def test_my_reviews_lists_assignments_with_progress(client, auth, make, scene):
    platform, reviewer, cycle, assignment = scene
    other = make.platform(code="SIPH")
    make.review(cycle, reviewer, other, 80)
    auth.login(reviewer.email)
    page = client.get("/reviews/?lang=en").get_data(as_text=True)
    assert "My reviews" in page and "BCI" in page and "SIPH" in page
    assert "1 of 2 submitted" in page and "13/13" in page


def test_scoring_page_shows_criteria_evidence_and_self_assessment(client, auth, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    project = make.project(platform, stage="S2", trl_entry=3, trl_current=5, started_on=date(2026, 2, 1))
    make.outcome(project, kind="licence", amount=1_200_000, occurred_on=date(2026, 5, 1))
    db.add(SelfAssessment(cycle_id=cycle.id, platform_id=platform.id, verification="开放设备四十二台"))
    db.commit()
    auth.login(reviewer.email)
    page = client.get(f"/reviews/{cycle.id}/{platform.id}?lang=en").get_data(as_text=True)
    assert "Facilities and equipment open to users" in page and "/ 8.0" in page
    assert "Guidance" in page and "Evidence panel" in page and "Median TRL gain" in page
    assert "开放设备四十二台" in page
    zh = client.get(f"/reviews/{cycle.id}/{platform.id}?lang=zh").get_data(as_text=True)
    assert "面向用户开放的设施与设备" in zh and "证据面板" in zh


def test_save_draft_then_submit_locks(client, auth, db, scene):
    platform, reviewer, cycle, assignment = scene
    auth.login(reviewer.email)
    url = f"/reviews/{cycle.id}/{platform.id}"
    draft = client.post(url, data={"VC1": "7.5", "comment": "初评", "action": "draft", "version": _version(client, url)})
    assert draft.status_code == 302
    db.refresh(assignment)
    assert assignment.review_state == "draft" and db.exec(select(Score.points_tenths)).all() == [75]
    incomplete = client.post(url + "?lang=en",
                             data={"VC1": "7.5", "action": "submit", "version": _version(client, url)})
    assert incomplete.status_code == 422 and "Criterion OM4 has not been scored" in incomplete.get_data(as_text=True)
    db.refresh(assignment)
    assert assignment.review_state == "draft"
    done = client.post(url, data={**FULL, "action": "submit", "version": _version(client, url)})
    assert done.status_code == 302
    db.refresh(assignment)
    assert assignment.review_state == "submitted"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "A submitted review is locked." in page and 'name="action"' not in page
    again = client.post(url + "?lang=en",
                        data={**FULL, "VC1": "1", "action": "draft", "version": _version(client, url)})
    assert again.status_code == 409 and "locked" in again.get_data(as_text=True)
    assert sorted(db.exec(select(Score.points_tenths)).all())[0] != 10


def test_points_out_of_range_are_shown_on_the_criterion(client, auth, db, scene):
    platform, reviewer, cycle, assignment = scene
    auth.login(reviewer.email)
    response = client.post(f"/reviews/{cycle.id}/{platform.id}?lang=en", data={"VC1": "9", "action": "draft",
                                                                               "version": str(assignment.version)})
    assert response.status_code == 422
    assert "Points for VC1 must be between 0 and 8.0" in response.get_data(as_text=True)
    assert db.exec(select(Score)).all() == []


def test_only_the_assigned_reviewer_may_open_the_scoring_page(client, auth, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    auth.login(make.reviewer().email)
    assert client.get(f"/reviews/{cycle.id}/{platform.id}").status_code == 403
    form = {"VC1": "1", "action": "draft", "version": str(assignment.version)}
    assert client.post(f"/reviews/{cycle.id}/{platform.id}", data=form).status_code == 403
    auth.logout()
    auth.login(make.operator(platform).email)
    assert client.get(f"/reviews/{cycle.id}/{platform.id}").status_code == 403
    assert db.exec(select(Score)).all() == []


def test_other_reviewers_scores_appear_only_after_close(client, auth, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    make.review(cycle, make.reviewer(), platform, 50)
    auth.login(reviewer.email)
    url = f"/reviews/{cycle.id}/{platform.id}?lang=en"
    assert "The other reviewers" not in client.get(url).get_data(as_text=True)
    cycle.state = "closed"
    db.add(cycle)
    db.commit()
    page = client.get(url).get_data(as_text=True)
    assert "The other reviewers" in page and "Reviewer A" in page and "50.0" in page
    assert client.post(url, data={"VC1": "1", "action": "draft", "version": _version(client, url)}).status_code == 409


def test_operator_writes_the_self_assessment_with_attachments(client, auth, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    operator = make.operator(platform)
    auth.login(operator.email)
    url = f"/reviews/{cycle.id}/self-assessment/{platform.id}"
    assert "BCI" in client.get("/reviews/").get_data(as_text=True)
    saved = client.post(url, data={"verification": "设备开放", "service": "服务成效", "operating": "运营", "version": "0"})
    assert saved.status_code == 302
    assert db.exec(select(SelfAssessment)).one().verification == "设备开放"
    stale = client.post(url, data={"verification": "旧", "service": "", "operating": "", "version": "0"})
    assert stale.status_code == 409
    upload = client.post(url + "/attachments", data={"file": (io.BytesIO(b"%PDF-1.7 x"), "说明.pdf")},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    file = db.exec(select(EvidenceFile)).one()
    bad = client.post(url + "/attachments?lang=en", data={"file": (io.BytesIO(b"hello"), "x.exe")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert "This type of file is not accepted." in bad.get_data(as_text=True)
    # a file past the request body limit is refused like a wrong type: back on the page, saying so (issue 17)
    app = client.application
    app.config["MAX_UPLOAD_MB"], app.config["MAX_CONTENT_LENGTH"] = 1, 1024 * 1024 + 64 * 1024
    big = client.post(url + "/attachments?lang=en", data={"file": (io.BytesIO(b"%PDF-1.7 " + b"0" * 1536 * 1024), "大.pdf")},
                      content_type="multipart/form-data")
    assert big.status_code == 302
    assert "The file is larger than 1 MB." in client.get(url + "?lang=en").get_data(as_text=True)
    app.config["MAX_UPLOAD_MB"] = 20
    auth.logout()
    auth.login(reviewer.email)
    download = client.get(f"/reviews/attachments/{file.id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.7 x"
    assert client.post(url, data={"verification": "x", "version": "1"}).status_code == 403
    auth.logout()
    auth.login(make.operator(make.platform()).email)
    assert client.get(url).status_code == 403
    assert client.get(f"/reviews/attachments/{file.id}").status_code == 403
    assert len(db.exec(select(EvidenceFile)).all()) == 1


def test_assignment_count_is_unchanged_by_reads(client, auth, db, scene):
    platform, reviewer, cycle, assignment = scene
    auth.login(reviewer.email)
    client.get(f"/reviews/{cycle.id}/{platform.id}", expect=200)
    db.refresh(assignment)
    assert assignment.version == 1 and len(db.exec(select(Assignment)).all()) == 1


# --- versions on the web forms (the same check as the API: DESIGN §7) --------------------------------------

def test_the_scoring_form_carries_the_version_read_in_a_hidden_field(client, auth, db, scene):
    platform, reviewer, cycle, assignment = scene
    auth.login(reviewer.email)
    url = f"/reviews/{cycle.id}/{platform.id}"
    assert _version(client, url) == "1"
    client.post(url, data={"VC1": "5", "action": "draft", "version": "1"}, expect=302)
    assert _version(client, url) == "2"


def test_a_stale_scoring_submit_is_refused_with_a_message_and_changes_nothing(client, auth, db, scene):
    platform, reviewer, cycle, assignment = scene
    auth.login(reviewer.email)
    url = f"/reviews/{cycle.id}/{platform.id}"
    read = _version(client, url)  # two tabs read the same version
    client.post(url, data={"VC1": "5", "comment": "第一个标签页", "action": "draft", "version": read}, expect=302)
    stale = client.post(url + "?lang=en", data={"VC1": "6", "comment": "第二个标签页", "action": "draft",
                                                "version": read})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "This record was changed by someone else. Reload and try again." in page
    assert 'id="version-error"' in page and "Version:</strong> Stale version." in page
    assert "Your changes were not saved." in page and f'href="{url}"' in page  # the way out: reload
    assert "第二个标签页" in page  # what they typed is still there to copy
    assert 'name="version" type="hidden" value="1"' in page  # resending it is refused again
    db.refresh(assignment)
    assert (assignment.version, assignment.comment) == (2, "第一个标签页")
    assert db.exec(select(Score.points_tenths)).all() == [50]
    zh = client.post(url + "?lang=zh", data={"VC1": "6", "action": "draft", "version": read})
    assert zh.status_code == 409 and "您的修改未保存。" in zh.get_data(as_text=True)


def test_a_scoring_submit_without_a_version_is_422_naming_the_field(client, auth, db, scene):
    platform, reviewer, cycle, assignment = scene
    auth.login(reviewer.email)
    url = f"/reviews/{cycle.id}/{platform.id}?lang=en"
    for form in ({"VC1": "5", "action": "draft"}, {"VC1": "5", "action": "draft", "version": ""}):
        response = client.post(url, data=form)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert 'id="version-error"' in page and "Version:</strong> This field is required." in page
    db.refresh(assignment)
    assert (assignment.version, assignment.review_state) == (1, "not_started")
    assert db.exec(select(Score)).all() == []


def test_the_self_assessment_form_carries_the_version_read(client, auth, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    auth.login(make.operator(platform).email)
    url = f"/reviews/{cycle.id}/self-assessment/{platform.id}"
    assert _version(client, url) == "0"  # none yet
    client.post(url, data={"verification": "设备开放", "version": "0"}, expect=302)
    assert _version(client, url) == "1"
    client.post(url, data={"verification": "设备开放", "version": "1"}, expect=302)
    assert _version(client, url) == "2"


def test_a_stale_self_assessment_submit_keeps_the_colleagues_text(client, auth, make, db, scene):
    """Two operators open the page at version 1; the second one's save is refused instead of overwriting."""
    platform, reviewer, cycle, assignment = scene
    db.add(SelfAssessment(cycle_id=cycle.id, platform_id=platform.id, operating="初稿"))
    db.commit()
    alice, bob = make.operator(platform), make.operator(platform)
    url = f"/reviews/{cycle.id}/self-assessment/{platform.id}"
    auth.login(bob.email)
    read_by_bob = _version(client, url)
    auth.logout()
    auth.login(alice.email)
    client.post(url, data={"operating": "甲的修改", "version": _version(client, url)}, expect=302)
    auth.logout()
    auth.login(bob.email)
    stale = client.post(url + "?lang=en", data={"operating": "乙的修改", "version": read_by_bob})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "This record was changed by someone else. Reload and try again." in page
    assert "Version:</strong> Stale version." in page and "Your changes were not saved." in page
    assert "乙的修改" in page
    sa = db.exec(select(SelfAssessment)).one()
    db.refresh(sa)
    assert (sa.operating, sa.version) == ("甲的修改", 2)


def test_a_self_assessment_submit_without_a_version_is_422_naming_the_field(client, auth, make, db, scene):
    platform, reviewer, cycle, assignment = scene
    auth.login(make.operator(platform).email)
    url = f"/reviews/{cycle.id}/self-assessment/{platform.id}?lang=en"
    response = client.post(url, data={"verification": "无版本"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="version-error"' in page and "Version:</strong> This field is required." in page
    assert db.exec(select(SelfAssessment)).all() == []
