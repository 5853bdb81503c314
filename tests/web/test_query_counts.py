"""Bounded queries: every list and dashboard page (web and API) issues the same number of SQL statements
whether the programme is small or twice as large in every dimension — platforms, projects, milestones,
outcomes, gate requests, reviewers, reviews, notifications, audit events (no N+1).

One test builds the programme at size 2, requests every page as the person who sees it, rebuilds it at
size 4 and requests them again; it fails listing every page whose count changed."""
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from platform_mgr import clock
from platform_mgr.db import get_engine


@contextmanager
def count_statements(app):
    engine = get_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    seen = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def build(make, db, n):
    """n platforms, each with 2n projects in several stages, milestones (some overdue), outcomes and gate
    requests; n reviewers (the first also gatekeeper of every platform); a published cycle (frozen snapshot)
    and an open one, each with a review of every platform by every reviewer; self-assessments;
    notifications and audit events for the people who sign in."""
    from platform_mgr.models import GateReview, Notification, SelfAssessment
    from platform_mgr.services import audit, cycles

    admin = make.admin(email="boss@example.com")
    platforms = [make.platform(code=f"Q{i}", host_institution=f"依托单位{i}") for i in range(n)]
    operators = [make.operator(p, email=f"op{i}@example.com") for i, p in enumerate(platforms)]
    reviewers = [make.reviewer(email=f"rev{i}@example.com", affiliation=f"评审单位{i}",
                               **({"gatekeeper_of": platforms} if i == 0 else {})) for i in range(n)]
    gate_reviews = []
    for i, platform in enumerate(platforms):
        for j in range(2 * n):
            project = make.project(platform, stage=f"S{j % 4}", trl_current=1 + j % 9)
            make.milestone(project, due_on=clock.today() - timedelta(days=5 + j), is_gate_criterion=True)
            make.milestone(project, due_on=clock.today() + timedelta(days=5 + j))
            if j % 3 == 0:
                make.outcome(project, kind="licence", occurred_on=clock.today() - timedelta(days=20 * j + 1))
            if j % 2 == 0:
                review = GateReview(project_id=project.id, from_stage=project.stage,
                                    to_stage=f"S{int(project.stage[1]) + 1}", requested_by_id=operators[i].id)
                db.add(review)
                gate_reviews.append(review)
    db.commit()

    now = clock.now()
    closed = make.cycle(name="去年", window_start=clock.today() - timedelta(days=400),
                        window_end=clock.today() - timedelta(days=40), opens_at=now - timedelta(days=30),
                        closes_at=now - timedelta(days=1), state="open")
    current = make.cycle(name="今年", window_start=clock.today() - timedelta(days=40),
                         window_end=clock.today() - timedelta(days=1), opens_at=now - timedelta(days=3),
                         closes_at=now + timedelta(days=10), state="open")
    for k, reviewer in enumerate(reviewers):
        for i, platform in enumerate(platforms):
            make.review(closed, reviewer, platform, 60 + 5 * ((i + k) % 5))
            make.review(current, reviewer, platform, 55 + 5 * ((i + k) % 6), submitted=(i + k) % 3 != 2)
    for platform in platforms:
        db.add(SelfAssessment(cycle_id=current.id, platform_id=platform.id, verification="设施", service="服务",
                              operating="运营"))
    cycles.close_cycle(db, admin, closed, now=now)
    cycles.publish_cycle(db, admin, closed, now=now)
    from platform_mgr.services import users as user_service

    for user in operators + reviewers:  # API tokens: the admin lists them all, each person theirs
        for k in range(n):
            user_service.issue_token(db, None, user, label=f"script {k}")
    for user in [admin, operators[0], reviewers[0]]:
        for k in range(3 * n):
            db.add(Notification(recipient_id=user.id, kind="milestone_due", subject_zh=f"提醒 {k}",
                                subject_en=f"Reminder {k}", link="/home", dedup_key=f"q-{user.id}-{k}",
                                read_at=now if k % 2 else None))
    for k in range(5 * n):
        audit.record(db, admin, "platform", platforms[k % n].id, "update", {"k": k}, {"k": k + 1})
    db.commit()
    from platform_mgr.models import LoginAttempt

    for k in range(n):  # n delayed (account, address) pairs and n addresses blocked for stuffing
        for j in range(5):
            db.add(LoginAttempt(email=f"guessed{k}@example.com", address=f"10.0.0.{k}", attempted_at=now))
        for j in range(21 + n):
            db.add(LoginAttempt(email=f"stuffed{j}@example.com", address=f"10.1.0.{k}", attempted_at=now))
    db.commit()
    project = make.project(platforms[0], stage="S1")  # its page lists n milestones, outcomes and gate reviews
    for k in range(n):
        make.milestone(project, due_on=clock.today() + timedelta(days=k - 2), is_gate_criterion=k % 2 == 0)
        make.outcome(project, kind="contract", occurred_on=clock.today() - timedelta(days=k + 1))
        db.add(GateReview(project_id=project.id, from_stage="S1", to_stage="S2", requested_by_id=operators[0].id,
                          gatekeeper_id=reviewers[0].id, decision="hold", rationale="不足",
                          decided_by_id=reviewers[0].id, decided_at=now - timedelta(days=k + 1)))
    db.commit()
    return dict(admin=admin, operator=operators[0], reviewer=reviewers[0], platform=platforms[0],
                project=project, gate_review=gate_reviews[0],
                open=current, closed=closed)


