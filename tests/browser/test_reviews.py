"""The scoring page in a real browser: live total, confirmation before submitting, no script error."""
from platform_mgr.domain.rubric import DEFAULT_RUBRIC_V1


def test_reviewer_scores_and_submits_in_the_browser(page, make, db):
    platform = make.platform(code="BCI", name_zh="脑机接口平台", name_en="BCI platform")
    reviewer = make.reviewer()
    cycle = make.cycle(state="open")
    assignment = make.assignment(cycle, reviewer, platform)
    page.login(reviewer.email)
    page.goto(f"/reviews/{cycle.id}/{platform.id}?lang=en")
    for c in DEFAULT_RUBRIC_V1:
        page.page.fill(f"#{c.code}", "5" if c.max_tenths >= 50 else "1")
    page.page.fill("#VC1", "7.5")
    assert page.page.text_content("#pm-total") == "67.5"  # 7.5 + 12 × 5
    page.page.fill("#VC1", "9")  # above the maximum: marked, not counted
    assert "is-invalid" in page.page.get_attribute("#VC1", "class")
    page.page.fill("#VC1", "7.5")
    page.page.once("dialog", lambda dialog: dialog.accept())
    page.page.click("button[value=submit]")
    page.page.wait_for_load_state()
    assert "A submitted review is locked." in page.page.content()
    page.screenshot("journey-scoring-en")
    db.refresh(assignment)
    assert assignment.review_state == "submitted"
