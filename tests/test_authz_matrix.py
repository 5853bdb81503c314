"""The authorization matrix over EVERY route of the app, web and API, taken from ``app.url_map``.

Each (method, rule) is classified in ``MATRIX`` with the roles that may use it; a route that is not
classified fails ``test_every_route_is_classified`` ("classify it"). For each route a world is built
(platform A with its operator, gatekeeper and an assigned reviewer; platform B with its operator;
projects, milestones, a pending gate review, evidence, an open cycle with assignments, a
self-assessment with an attachment, notifications, a calendar feed) and every role calls the route:

- allowed → anything but 401/403/404 (a 409 or 422 is fine: the door was open);
- denied  → 401/403/404, or the sign-in redirect for an anonymous browser;
- never a 5xx.

Denied roles go first; a write by an allowed role gets a fresh world, so one role's change never
decides another's answer. tests/web/test_projects_authz.py checks the exact answers and that
nothing is written for the projects/gates area; this matrix is the broad net over all areas.
"""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from platform_mgr.models import GateReview, Notification

from .conftest import _clean
from .factories import Factory

PDF = b"%PDF-1.4\n%%EOF\n"
ROLES = ("anon", "op", "other_op", "rev_assigned", "rev_other", "gatekeeper", "admin")

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anon"}
ADMIN = frozenset({"admin"})
# who sees platform A's projects, milestones, evidence, gate reviews (permissions.can_view_projects_of)
VIEW_A = frozenset({"op", "gatekeeper", "rev_assigned", "admin"})
# who edits platform A's projects (permissions.can_edit_project / can_create_project / can_request_gate)
EDIT_A = frozenset({"op", "admin"})
# who decides a gate of platform A (permissions.can_decide_gate): its gatekeeper, admins
DECIDE_A = frozenset({"gatekeeper", "admin"})
# who reads / writes platform A's self-assessment (can_view_self_assessment / can_author_self_assessment)
SA_VIEW_A = frozenset({"op", "rev_assigned", "admin"})
SA_EDIT_A = EDIT_A
# the caller's own review of platform A in the open cycle: only the assigned reviewer
OWN_REVIEW = frozenset({"rev_assigned"})
# reviewers' area: any reviewer, and admins
REVIEWERS = frozenset({"rev_assigned", "rev_other", "gatekeeper", "admin"})

