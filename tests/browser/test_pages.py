"""The main pages of each role on the seeded demo data, in Chromium, in Chinese and in English: each renders,
draws its charts, requests nothing from another host and throws no script error. With SCREENSHOT_DIR set
these are the README's screenshots (docs/screenshots/<page>-<lang>.png)."""
from __future__ import annotations

import pytest
from sqlmodel import select

from platform_mgr.i18n import shanghai_today
from platform_mgr.models import Assignment, Gatekeeper, Platform, Project, ReviewCycle, User
from platform_mgr.services import seed as seed_svc


@pytest.fixture
def demo(db):
    seed_svc.seed(db, today=shanghai_today())
    db.commit()
    bci = db.exec(select(Platform).where(Platform.code == "BCI")).one()
    current = db.exec(select(ReviewCycle).where(ReviewCycle.state == "open")).first()
    previous = db.exec(select(ReviewCycle).where(ReviewCycle.state.in_(("closed", "published")))).first()
    project = db.exec(select(Project).where(Project.platform_id == bci.id, Project.stage == "S2",
                                            Project.status == "active").order_by(Project.id)).first()
    gatekeeper = db.get(User, db.exec(select(Gatekeeper.user_id).where(Gatekeeper.platform_id == bci.id)).first())
    assignment = db.exec(select(Assignment).where(Assignment.cycle_id == current.id)).first()
    reviewer = db.get(User, assignment.reviewer_id)
    return dict(bci=bci, current=current, previous=previous, project=project, gatekeeper=gatekeeper,
                reviewer=reviewer, assignment=assignment)


def _visit(page, pages, charts=()):
    for lang in ("zh", "en"):
        for name, path in pages:
            page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            page.page.wait_for_load_state("load")
            assert page.page.locator("html").get_attribute("lang") == ("en" if lang == "en" else "zh-CN")
            for chart in charts.get(name, ()) if isinstance(charts, dict) else ():
                page.page.wait_for_selector(f"canvas[data-chart='{chart}']")
                page.page.wait_for_function("() => typeof Chart !== 'undefined'")
                assert page.page.evaluate(f"() => !!Chart.getChart(document.querySelector(\"canvas[data-chart='{chart}']\"))")
            page.screenshot(f"{name}-{lang}")


def _failed_sign_ins(db):
    """What the throttles page shows: one account guessed at from one address, and stuffing from another."""
    from datetime import timedelta

    from platform_mgr import clock
    from platform_mgr.models import LoginAttempt

    now = clock.now()
    db.add_all([LoginAttempt(email="op-bci@example.com", address="203.0.113.7", attempted_at=now - timedelta(seconds=9 - n))
                for n in range(8)])
    db.add_all([LoginAttempt(email=f"user{n}@example.org", address="198.51.100.23", attempted_at=now - timedelta(minutes=2))
                for n in range(24)])
    db.commit()


def test_admin_pages(page, demo, db):
    _failed_sign_ins(db)
    page.login("admin@example.com", seed_svc.DEMO_PASSWORD)
    c, p = demo["previous"], demo["bci"]
    _visit(page, [("home-admin", "/home"), ("programme", "/dashboards/programme"), ("platforms", "/platforms/"),
                  ("platform", f"/platforms/{p.id}"), ("cycles", "/cycles/"), ("cycle", f"/cycles/{demo['current'].id}"),
                  ("results", f"/cycles/{c.id}/results"), ("eligibility", f"/eligibility/cycles/{c.id}"),
                  ("eligibility-explanation", f"/eligibility/cycles/{c.id}/platforms/{p.id}"),
                  ("public-notice", f"/eligibility/cycles/{c.id}/notice"), ("admin-users", "/admin/users"),
                  ("admin-platforms", "/admin/platforms"), ("admin-platform", f"/admin/platforms/{p.id}"),
                  ("admin-sign-in", "/admin/sign-in"), ("admin-sign-in-throttles", "/admin/sign-in/throttles"),
                  ("admin-institutions", "/admin/institutions"), ("account-tokens", "/account/tokens")],
           {"programme": ("funnel", "trl"), "eligibility-explanation": ("dimensions",),
            "results": ("strip", "leniency")})


def test_sign_in_pages(page, demo):
    _visit(page, [("sign-in", "/login"), ("forgot-password", "/password/forgot")])


def test_operator_pages(page, demo):
    page.login("op-bci@example.com", seed_svc.DEMO_PASSWORD)
    _visit(page, [("home-operator", "/home"), ("platform-dashboard", f"/projects/platform/{demo['bci'].id}"),
                  ("project", f"/projects/{demo['project'].id}"), ("self-assessments", "/reviews/")],
           {"platform-dashboard": ("stages", "milestones")})


