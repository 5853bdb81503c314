"""Forms that keep the person where they were (issue 17): the browser checks before it sends or asks to confirm."""
from __future__ import annotations

from platform_mgr.models import GateReview


def test_kill_without_a_rationale_shows_the_field_error_and_no_confirmation(page, make, db):
    platform = make.platform(code="BCI")
    operator = make.operator(platform)
    gatekeeper = make.user(role="reviewer", gatekeeper_of=[platform])
    project = make.project(platform, stage="S1")
    review = GateReview(project_id=project.id, from_stage="S1", to_stage="S2", requested_by_id=operator.id)
    db.add(review)
    db.commit()
    page.login(gatekeeper.email)
    page.goto(f"/gates/{review.id}")
    dialogs = []
    page.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.page.check("input[name=decision][value=kill]")
    page.page.click("main form [type=submit]")
    error = page.page.locator("#rationale ~ .invalid-feedback")
    error.wait_for()
    assert error.count() == 1 and error.inner_text() == "此项为必填项。"
    assert dialogs == []  # validated first: nothing to confirm
    db.refresh(review)
    assert review.decision is None
    # with a rationale, the decision is confirmed before it is sent (dismissed here: nothing recorded)
    page.page.fill("#rationale", "需求方撤回")
    assert page.page.locator("#rationale ~ .invalid-feedback").count() == 0
    page.page.click("main form [type=submit]")
    page.page.wait_for_timeout(200)
    assert len(dialogs) == 1 and "不可更改" in dialogs[0]
    db.refresh(review)
    assert review.decision is None


def test_a_file_over_the_limit_is_refused_before_it_is_sent(page, make, db, app):
    app.config["MAX_UPLOAD_MB"] = 1
    platform = make.platform(code="BCI")
    operator = make.operator(platform)
    project = make.project(platform, stage="S0")
    milestone = make.milestone(project)
    page.login(operator.email)
    page.goto(f"/projects/milestones/{milestone.id}/complete")
    requests = []
    page.page.on("request", lambda request: requests.append(request.method))
    page.page.set_input_files("#file", files=[{"name": "大.pdf", "mimeType": "application/pdf",
                                               "buffer": b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1)}])
    error = page.page.locator("#file ~ .invalid-feedback")
    error.wait_for()
    assert error.inner_text() == "文件超过 1 MB。"
    page.page.click("main form [type=submit]")
    page.page.wait_for_timeout(200)
    assert "POST" not in requests and error.count() == 1
