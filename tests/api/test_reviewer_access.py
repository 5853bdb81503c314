"""Reviewer access scoped to live assignments (DESIGN §10) and blind review beside a conflicted one.

A reviewer reads a platform's projects, milestones, evidence and exports only through a non-conflicted assignment
in a draft or open cycle (or as its gatekeeper). A past cycle's assignment lets them read their own review of
that cycle, nothing more; a declared conflict removes access at once, and the conflicted review never shows the
other reviewers' scores.
"""
from __future__ import annotations

import io
from datetime import date, datetime, timezone

import pytest

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def scene(api, make):
    platform = make.platform(code="BCI")
    project = make.project(platform)
    milestone = make.milestone(project)
    operator = make.operator(platform)
    op = api(operator)
    upload = op.client.post(f"/api/v1/milestones/{milestone.id}/evidence", headers=op._headers(),
                            data={"file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data",
                            expect=201)
    past = make.cycle(name="2025年度评估", state="closed", window_start=date(2025, 1, 1),
                      window_end=date(2025, 10, 31), opens_at=datetime(2025, 11, 1, tzinfo=timezone.utc),
                      closes_at=datetime(2025, 12, 1, tzinfo=timezone.utc))
    current = make.cycle(state="open", opened_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    return dict(platform=platform, project=project, milestone=milestone, evidence_id=upload.get_json()["id"],
                past=past, current=current)


def _platform_reads(scene) -> list[str]:
    p, pr, m = scene["platform"], scene["project"], scene["milestone"]
    return [f"/api/v1/platforms/{p.id}/projects", f"/api/v1/projects/{pr.id}", f"/api/v1/projects/{pr.id}/milestones",
            f"/api/v1/milestones/{m.id}", f"/api/v1/projects/{pr.id}/outcomes",
            f"/api/v1/projects/{pr.id}/gate-reviews", f"/api/v1/evidence/{scene['evidence_id']}",
            f"/api/v1/exports/projects.csv?platform={p.id}", f"/api/v1/exports/milestones.xlsx?platform={p.id}",
            f"/api/v1/exports/outcomes.csv?platform={p.id}"]


def _answers(client, urls) -> dict[str, int]:
    out = {}
    for url in urls:
        response = client.get(url)
        response.get_data()  # read to the end: exports and downloads stream
        out[url] = response.status_code
    return out


@pytest.mark.parametrize("case,expected", [
    ("live", 200),  # assigned in the open cycle
    ("draft", 200),  # assigned in a draft cycle
    ("past", 403),  # assigned (and submitted) in a closed cycle only
    ("conflicted", 403),  # assigned in the open cycle, with a declared conflict
    ("conflicted_and_past", 403),
    ("gatekeeper", 200),  # the gatekeeper reads the platform's projects whatever the cycles
])
def test_a_reviewer_reads_a_platform_only_through_a_live_assignment(api, make, scene, case, expected):
    platform = scene["platform"]
    reviewer = make.reviewer(gatekeeper_of=[platform] if case == "gatekeeper" else [])
    if case == "live":
        make.assignment(scene["current"], reviewer, platform)
    elif case == "draft":
        make.assignment(make.cycle(name="2027年度评估"), reviewer, platform)
    elif case in ("past", "conflicted_and_past"):
        make.review(scene["past"], reviewer, platform, 80)
    if case in ("conflicted", "conflicted_and_past"):
        make.assignment(scene["current"], reviewer, platform, conflict_declared=True, conflict_note="曾任职")
    answers = _answers(api(reviewer), _platform_reads(scene))
    assert answers == dict.fromkeys(answers, expected)
    if expected == 403:
        me = api(reviewer).get("/api/v1/me", expect=200).get_json()
        assert platform.id not in [p["id"] for p in me["platforms"]]


def test_declaring_a_conflict_removes_access_at_once(api, make, scene):
    platform, cycle = scene["platform"], scene["current"]
    reviewer = make.reviewer()
    make.assignment(cycle, reviewer, platform)
    client = api(reviewer)
    assert set(_answers(client, _platform_reads(scene)).values()) == {200}
    client.get(f"/api/v1/cycles/{cycle.id}/self-assessments/{platform.id}", expect=200)
    read = client.get(f"/api/v1/cycles/{cycle.id}/reviews/{platform.id}", expect=200).get_json()
    client.put(f"/api/v1/cycles/{cycle.id}/reviews/{platform.id}",
               json={"conflict": True, "conflict_note": "三年内曾在该平台任职", "version": read["version"]}, expect=200)
    assert set(_answers(client, _platform_reads(scene)).values()) == {403}
    client.get(f"/api/v1/cycles/{cycle.id}/self-assessments/{platform.id}", expect=403)
    # their own review stays theirs to read (and to withdraw the declaration while the cycle is open)
    own = client.get(f"/api/v1/cycles/{cycle.id}/reviews/{platform.id}", expect=200).get_json()
    assert own["conflict"] is True and own["others"] is None and own["self_assessment"] is None


def test_a_past_cycles_assignment_reads_its_own_review_nothing_more(api, make, scene):
    platform, past = scene["platform"], scene["past"]
    reviewer, colleague = make.reviewer(), make.reviewer()
    make.review(past, reviewer, platform, 80)
    make.review(past, colleague, platform, 60)
    client = api(reviewer)
    own = client.get(f"/api/v1/cycles/{past.id}/reviews/{platform.id}", expect=200).get_json()
    assert own["reviewer_id"] == reviewer.id and own["review_state"] == "submitted"
    assert [o["total"] for o in own["others"]] == [60.0]  # a non-conflicted review, once closed: the others too
    # not the colleague's review, not this cycle's review of the platform, not its projects
    client.get(f"/api/v1/cycles/{scene['current'].id}/reviews/{platform.id}", expect=403)
    client.put(f"/api/v1/cycles/{past.id}/reviews/{platform.id}", json={"comment": "补充", "version": own["version"]},
               expect=409)
    assert set(_answers(client, _platform_reads(scene)).values()) == {403}


def _three_reviews(make, db, cycle, platform, state):
    """A conflicted review, a fair one of 70 and a colleague's of 90, all submitted; the cycle then in ``state``."""
    conflicted, fair, colleague = make.reviewer(), make.reviewer(), make.reviewer()
    make.review(cycle, conflicted, platform, conflict=True)
    make.review(cycle, fair, platform, 70)
    make.review(cycle, colleague, platform, 90)
    cycle.state = state
    db.add(cycle)
    db.commit()
    return conflicted, fair


@pytest.mark.parametrize("state", ["closed", "published"])
def test_a_conflicted_review_never_shows_the_other_reviewers_scores(api, make, db, scene, state):
    """The bypass of issue 15: ``GET /cycles/1/reviews/1`` gave a conflicted reviewer the others' scores."""
    platform, cycle = scene["platform"], scene["current"]
    conflicted, fair = _three_reviews(make, db, cycle, platform, state)
    url = f"/api/v1/cycles/{cycle.id}/reviews/{platform.id}"
    mine = api(conflicted).get(url, expect=200).get_json()
    assert mine["conflict"] is True and mine["others"] is None
    others = api(fair).get(url, expect=200).get_json()["others"]
    assert sorted((o["total"] or 0, o["counted"]) for o in others) == [(0, False), (90.0, True)]
    # nor through another reviewer's review: a reviewer reads only their own, whatever the cycle's state
    assert api(conflicted).get(url + f"?reviewer_id={fair.id}", expect=200).get_json()["reviewer_id"] == conflicted.id
    admin = api(make.admin()).get(url + f"?reviewer_id={conflicted.id}", expect=200).get_json()
    assert len(admin["others"]) == 2


def test_the_web_review_page_of_a_conflicted_review_shows_no_other_scores(client, auth, make, db, scene):
    platform, cycle = scene["platform"], scene["current"]
    conflicted, fair = _three_reviews(make, db, cycle, platform, "closed")
    auth.login(conflicted.email)
    page = client.get(f"/reviews/{cycle.id}/{platform.id}", expect=200).get_data(as_text=True)
    assert "70.0" not in page and "90.0" not in page
    client.get(f"/projects/{scene['project'].id}", expect=403)
    auth.logout()
    auth.login(fair.email)
    page = client.get(f"/reviews/{cycle.id}/{platform.id}", expect=200).get_data(as_text=True)
    assert "90.0" in page