def test_reviewer_pages(page, demo):
    a = demo["assignment"]
    page.login(demo["reviewer"].email, seed_svc.DEMO_PASSWORD)
    _visit(page, [("my-reviews", "/reviews/"), ("scoring", f"/reviews/{a.cycle_id}/{a.platform_id}")],
           {"my-reviews": ("progress",)})
    page.page.context.clear_cookies()
    page.login(demo["gatekeeper"].email, seed_svc.DEMO_PASSWORD)
    _visit(page, [("gate-queue", "/gates/")])


def test_phone_width_pages_do_not_scroll_sideways(page, demo):
    """At 390 px the navigation collapses and wide tables scroll inside their own box, never the page."""
    page.page.set_viewport_size({"width": 390, "height": 844})
    c, p, a, cur = demo["previous"], demo["bci"], demo["assignment"], demo["current"]
    people = [
        ("admin@example.com", ["/home", "/dashboards/programme", "/platforms/", f"/platforms/{p.id}", "/cycles/",
                               f"/cycles/{cur.id}", f"/cycles/{cur.id}/assignments", f"/cycles/{c.id}/results",
                               "/eligibility/", f"/eligibility/cycles/{c.id}", f"/eligibility/cycles/{c.id}/platforms/{p.id}",
                               f"/eligibility/cycles/{c.id}/notice", f"/eligibility/cycles/{c.id}/what-if", "/gates/",
                               "/gates/templates", "/notifications/", "/cycles/rubrics"]),
        ("op-bci@example.com", ["/home", f"/projects/platform/{p.id}", f"/projects/{demo['project'].id}", "/reviews/"]),
        (demo["reviewer"].email, ["/reviews/", f"/reviews/{a.cycle_id}/{a.platform_id}"]),
    ]
    too_wide = []
    for email, paths in people:
        page.page.context.clear_cookies()
        page.login(email, seed_svc.DEMO_PASSWORD)
        for path in paths:
            for lang in ("zh", "en"):
                page.goto(f"{path}?lang={lang}")
                width = page.page.evaluate("() => document.documentElement.scrollWidth")
                if width > 390:
                    too_wide.append((path, lang, width))
    assert not too_wide
    page.goto(f"/projects/{demo['project'].id}?lang=zh")
    page.screenshot("project-phone-zh")


def test_phone_width_scoring_page_shows_the_evidence_before_the_scores(page, demo, db):
    """At 390 px the evidence panel comes before the first score, and 提交 is still there below the scores."""
    open_review = db.exec(select(Assignment).where(Assignment.cycle_id == demo["current"].id,
                                                   Assignment.review_state != "submitted")
                          .order_by(Assignment.id)).first()
    reviewer = db.get(User, open_review.reviewer_id)
    page.login(reviewer.email, seed_svc.DEMO_PASSWORD)
    for width, evidence_first in ((390, True), (1280, False)):
        page.page.set_viewport_size({"width": width, "height": 844})
        page.goto(f"/reviews/{open_review.cycle_id}/{open_review.platform_id}?lang=zh")
        evidence = page.page.locator("section[aria-labelledby='evidence-title']").bounding_box()
        score = page.page.locator("input.pm-points").first.bounding_box()
        if evidence_first:
            assert evidence["y"] + evidence["height"] <= score["y"]  # the whole panel above the first score
        else:  # wide: the panel beside the scores, as before
            assert evidence["x"] > score["x"] and evidence["y"] < score["y"] + score["height"]
        submit = page.page.locator("button[name='action'][value='submit']")
        assert submit.count() == 1
        submit.scroll_into_view_if_needed()
        assert submit.is_visible() and submit.is_enabled()
        box = submit.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width  # reachable without scrolling sideways


def test_tables_sort_by_a_column_heading(page, demo):
    page.login("admin@example.com", seed_svc.DEMO_PASSWORD)
    page.goto("/platforms/?lang=en")
    codes = lambda: page.page.locator("table[data-sortable] tbody tr td:first-child").all_text_contents()  # noqa: E731
    heading = page.page.locator("table[data-sortable] thead th", has_text="Code")
    heading.locator("button").click()
    assert codes() == sorted(codes()) and heading.get_attribute("aria-sort") == "ascending"
    heading.locator("button").click()
    assert codes() == sorted(codes(), reverse=True) and heading.get_attribute("aria-sort") == "descending"
    projects = page.page.locator("table[data-sortable] thead th", has_text="Projects")
    projects.locator("button").click()  # numbers sort as numbers
    counts = [int(t) for t in page.page.locator("table[data-sortable] tbody tr td:last-child").all_text_contents()]
    assert counts == sorted(counts)