# (url template, who) — every list and dashboard page of the web app and every list/read endpoint of the API.
WEB_PAGES = [
    ("/home", "admin"),
    ("/home", "operator"),
    ("/home", "reviewer"),
    ("/platforms/", "admin"),
    ("/platforms/{platform}", "admin"),
    ("/platforms/{platform}", "operator"),
    ("/projects/{project}", "operator"),
    ("/projects/{project}", "admin"),
    ("/projects/dashboard", "admin"),
    ("/projects/platform/{platform}", "operator"),
    ("/projects/platform/{platform}", "admin"),
    ("/projects/milestones/{milestone}", "operator"),
    ("/gates/", "admin"),
    ("/gates/", "reviewer"),
    ("/gates/{gate_review}", "reviewer"),
    ("/gates/templates", "admin"),
    ("/cycles/", "admin"),
    ("/cycles/{open}", "admin"),
    ("/cycles/{open}/assignments", "admin"),
    ("/cycles/{closed}/results", "admin"),
    ("/cycles/{open}/results", "admin"),
    ("/cycles/rubrics", "admin"),
    ("/cycles/rubrics/{rubric}", "admin"),
    ("/reviews/", "reviewer"),
    ("/reviews/", "operator"),
    ("/reviews/{open}/{platform}", "reviewer"),
    ("/reviews/{open}/self-assessment/{platform}", "operator"),
    ("/eligibility/", "admin"),
    ("/eligibility/", "operator"),
    ("/eligibility/cycles/{open}", "admin"),
    ("/eligibility/cycles/{closed}", "admin"),
    ("/eligibility/cycles/{closed}", "operator"),
    ("/eligibility/cycles/{closed}/platforms/{platform}", "operator"),
    ("/eligibility/cycles/{open}/platforms/{platform}", "admin"),
    ("/eligibility/cycles/{closed}/notice", "admin"),
    ("/eligibility/cycles/{open}/what-if", "admin"),
    ("/notifications/", "admin"),
    ("/notifications/", "operator"),
    ("/calendar", "operator"),
    ("/calendar/{feed}.ics", "operator"),
    ("/calendar/{feed_reviewer}.ics", "reviewer"),
    ("/dashboards/programme", "admin"),
    ("/admin/users", "admin"),
    ("/admin/users?q=op&role=operator", "admin"),
    ("/admin/users/{operator_user}", "admin"),
    ("/admin/tokens", "admin"),
    ("/admin/sign-in/throttles", "admin"),
    ("/admin/platforms", "admin"),
    ("/admin/platforms?q=q&field=bci&origin=top_down&status=active&integrity=0", "admin"),
    ("/admin/platforms/{platform}", "admin"),
    ("/admin/platforms/{platform}/edit", "admin"),
    ("/account/tokens", "reviewer"),
]
API_PAGES = [
    ("/api/v1/me", "admin"),
    ("/api/v1/platforms", "admin"),
    ("/api/v1/platforms", "operator"),
    ("/api/v1/platforms/{platform}", "admin"),
    ("/api/v1/platforms/{platform}/projects", "admin"),
    ("/api/v1/platforms/{platform}/projects", "operator"),
    ("/api/v1/projects/{project}", "operator"),
    ("/api/v1/projects/{project}/milestones", "operator"),
    ("/api/v1/projects/{project}/outcomes", "operator"),
    ("/api/v1/projects/{project}/gate-reviews", "operator"),
    ("/api/v1/gate-reviews", "admin"),
    ("/api/v1/gate-reviews", "reviewer"),
    ("/api/v1/gate-reviews/{gate_review}", "reviewer"),
    ("/api/v1/audit", "admin"),
    ("/api/v1/cycles", "admin"),
    ("/api/v1/cycles/{open}", "admin"),
    ("/api/v1/cycles/{open}/assignments", "admin"),
    ("/api/v1/cycles/{closed}/results", "admin"),
    ("/api/v1/cycles/{open}/eligibility", "admin"),
    ("/api/v1/cycles/{closed}/eligibility", "admin"),
    ("/api/v1/cycles/{open}/reviews/{platform}", "reviewer"),
    ("/api/v1/cycles/{open}/self-assessments/{platform}", "operator"),
    ("/api/v1/rubrics", "admin"),
    ("/api/v1/rubrics/{rubric}", "admin"),
    ("/api/v1/notifications", "reviewer"),
    ("/api/v1/me/tokens", "operator"),
]