# "METHOD rule" → roles allowed. Every route of the app must appear here.
MATRIX: dict[str, frozenset[str]] = {
    # --- public ---------------------------------------------------------------------------
    "GET /": EVERYONE,
    "GET /healthz": EVERYONE,
    "GET /login": EVERYONE,
    "POST /login": EVERYONE,
    "GET /static/<path:filename>": EVERYONE,
    "GET /bootstrap/static/<path:filename>": EVERYONE,
    "GET /api/openapi.json": EVERYONE,
    "GET /calendar/<token>.ics": EVERYONE,  # the secret token in the address is the credential
    # --- any signed-in user ----------------------------------------------------------------
    "GET /home": SIGNED_IN,
    "POST /logout": SIGNED_IN,
    "GET /account/password": SIGNED_IN,
    "POST /account/password": SIGNED_IN,
    "GET /platforms/": SIGNED_IN,
    "GET /platforms/<int:platform_id>": SIGNED_IN,
    "GET /notifications/": SIGNED_IN,
    "POST /notifications/read-all": SIGNED_IN,
    "GET /calendar": SIGNED_IN,
    "POST /calendar/rotate": SIGNED_IN,
    "POST /calendar/disable": SIGNED_IN,
    "GET /cycles/": SIGNED_IN,
    "GET /cycles/<int:cycle_id>": SIGNED_IN,
    "GET /eligibility/": SIGNED_IN,
    "GET /projects/dashboard": SIGNED_IN,  # a chooser: operators are sent on to their platform
    "GET /api/v1/me": SIGNED_IN,
    "GET /api/v1/platforms": SIGNED_IN,
    "GET /api/v1/platforms/<int:platform_id>": SIGNED_IN,
    "GET /api/v1/notifications": SIGNED_IN,
    "POST /api/v1/notifications/read-all": SIGNED_IN,
    "GET /api/v1/cycles": SIGNED_IN,
    "GET /api/v1/cycles/<int:cycle_id>": SIGNED_IN,
    "GET /api/v1/rubrics": SIGNED_IN,
    "GET /api/v1/rubrics/<int:rubric_id>": SIGNED_IN,
    # --- owner only: the notification belongs to the operator of A ------------------------------
    "POST /notifications/<int:notification_id>/read": frozenset({"op"}),
    "POST /api/v1/notifications/<int:notification_id>/read": frozenset({"op"}),
    # --- platform A's projects: viewers / editors ----------------------------------------------
    "GET /projects/platform/<int:platform_id>": VIEW_A,
    "GET /projects/platform/<int:platform_id>/new": EDIT_A,
    "POST /projects/platform/<int:platform_id>/new": EDIT_A,
    "GET /projects/<int:project_id>": VIEW_A,
    "GET /projects/<int:project_id>/edit": EDIT_A,
    "POST /projects/<int:project_id>/edit": EDIT_A,
    "GET /projects/<int:project_id>/gate": EDIT_A,
    "POST /projects/<int:project_id>/gate": EDIT_A,
    "GET /projects/<int:project_id>/milestones/new": EDIT_A,
    "POST /projects/<int:project_id>/milestones/new": EDIT_A,
    "GET /projects/<int:project_id>/outcomes/new": EDIT_A,
    "POST /projects/<int:project_id>/outcomes/new": EDIT_A,
    "POST /projects/<int:project_id>/resume": ADMIN,
    "GET /projects/evidence/<int:evidence_id>": VIEW_A,
    "GET /projects/milestones/<int:milestone_id>": VIEW_A,
    "POST /projects/milestones/<int:milestone_id>": EDIT_A,
    "GET /projects/milestones/<int:milestone_id>/complete": EDIT_A,
    "POST /projects/milestones/<int:milestone_id>/complete": EDIT_A,
    "POST /projects/milestones/<int:milestone_id>/evidence": EDIT_A,
    "GET /projects/milestones/<int:milestone_id>/waive": ADMIN,
    "POST /projects/milestones/<int:milestone_id>/waive": ADMIN,
    "GET /api/v1/platforms/<int:platform_id>/projects": VIEW_A,
    "POST /api/v1/platforms/<int:platform_id>/projects": EDIT_A,
    "GET /api/v1/projects/<int:project_id>": VIEW_A,
    "PATCH /api/v1/projects/<int:project_id>": EDIT_A,
    "POST /api/v1/projects/<int:project_id>/resume": ADMIN,
    "GET /api/v1/projects/<int:project_id>/milestones": VIEW_A,
    "POST /api/v1/projects/<int:project_id>/milestones": EDIT_A,
    "GET /api/v1/projects/<int:project_id>/outcomes": VIEW_A,
    "POST /api/v1/projects/<int:project_id>/outcomes": EDIT_A,
    "GET /api/v1/projects/<int:project_id>/gate-reviews": VIEW_A,
    "POST /api/v1/projects/<int:project_id>/gate-reviews": EDIT_A,
    "GET /api/v1/milestones/<int:milestone_id>": VIEW_A,
    "PATCH /api/v1/milestones/<int:milestone_id>": EDIT_A,
    "POST /api/v1/milestones/<int:milestone_id>/evidence": EDIT_A,
    "POST /api/v1/outcomes/<int:outcome_id>/evidence": EDIT_A,
    "GET /api/v1/evidence/<int:evidence_id>": VIEW_A,
    # --- gates: gatekeeper ------------------------------------------------------------------
    "GET /gates/": DECIDE_A,
    "GET /gates/<int:review_id>": VIEW_A,
    "POST /gates/<int:review_id>": DECIDE_A,
    "GET /api/v1/gate-reviews": DECIDE_A,
    "GET /api/v1/gate-reviews/<int:review_id>": VIEW_A,
    "POST /api/v1/gate-reviews/<int:review_id>/decision": DECIDE_A,
    "GET /gates/templates": ADMIN,
    "POST /gates/templates": ADMIN,
    "POST /gates/templates/<int:platform_id>/customise": ADMIN,
    "POST /gates/templates/<int:platform_id>/reset": ADMIN,
    "GET /gates/templates/items/<int:item_id>": ADMIN,
    "POST /gates/templates/items/<int:item_id>": ADMIN,
    "POST /gates/templates/items/<int:item_id>/delete": ADMIN,
    # --- cycles, rubrics: admin ---------------------------------------------------------------
    "GET /cycles/new": ADMIN,
    "POST /cycles/new": ADMIN,
    "GET /cycles/<int:cycle_id>/edit": ADMIN,
    "POST /cycles/<int:cycle_id>/edit": ADMIN,
    "POST /cycles/<int:cycle_id>/open": ADMIN,
    "POST /cycles/<int:cycle_id>/close": ADMIN,
    "POST /cycles/<int:cycle_id>/publish": ADMIN,
    "GET /cycles/<int:cycle_id>/assignments": ADMIN,
    "POST /cycles/<int:cycle_id>/assignments": ADMIN,
    "POST /cycles/<int:cycle_id>/assignments/balanced": ADMIN,
    "POST /cycles/<int:cycle_id>/assignments/<int:assignment_id>/delete": ADMIN,
    "GET /cycles/<int:cycle_id>/results": ADMIN,  # the cycle is open: results are provisional, admin only
    "GET /cycles/rubrics": ADMIN,
    "GET /cycles/rubrics/<int:rubric_id>": SIGNED_IN,  # criteria and guidance: reviewers read them too
    "GET /cycles/rubrics/new": ADMIN,
    "POST /cycles/rubrics/new": ADMIN,
    "POST /api/v1/cycles": ADMIN,
    "PATCH /api/v1/cycles/<int:cycle_id>": ADMIN,
    "POST /api/v1/cycles/<int:cycle_id>/open": ADMIN,
    "POST /api/v1/cycles/<int:cycle_id>/close": ADMIN,
    "POST /api/v1/cycles/<int:cycle_id>/publish": ADMIN,
    "POST /api/v1/cycles/<int:cycle_id>/assignments": ADMIN,
    "POST /api/v1/cycles/<int:cycle_id>/assignments/balanced": ADMIN,
    "DELETE /api/v1/cycles/<int:cycle_id>/assignments/<int:assignment_id>": ADMIN,
    "GET /api/v1/cycles/<int:cycle_id>/results": ADMIN,
    "POST /api/v1/rubrics": ADMIN,
    # assignments: admin all, a reviewer its own list (any reviewer may ask; an empty list for others)
    "GET /api/v1/cycles/<int:cycle_id>/assignments": REVIEWERS,
    # --- reviews: the assigned reviewer ----------------------------------------------------------
    "GET /reviews/": SIGNED_IN,  # each sees their own: reviewers their assignments, operators self-assessments
    "GET /reviews/<int:cycle_id>/<int:platform_id>": OWN_REVIEW,
    "POST /reviews/<int:cycle_id>/<int:platform_id>": OWN_REVIEW,
    # the caller's own review; admins read anyone's (?reviewer_id=)
    "GET /api/v1/cycles/<int:cycle_id>/reviews/<int:platform_id>": OWN_REVIEW | ADMIN,
    "PUT /api/v1/cycles/<int:cycle_id>/reviews/<int:platform_id>": OWN_REVIEW,
    # --- self-assessments: operators of the platform write, assigned reviewers read --------------
    "GET /reviews/<int:cycle_id>/self-assessment/<int:platform_id>": SA_VIEW_A,
    "POST /reviews/<int:cycle_id>/self-assessment/<int:platform_id>": SA_EDIT_A,
    "POST /reviews/<int:cycle_id>/self-assessment/<int:platform_id>/attachments": SA_EDIT_A,
    "POST /reviews/<int:cycle_id>/self-assessment/<int:platform_id>/attachments/<int:file_id>/delete": SA_EDIT_A,
    "GET /reviews/attachments/<int:file_id>": SA_VIEW_A,
    "GET /api/v1/cycles/<int:cycle_id>/self-assessments/<int:platform_id>": SA_VIEW_A,
    "PUT /api/v1/cycles/<int:cycle_id>/self-assessments/<int:platform_id>": SA_EDIT_A,
    "POST /api/v1/cycles/<int:cycle_id>/self-assessments/<int:platform_id>/attachments": SA_EDIT_A,
    "DELETE /api/v1/cycles/<int:cycle_id>/self-assessments/<int:platform_id>/attachments/<int:file_id>": SA_EDIT_A,
    "GET /api/v1/self-assessment-files/<int:file_id>": SA_VIEW_A,
    # --- eligibility and exports: admin while the cycle is open ----------------------------------
    "GET /eligibility/cycles/<int:cycle_id>": ADMIN,
    "GET /eligibility/cycles/<int:cycle_id>/notice": ADMIN,
    "GET /eligibility/cycles/<int:cycle_id>/platforms/<int:platform_id>": ADMIN,
    "GET /eligibility/cycles/<int:cycle_id>/what-if": ADMIN,
    "GET /api/v1/cycles/<int:cycle_id>/eligibility": ADMIN,
    # exports of platform A's projects (?platform=A): whoever sees its projects
    "GET /exports/<name>.csv": VIEW_A,
    "GET /exports/<name>.xlsx": VIEW_A,
    "GET /api/v1/exports/<name>.csv": VIEW_A,
    "GET /api/v1/exports/<name>.xlsx": VIEW_A,
    # --- programme and audit: admin ----------------------------------------------------------
    "GET /dashboards/programme": ADMIN,
    "GET /api/v1/audit": ADMIN,
    "POST /api/v1/platforms": ADMIN,
    "PATCH /api/v1/platforms/<int:platform_id>": ADMIN,
}


