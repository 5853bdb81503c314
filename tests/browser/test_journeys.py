"""The three user journeys end to end in Chromium, through the pages a person uses (no shortcut through the
API): the fixtures fail a test on any request to another host and on any script or console error.

1. an operator completes a milestone with its evidence file and requests the gate review;
2. the platform's gatekeeper decides it (go) and the project moves to the next stage;
3. a reviewer scores every criterion and submits; an admin closes the cycle, reads a platform's eligibility
   explanation and downloads the XLSX, whose digest is announced in X-Content-SHA256.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlmodel import select

from platform_mgr import clock
from platform_mgr.domain.rubric import DEFAULT_RUBRIC_V1
from platform_mgr.models import GateReview

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _switch_user(page, email):
    page.page.context.clear_cookies()
    page.login(email)


def test_operator_completes_a_milestone_and_requests_the_gate_then_the_gatekeeper_decides(page, make, db):
    platform = make.platform(code="BCI", name_zh="脑机接口平台", name_en="BCI platform")
    operator = make.operator(platform)
    gatekeeper = make.user(role="reviewer", gatekeeper_of=[platform])
    project = make.project(platform, title_zh="柔性电极阵列", title_en="Flexible electrode array", stage="S0")
    milestone = make.milestone(project, title="确认需求方和应用场景", is_gate_criterion=True,
                               due_on=clock.today() + timedelta(days=10))

    # 1. the operator finds the project from the home page
    page.login(operator.email)
    page.goto("/home")
    page.screenshot("journey-home-operator-zh")
    page.page.click(f"nav a[href='/projects/dashboard']")  # "my platform" leads to the platform's dashboard
    page.page.wait_for_selector("canvas[data-chart='milestones']")
    # the chart script runs after the canvas is in the page: wait for it (a slow machine) before asking
    page.page.wait_for_function("() => typeof Chart !== 'undefined'")
    assert page.page.evaluate("() => !!Chart.getChart(document.querySelector(\"canvas[data-chart='stages']\"))")
    page.screenshot("journey-platform-dashboard-zh")
    page.page.click(f"#next-due a[href*='/projects/{project.id}']")
    page.page.wait_for_load_state()
    assert "柔性电极阵列" in page.page.content()
    page.page.click(f"#m{milestone.id} a[href$='/milestones/{milestone.id}/complete']")
    page.page.wait_for_load_state()
    page.page.select_option("#trl_claimed", "3")
    # a must-meet milestone is done only with evidence: the completion form takes the file (DESIGN §3)
    page.page.set_input_files("#file", files=[{"name": "需求确认函.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.page.click("main form [type=submit]")
    page.page.wait_for_load_state()
    assert page.page.locator(".alert-success").count() >= 1
    db.refresh(milestone)
    assert milestone.status == "done"

    # the evidence is on the milestone's page
    page.goto(f"/projects/milestones/{milestone.id}")
    assert page.page.locator("#evidence a", has_text="需求确认函.pdf").count() == 1

    # the gate request
    page.goto(f"/projects/{project.id}")
    page.page.click(f"a[href$='/projects/{project.id}/gate']")
    page.page.wait_for_load_state()
    assert "alert-success" in page.page.get_attribute("#gate-check", "class")
    page.page.fill("#note", "需求方已书面确认。")
    page.page.click("main form [type=submit]")
    page.page.wait_for_load_state()
    page.screenshot("journey-project-zh")
    review = db.exec(select(GateReview).where(GateReview.project_id == project.id)).one()
    assert review.decision is None and review.requested_by_id == operator.id

    # 2. the gatekeeper finds it in the queue and decides go (in English this time)
    _switch_user(page, gatekeeper.email)
    page.goto("/gates/?lang=en")
    page.screenshot("journey-gate-queue-en")
    page.page.click(f"a[href$='/gates/{review.id}']")
    page.page.wait_for_load_state()
    assert "需求确认函.pdf" in page.page.content()  # the evidence is in front of the gatekeeper
    page.page.check("input[name=decision][value=go]")
    page.page.fill("#rationale", "Demand owner confirmed in writing.")
    dialogs = []
    page.page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.page.click("main form [type=submit]")
    page.page.wait_for_load_state()
    assert "The decision was recorded." in page.page.content()
    assert dialogs and "cannot be changed" in dialogs[0]  # confirmed before it took effect
    page.screenshot("journey-project-after-gate-en")
    db.refresh(project)
    db.refresh(review)
    assert review.decision == "go" and review.decided_by_id == gatekeeper.id
    assert project.stage == "S1" and project.status == "active"


def test_reviewer_scores_then_admin_closes_explains_and_downloads(page, make, db):
    platform = make.platform(code="SIPH", name_zh="硅光平台", name_en="Silicon photonics platform")
    admin = make.admin()
    reviewer = make.reviewer()
    cycle = make.cycle(state="open", name="2026年度评估")
    make.assignment(cycle, reviewer, platform)
    for _ in range(2):  # two colleagues already submitted
        make.review(cycle, make.reviewer(), platform, 90)

    # 3a. the reviewer finds the review from "my reviews", scores every criterion and submits
    page.login(reviewer.email)
    page.goto("/reviews/")
    page.screenshot("journey-my-reviews-zh")
    page.page.click(f"a[href$='/reviews/{cycle.id}/{platform.id}']")
    page.page.wait_for_load_state()
    for c in DEFAULT_RUBRIC_V1:
        page.page.fill(f"#{c.code}", f"{c.max_tenths * 9 / 100:.1f}")  # 90 % of each maximum
    assert page.page.text_content("#pm-total") == "90.0"
    page.screenshot("journey-scoring-zh")
    page.page.once("dialog", lambda dialog: dialog.accept())
    page.page.click("button[value=submit]")
    page.page.wait_for_load_state()
    from platform_mgr.models import Assignment
    mine = db.exec(select(Assignment).where(Assignment.reviewer_id == reviewer.id)).one()
    db.refresh(mine)
    assert mine.review_state == "submitted"

    # 3b. the admin closes the cycle before its closing time: the closing guard asks for a written reason
    # (DESIGN §10); confirming, they read the explanation and download the list
    _switch_user(page, admin.email)
    page.goto(f"/cycles/{cycle.id}?lang=en")
    assert "closing now is early" in page.page.text_content("#closing-guard")
    page.page.fill("#reason", "All three reviews are in; the panel met on 16 November.")
    page.page.once("dialog", lambda dialog: dialog.accept())
    page.page.click(f"form[action$='/cycles/{cycle.id}/close'] button[type=submit]")
    page.page.wait_for_load_state()
    assert "Scoring is closed and the eligibility snapshot is frozen." in page.page.content()
    db.refresh(cycle)
    assert cycle.state == "closed" and cycle.close_reason == "All three reviews are in; the panel met on 16 November."

    page.goto(f"/eligibility/cycles/{cycle.id}")
    page.screenshot("journey-eligibility-en")
    page.page.click("td details summary")  # "n of 7 rules passed" opens the short explanation
    page.page.click(f"a[href$='/eligibility/cycles/{cycle.id}/platforms/{platform.id}']")
    page.page.wait_for_load_state()
    text = page.page.content()
    assert "Every rule, with the figures that decided it" in text
    assert page.page.locator("main ol li > .badge").count() == 7  # every rule, passed or failed
    assert "3 counted reviews" in text  # the reviewer's submitted review counts with the two others
    page.screenshot("journey-eligibility-explanation-en")

    page.goto(f"/eligibility/cycles/{cycle.id}")
    link = page.page.locator(f"a[href$='/exports/eligibility.xlsx?cycle={cycle.id}']")
    with page.page.expect_download() as download_info:
        link.click()
    assert link.get_attribute("aria-busy") == "true"  # feedback while the export is prepared
    download = download_info.value
    with open(download.path(), "rb") as fh:
        body = fh.read()
    assert body[:2] == b"PK"
    assert download.suggested_filename.endswith(".xlsx")
    # a download answers no "response" event in the page, so read the header with the same signed-in
    # browser context; a closed cycle's export is byte-for-byte reproducible, so both carry one digest
    again = page.page.context.request.get(page.base + link.get_attribute("href"))
    assert again.status == 200
    assert again.body() == body
    assert again.headers["x-content-sha256"] == hashlib.sha256(body).hexdigest()