def _measure(app, make, db, n):
    from sqlmodel import select

    from platform_mgr.models import Milestone

    built = build(make, db, n)
    ids = dict(platform=built["platform"].id, project=built["project"].id, gate_review=built["gate_review"].id,
               open=built["open"].id, closed=built["closed"].id, rubric=built["open"].rubric_id)
    make.milestone(built["project"], due_on=clock.today() + timedelta(days=3))
    ids["operator_user"] = built["operator"].id
    ids["milestone"] = db.exec(select(Milestone.id).where(Milestone.project_id == ids["project"])).first()
    from platform_mgr.services import calendar as calendar_service

    ids["feed"] = calendar_service.rotate_token(db, built["operator"], built["operator"])
    ids["feed_reviewer"] = calendar_service.rotate_token(db, built["reviewer"], built["reviewer"])
    db.commit()
    people = {who: built[who] for who in ("admin", "operator", "reviewer")}
    counts, failures = {}, []
    for who, user in people.items():
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": "Passw0rd!x"}, expect=302)
        headers = {"Authorization": f"Bearer {make.token(user)}"}
        for url, page_who in WEB_PAGES + API_PAGES:
            if page_who != who:
                continue
            target = url.format(**ids)
            kw = {"headers": headers} if url.startswith("/api/") else {}
            client.get(target, **kw, expect=200)  # warm caches (translations, templates)
            with count_statements(app) as seen:
                response = client.get(target, **kw)
            if response.status_code != 200:
                failures.append(f"{target} as {who}: {response.status_code}")
            counts[(url, who)] = len(seen)
    return counts, failures


def test_every_list_and_dashboard_page_issues_a_bounded_number_of_statements(app, make, db):
    from tests.conftest import _clean

    small, failures = _measure(app, make, db, 2)
    assert not failures, failures
    _clean(app.config["SQLALCHEMY_DATABASE_URI"])
    db.expunge_all()
    large, failures = _measure(app, make, db, 4)
    assert not failures, failures
    assert set(small) == {(u, w) for u, w in WEB_PAGES + API_PAGES}
    grown = [f"{url} as {who}: {small[(url, who)]} statements with small data, {large[(url, who)]} with 2× the data"
             for (url, who) in small if small[(url, who)] != large[(url, who)]]
    assert not grown, "\n".join(grown)