def _routes(app):
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((method, rule))
    return out


def _routes_of_fresh_app():
    from platform_mgr import create_app
    from platform_mgr.config import TestConfig

    class Cfg(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    return sorted(f"{m} {r.rule}" for m, r in _routes(create_app(Cfg)))


ALL_ROUTES = _routes_of_fresh_app()


def test_every_route_is_classified(app):
    routes = {f"{m} {r.rule}" for m, r in _routes(app)}
    missing = sorted(routes - MATRIX.keys())
    assert not missing, "routes not in the authorization matrix (classify it): " + ", ".join(missing)
    stale = sorted(MATRIX.keys() - routes)
    assert not stale, "matrix rows for routes that no longer exist: " + ", ".join(stale)


# --- the world ----------------------------------------------------------------------------------

def build_world(app, db) -> dict:
    from platform_mgr.services import calendar as calendar_svc
    from platform_mgr.services import evidence as evidence_svc
    from platform_mgr.services import self_assessments as sa_svc
    from platform_mgr.models import GateTemplateItem

    make = Factory(db)
    a = make.platform(code="PA", host_institution="甲研究院")
    b = make.platform(code="PB", host_institution="乙研究院")
    users = dict(
        op=make.operator(a),
        other_op=make.operator(b),
        rev_assigned=make.reviewer(affiliation="丙大学"),
        rev_other=make.reviewer(affiliation="丁大学"),
        gatekeeper=make.reviewer(gatekeeper_of=[a], affiliation="戊大学"),
        admin=make.admin(),
    )
    project = make.project(a, stage="S1")
    milestone = make.milestone(project, title="开放里程碑")
    outcome = make.outcome(project)
    pending = make.project(a, stage="S2")
    review = GateReview(project_id=pending.id, from_stage="S2", to_stage="S3", requested_by_id=users["op"].id)
    db.add(review)
    item = GateTemplateItem(platform_id=None, stage="S1", position=0, title_zh="默认条目", due_days=60)
    db.add(item)
    held = make.project(a, status="on_hold")
    make.project(b)
    cycle = make.cycle(state="open", opened_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    assignment = make.assignment(cycle, users["rev_assigned"], a)
    make.assignment(cycle, users["rev_other"], b)
    notification = Notification(recipient_id=users["op"].id, kind="test", subject_zh="通知", subject_en="Notice",
                                dedup_key="authz-matrix")
    db.add(notification)
    db.commit()
    with app.test_request_context():
        ev = evidence_svc.store_evidence(db, None, project_id=project.id, stream=io.BytesIO(PDF), filename="a.pdf",
                                         upload_dir=app.config["UPLOAD_DIR"], max_bytes=10**6,
                                         milestone_id=milestone.id)
        sa_file = sa_svc.add_attachment(db, None, cycle, a, io.BytesIO(PDF), "self.pdf")
        token = calendar_svc.rotate_token(db, None, users["op"])
        db.commit()
    tokens = {role: make.token(u) for role, u in users.items()}
    values = dict(platform_id=a.id, project_id=project.id, milestone_id=milestone.id, outcome_id=outcome.id,
                  evidence_id=ev.id, review_id=review.id, item_id=item.id, cycle_id=cycle.id,
                  assignment_id=assignment.id, file_id=sa_file.id, notification_id=notification.id,
                  rubric_id=cycle.rubric_id, token=token, name="projects",
                  held_project_id=held.id, rev_assigned_id=users["rev_assigned"].id)
    return dict(users=users, tokens=tokens, values=values, platform=a)


STATIC_FILES = {"/static/<path:filename>": "css/app.css",
                "/bootstrap/static/<path:filename>": "css/bootstrap.min.css"}
# routes whose permission depends on the object's state use the object in the state that allows it
OBJECT_FOR = {
    "POST /projects/<int:project_id>/resume": {"project_id": "held_project_id"},
    "POST /api/v1/projects/<int:project_id>/resume": {"project_id": "held_project_id"},
}
QUERY_FOR = {
    "GET /api/v1/cycles/<int:cycle_id>/reviews/<int:platform_id>": "reviewer_id={rev_assigned_id}",
}


def _url(route, rule, values):
    values = dict(values)
    for arg, other in OBJECT_FOR.get(route, {}).items():
        values[arg] = values[other]
    url = rule.rule
    for arg in rule.arguments:
        value = STATIC_FILES.get(rule.rule) if arg == "filename" else values.get(arg)
        url = url.replace(f"<int:{arg}>", str(value)).replace(f"<path:{arg}>", str(value)).replace(f"<{arg}>", str(value))
    query = QUERY_FOR.get(route, "platform={platform_id}" if "/exports/" in url else "")
    return url + ("?" + query.format(**values) if query else "")


def _call(app, world, role, route, rule):
    method = route.split(" ", 1)[0]
    url = _url(route, rule, world["values"])
    client = app.test_client()
    if rule.rule.startswith("/api/"):
        headers = {"Accept": "application/json"}
        if role != "anon":
            headers["Authorization"] = "Bearer " + world["tokens"][role]
        kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
        return client.open(url, method=method, headers=headers, **kwargs)
    if role != "anon":  # signed in as Flask-Login does it (no password hashing per call: keeps this fast)
        with client.session_transaction() as sess:
            sess["_user_id"] = world["users"][role].get_id()
            sess["_fresh"] = True
    return client.open(url, method=method, data={} if method == "POST" else None)


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_route_authorization(app, db, route):
    method, _sep, rule_text = route.partition(" ")
    rule = next(r for m, r in _routes(app) if m == method and r.rule == rule_text)
    allowed = MATRIX.get(route)
    assert allowed is not None, f"{route} is not in the authorization matrix: classify it"
    world = build_world(app, db)
    dirty = False
    failures = []
    # denied roles first; each write by an allowed role gets a fresh world
    for role in sorted(ROLES, key=lambda r: r in allowed):
        if dirty:
            _clean(app.config["SQLALCHEMY_DATABASE_URI"])
            world = build_world(app, db)
        response = _call(app, world, role, route, rule)
        status = response.status_code
        response.get_data()
        response.close()  # streamed exports end their request here
        if method != "GET" and role in allowed:
            dirty = True
        if status >= 500:
            failures.append(f"{role}: {status} (server error)")
        elif role in allowed:
            if status in (401, 403, 404):
                failures.append(f"{role}: {status} but allowed")
            if (status == 302 and "/login" in response.headers.get("Location", "") and role != "anon"
                    and route != "POST /logout"):
                failures.append(f"{role}: sent to sign in but allowed")
        else:
            refused = status in (401, 403, 404) or (
                role == "anon" and status == 302 and "/login" in response.headers.get("Location", ""))
            if not refused:
                failures.append(f"{role}: {status} but denied")
    assert not failures, f"{route}: " + "; ".join(failures)
