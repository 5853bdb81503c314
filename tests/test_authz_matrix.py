"""The authorization matrix over EVERY route of the app, web and API, taken from ``app.url_map``.

Each (method, rule) is classified in ``MATRIX`` with the roles that may use it; a route that is not
classified fails ``test_every_route_is_classified`` ("classify it"). For each route a world is built
(platform A with its operator, gatekeeper and an assigned reviewer; a reviewer whose only assignment to A is
in a closed cycle and one whose assignment to A in the open cycle is conflicted; platform B with its operator;
projects, milestones, a pending gate review, evidence, an open cycle with assignments, a
self-assessment with an attachment, notifications, a calendar feed) and every role calls the route:

- allowed → the one status ``MATRIX`` says for the route (and that role): 200, 201, a 302 that is not to the
  sign-in page, or the 409 / 422 of a door that was open to a request the world's state or the empty body
  refuses;
- denied  → exactly as DESIGN §7 says (``refusal``): anonymous gets the sign-in redirect (302 to /login) on a
  page and 401 on the API; a signed-in role gets 403, except for an object that is the caller's own
  (``NOT_YOURS``: someone else's notification is 404, not found, by design).

Denied roles go first; a write by an allowed role gets a fresh world, so one role's change never
decides another's answer. tests/web/test_projects_authz.py checks the answers to real bodies and that
nothing is written for the projects/gates area; this matrix is the broad net over all areas.
"""
from __future__ import annotations

import io
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from platform_mgr.models import GateReview, Notification

from .conftest import _clean
from .factories import Factory

PDF = b"%PDF-1.4\n%%EOF\n"
ROLES = ("anon", "op", "other_op", "rev_assigned", "rev_past", "rev_conflicted", "rev_other", "gatekeeper", "admin",
         "finance", "applicant")

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anon"}
ADMIN = frozenset({"admin"})
# the programme's own people read its information (platforms, cycles, published results); finance officers and
# applicants do not (permissions.can_read_programme)
PROGRAMME = SIGNED_IN - {"finance", "applicant"}
# who sees platform A's projects, milestones, evidence, gate reviews (permissions.can_view_projects_of): a reviewer
# only through a live assignment (DESIGN §10) — not rev_past (a closed cycle's) nor rev_conflicted (a declared conflict)
VIEW_A = frozenset({"op", "gatekeeper", "rev_assigned", "admin"})
# who edits platform A's projects (permissions.can_edit_project / can_create_project / can_request_gate)
EDIT_A = frozenset({"op", "admin"})
# who decides a gate of platform A (permissions.can_decide_gate): its gatekeeper, admins
DECIDE_A = frozenset({"gatekeeper", "admin"})
# who reads / writes platform A's self-assessment (can_view_self_assessment / can_author_self_assessment): a reviewer
# with a non-conflicted assignment to A in the open cycle
SA_VIEW_A = frozenset({"op", "rev_assigned", "admin"})
SA_EDIT_A = EDIT_A
# the caller's own review of platform A in the open cycle: the reviewers assigned to A in it, the conflicted one too
# (their own review, where the declaration is made or withdrawn; never the others' scores)
OWN_REVIEW = frozenset({"rev_assigned", "rev_conflicted"})
# reviewers' area: any reviewer, and admins
REVIEWERS = frozenset({"rev_assigned", "rev_past", "rev_conflicted", "rev_other", "gatekeeper", "admin"})

# a signed-in user asking for the sign-in page (or signing in again) is sent home
SENT_HOME = dict.fromkeys(SIGNED_IN, 302)

# "METHOD rule" → (roles allowed, the status each of them gets: one for all, or per role). The request is the
# matrix's: no body or an empty form / JSON object, so a form or body the door lets through answers 422 (bad
# input) and a state change the world's state does not allow answers 409. Every route of the app must appear here.
MATRIX: dict[str, tuple[frozenset[str], int | dict[str, int]]] = {
    # --- public ---------------------------------------------------------------------------
    "GET /": (EVERYONE, 302),
    "GET /healthz": (EVERYONE, 200),
    "GET /login": (EVERYONE, {"anon": 200, **SENT_HOME}),
    "POST /login": (EVERYONE, {"anon": 422, **SENT_HOME}),  # anonymous: the empty form is refused
    # directory sign-in: the matrix's app configures no directory, so these are not found for a visitor
    # (tests/web/test_directory_*.py run them against real servers)
    "POST /login/ldap": (EVERYONE, {"anon": 404, **SENT_HOME}),
    "GET /login/oidc": (EVERYONE, {"anon": 404, **SENT_HOME}),
    "GET /login/oidc/callback": (EVERYONE, {"anon": 404, **SENT_HOME}),
    "GET /static/<path:filename>": (EVERYONE, 200),
    "GET /bootstrap/static/<path:filename>": (EVERYONE, 200),
    "GET /api/openapi.json": (EVERYONE, 200),
    "GET /calendar/<token>.ics": (EVERYONE, 200),  # the secret token in the address is the credential
    # a mailed link is the credential too (the world's links are live; the empty form is refused)
    "GET /account/invitation/<token>": (EVERYONE, 200),
    "POST /account/invitation/<token>": (EVERYONE, 422),
    "GET /password/reset/<token>": (EVERYONE, 200),
    "POST /password/reset/<token>": (EVERYONE, 422),
    "GET /password/forgot": (EVERYONE, 200),
    "POST /password/forgot": (EVERYONE, 422),
    # --- any signed-in user ----------------------------------------------------------------
    "GET /home": (SIGNED_IN, 200),
    "POST /logout": (SIGNED_IN, 302),
    "GET /account/password": (SIGNED_IN, 200),
    "POST /account/password": (SIGNED_IN, 422),
    "GET /platforms/": (PROGRAMME, 200),
    "GET /platforms/<int:platform_id>": (PROGRAMME, 200),
    "GET /notifications/": (SIGNED_IN, 200),
    "POST /notifications/read-all": (SIGNED_IN, 302),
    "GET /calendar": (SIGNED_IN, 200),
    "POST /calendar/rotate": (SIGNED_IN, 200),
    "POST /calendar/disable": (SIGNED_IN, 302),
    "GET /cycles/": (PROGRAMME, 200),
    "GET /cycles/<int:cycle_id>": (PROGRAMME, 200),
    "GET /eligibility/": (PROGRAMME, 200),
    # a chooser: operators are sent on to their platform
    "GET /projects/dashboard": (PROGRAMME, {"op": 302, "other_op": 302, **dict.fromkeys(REVIEWERS, 200)}),
    "GET /api/v1/me": (SIGNED_IN, 200),
    "GET /account/tokens": (SIGNED_IN, 200),
    "POST /account/tokens": (SIGNED_IN, 422),
    "GET /api/v1/me/tokens": (SIGNED_IN, 200),
    "POST /api/v1/me/tokens": (SIGNED_IN, 422),
    "GET /api/v1/platforms": (PROGRAMME, 200),
    "GET /api/v1/platforms/<int:platform_id>": (PROGRAMME, 200),
    "GET /api/v1/notifications": (SIGNED_IN, 200),
    "POST /api/v1/notifications/read-all": (SIGNED_IN, 200),
    "GET /api/v1/cycles": (PROGRAMME, 200),
    "GET /api/v1/cycles/<int:cycle_id>": (PROGRAMME, 200),
    "GET /api/v1/rubrics": (PROGRAMME, 200),
    "GET /api/v1/rubrics/<int:rubric_id>": (PROGRAMME, 200),
    # --- owner only: the notification belongs to the operator of A ------------------------------
    "POST /notifications/<int:notification_id>/read": (frozenset({"op"}), 302),
    "POST /api/v1/notifications/<int:notification_id>/read": (frozenset({"op"}), 200),
    # the API token of the operator of A: its owner revokes it, and admins (on the web)
    "POST /account/tokens/<int:token_id>/revoke": (frozenset({"op", "admin"}), 302),
    "DELETE /api/v1/me/tokens/<int:token_id>": (frozenset({"op"}), 200),
    # --- platform A's projects: viewers / editors ----------------------------------------------
    "GET /projects/platform/<int:platform_id>": (VIEW_A, 200),
    "GET /projects/platform/<int:platform_id>/new": (EDIT_A, 200),
    "POST /projects/platform/<int:platform_id>/new": (EDIT_A, 422),
    "GET /projects/<int:project_id>": (VIEW_A, 200),
    "GET /projects/<int:project_id>/edit": (EDIT_A, 200),
    "POST /projects/<int:project_id>/edit": (EDIT_A, 422),
    "GET /projects/<int:project_id>/gate": (EDIT_A, 200),
    "POST /projects/<int:project_id>/gate": (EDIT_A, 422),  # a POST with no form at all is not a submission
    "GET /projects/<int:project_id>/milestones/new": (EDIT_A, 200),
    "POST /projects/<int:project_id>/milestones/new": (EDIT_A, 422),
    "GET /projects/<int:project_id>/outcomes/new": (EDIT_A, 200),
    "POST /projects/<int:project_id>/outcomes/new": (EDIT_A, 422),
    "POST /projects/<int:project_id>/resume": (ADMIN, 302),
    "GET /projects/evidence/<int:evidence_id>": (VIEW_A, 200),
    "GET /projects/milestones/<int:milestone_id>": (VIEW_A, 200),
    "POST /projects/milestones/<int:milestone_id>": (EDIT_A, 422),
    "GET /projects/milestones/<int:milestone_id>/complete": (EDIT_A, 200),
    "POST /projects/milestones/<int:milestone_id>/complete": (EDIT_A, 422),
    "POST /projects/milestones/<int:milestone_id>/evidence": (EDIT_A, 422),
    "GET /projects/milestones/<int:milestone_id>/waive": (ADMIN, 200),
    "POST /projects/milestones/<int:milestone_id>/waive": (ADMIN, 422),
    "GET /api/v1/platforms/<int:platform_id>/projects": (VIEW_A, 200),
    "POST /api/v1/platforms/<int:platform_id>/projects": (EDIT_A, 422),
    "GET /api/v1/projects/<int:project_id>": (VIEW_A, 200),
    "PATCH /api/v1/projects/<int:project_id>": (EDIT_A, 422),
    "POST /api/v1/projects/<int:project_id>/resume": (ADMIN, 200),
    "GET /api/v1/projects/<int:project_id>/milestones": (VIEW_A, 200),
    "POST /api/v1/projects/<int:project_id>/milestones": (EDIT_A, 422),
    "GET /api/v1/projects/<int:project_id>/outcomes": (VIEW_A, 200),
    "POST /api/v1/projects/<int:project_id>/outcomes": (EDIT_A, 422),
    "GET /api/v1/projects/<int:project_id>/gate-reviews": (VIEW_A, 200),
    "POST /api/v1/projects/<int:project_id>/gate-reviews": (EDIT_A, 201),
    "GET /api/v1/milestones/<int:milestone_id>": (VIEW_A, 200),
    "PATCH /api/v1/milestones/<int:milestone_id>": (EDIT_A, 422),
    "POST /api/v1/milestones/<int:milestone_id>/evidence": (EDIT_A, 422),
    "POST /api/v1/outcomes/<int:outcome_id>/evidence": (EDIT_A, 422),
    "GET /api/v1/evidence/<int:evidence_id>": (VIEW_A, 200),
    # --- gates: gatekeeper ------------------------------------------------------------------
    "GET /gates/": (DECIDE_A, 200),
    "GET /gates/<int:review_id>": (VIEW_A, 200),
    "POST /gates/<int:review_id>": (DECIDE_A, 422),
    "GET /api/v1/gate-reviews": (DECIDE_A, 200),
    "GET /api/v1/gate-reviews/<int:review_id>": (VIEW_A, 200),
    "POST /api/v1/gate-reviews/<int:review_id>/decision": (DECIDE_A, 422),
    "GET /gates/templates": (ADMIN, 200),
    "POST /gates/templates": (ADMIN, 422),
    "POST /gates/templates/<int:platform_id>/customise": (ADMIN, 302),
    "POST /gates/templates/<int:platform_id>/reset": (ADMIN, 302),
    "GET /gates/templates/items/<int:item_id>": (ADMIN, 200),
    "POST /gates/templates/items/<int:item_id>": (ADMIN, 422),
    "POST /gates/templates/items/<int:item_id>/delete": (ADMIN, 302),
    # --- cycles, rubrics: admin ---------------------------------------------------------------
    "GET /cycles/new": (ADMIN, 200),
    "POST /cycles/new": (ADMIN, 422),
    "GET /cycles/<int:cycle_id>/edit": (ADMIN, 200),
    "POST /cycles/<int:cycle_id>/edit": (ADMIN, 422),
    "POST /cycles/<int:cycle_id>/open": (ADMIN, 302),  # the buttons go back to the cycle, saying what happened
    "POST /cycles/<int:cycle_id>/close": (ADMIN, 409),  # before closes_at: the closing guard asks for a reason
    "POST /cycles/<int:cycle_id>/publish": (ADMIN, 302),
    "GET /cycles/<int:cycle_id>/assignments": (ADMIN, 200),
    "POST /cycles/<int:cycle_id>/assignments": (ADMIN, 422),
    "POST /cycles/<int:cycle_id>/assignments/balanced": (ADMIN, 422),
    "POST /cycles/<int:cycle_id>/assignments/<int:assignment_id>/delete": (ADMIN, 302),
    "GET /cycles/<int:cycle_id>/results": (ADMIN, 200),  # the cycle is open: results are provisional, admin only
    "GET /cycles/rubrics": (ADMIN, 200),
    "GET /cycles/rubrics/<int:rubric_id>": (PROGRAMME, 200),  # criteria and guidance: reviewers read them too
    "GET /cycles/rubrics/new": (ADMIN, 200),
    "POST /cycles/rubrics/new": (ADMIN, 422),
    "POST /api/v1/cycles": (ADMIN, 422),
    "PATCH /api/v1/cycles/<int:cycle_id>": (ADMIN, 422),
    "POST /api/v1/cycles/<int:cycle_id>/open": (ADMIN, 409),  # the world's cycle is open already
    "POST /api/v1/cycles/<int:cycle_id>/close": (ADMIN, 409),  # early, no reason: 409 reason_required
    "POST /api/v1/cycles/<int:cycle_id>/publish": (ADMIN, 409),  # an open cycle is not published
    "POST /api/v1/cycles/<int:cycle_id>/assignments": (ADMIN, 422),
    "POST /api/v1/cycles/<int:cycle_id>/assignments/balanced": (ADMIN, 200),
    "DELETE /api/v1/cycles/<int:cycle_id>/assignments/<int:assignment_id>": (ADMIN, 200),
    "GET /api/v1/cycles/<int:cycle_id>/results": (ADMIN, 200),
    "POST /api/v1/rubrics": (ADMIN, 422),
    # assignments: admin all, a reviewer its own list (any reviewer may ask; an empty list for others)
    "GET /api/v1/cycles/<int:cycle_id>/assignments": (REVIEWERS, 200),
    # --- reviews: the assigned reviewer ----------------------------------------------------------
    "GET /reviews/": (PROGRAMME, 200),  # each sees their own: reviewers their assignments, operators self-assessments
    "GET /reviews/<int:cycle_id>/<int:platform_id>": (OWN_REVIEW, 200),
    "POST /reviews/<int:cycle_id>/<int:platform_id>": (OWN_REVIEW, 422),  # the empty form lacks the version read
    # the caller's own review; admins read anyone's (?reviewer_id=)
    "GET /api/v1/cycles/<int:cycle_id>/reviews/<int:platform_id>": (OWN_REVIEW | ADMIN, 200),
    "PUT /api/v1/cycles/<int:cycle_id>/reviews/<int:platform_id>": (OWN_REVIEW, 422),  # the empty body: no version
    # --- self-assessments: operators of the platform write, assigned reviewers read --------------
    "GET /reviews/<int:cycle_id>/self-assessment/<int:platform_id>": (SA_VIEW_A, 200),
    "POST /reviews/<int:cycle_id>/self-assessment/<int:platform_id>": (SA_EDIT_A, 422),  # no version in the empty form
    "POST /reviews/<int:cycle_id>/self-assessment/<int:platform_id>/attachments": (SA_EDIT_A, 302),
    "POST /reviews/<int:cycle_id>/self-assessment/<int:platform_id>/attachments/<int:file_id>/delete": (SA_EDIT_A, 302),
    "GET /reviews/attachments/<int:file_id>": (SA_VIEW_A, 200),
    "GET /api/v1/cycles/<int:cycle_id>/self-assessments/<int:platform_id>": (SA_VIEW_A, 200),
    "PUT /api/v1/cycles/<int:cycle_id>/self-assessments/<int:platform_id>": (SA_EDIT_A, 422),  # the empty body
    "POST /api/v1/cycles/<int:cycle_id>/self-assessments/<int:platform_id>/attachments": (SA_EDIT_A, 422),
    "DELETE /api/v1/cycles/<int:cycle_id>/self-assessments/<int:platform_id>/attachments/<int:file_id>": (SA_EDIT_A, 200),
    "GET /api/v1/self-assessment-files/<int:file_id>": (SA_VIEW_A, 200),
    # --- eligibility and exports: admin while the cycle is open ----------------------------------
    "GET /eligibility/cycles/<int:cycle_id>": (ADMIN, 200),
    "GET /eligibility/cycles/<int:cycle_id>/notice": (ADMIN, 200),
    "GET /eligibility/cycles/<int:cycle_id>/platforms/<int:platform_id>": (ADMIN, 200),
    "GET /eligibility/cycles/<int:cycle_id>/what-if": (ADMIN, 200),
    "GET /api/v1/cycles/<int:cycle_id>/eligibility": (ADMIN, 200),
    # exports of platform A's projects (?platform=A): whoever sees its projects
    "GET /exports/<name>.csv": (VIEW_A, 200),
    "GET /exports/<name>.xlsx": (VIEW_A, 200),
    "GET /api/v1/exports/<name>.csv": (VIEW_A, 200),
    "GET /api/v1/exports/<name>.xlsx": (VIEW_A, 200),
    # --- people: admin (the user is the operator of A) -----------------------------------------
    "GET /admin/users": (ADMIN, 200),
    "GET /admin/users/invite": (ADMIN, 200),
    "POST /admin/users/invite": (ADMIN, 422),
    "GET /admin/users/<int:user_id>": (ADMIN, 200),
    "POST /admin/users/<int:user_id>": (ADMIN, 422),
    "POST /admin/users/<int:user_id>/deactivate": (ADMIN, 302),
    "POST /admin/users/<int:user_id>/reactivate": (ADMIN, 302),  # active already: back to the page, saying so
    "POST /admin/users/<int:user_id>/invitation": (ADMIN, 302),  # has a password: back, saying to send a reset
    "POST /admin/users/<int:user_id>/reset": (ADMIN, 201),  # no mail here: the link is shown once
    "GET /admin/tokens": (ADMIN, 200),
    "GET /admin/sign-in": (ADMIN, 200),
    "POST /admin/sign-in": (ADMIN, 422),
    "GET /admin/sign-in/throttles": (ADMIN, 200),
    "POST /admin/sign-in/throttles/lift": (ADMIN, 302),  # nothing throttled: back to the page, saying so
    # --- platforms: admin (platform A; the empty form lacks the reason, the note, the person) --------------
    "GET /admin/platforms": (ADMIN, 200),
    "GET /admin/platforms/new": (ADMIN, 200),
    "POST /admin/platforms/new": (ADMIN, 422),
    "GET /admin/platforms/<int:platform_id>": (ADMIN, 200),
    "GET /admin/platforms/<int:platform_id>/edit": (ADMIN, 200),
    "POST /admin/platforms/<int:platform_id>/edit": (ADMIN, 422),
    "POST /admin/platforms/<int:platform_id>/suspend": (ADMIN, 422),
    "POST /admin/platforms/<int:platform_id>/reactivate": (ADMIN, 422),
    "POST /admin/platforms/<int:platform_id>/delist": (ADMIN, 422),
    "POST /admin/platforms/<int:platform_id>/delisting-review/delist": (ADMIN, 422),  # the empty form: no reason
    "POST /admin/platforms/<int:platform_id>/delisting-review/clear": (ADMIN, 422),
    "POST /admin/platforms/<int:platform_id>/integrity/set": (ADMIN, 422),
    "POST /admin/platforms/<int:platform_id>/integrity/clear": (ADMIN, 422),
    "POST /admin/platforms/<int:platform_id>/operators": (ADMIN, 422),
    "POST /admin/platforms/<int:platform_id>/gatekeepers": (ADMIN, 422),
    # the operator of A, and A's gatekeeper, are unbound (a button: no input but CSRF)
    "POST /admin/platforms/<int:platform_id>/operators/<int:user_id>/delete": (ADMIN, 302),
    "POST /admin/platforms/<int:platform_id>/gatekeepers/<int:user_id>/delete": (ADMIN, 302),
    # a conflict declared on rev_assigned's assignment: by that reviewer or an admin (the empty body lacks the kind)
    "POST /api/v1/cycles/<int:cycle_id>/assignments/<int:assignment_id>/conflict":
        (frozenset({"rev_assigned", "admin"}), 422),
    # --- institutions: admin (the empty form lacks the Chinese name, the merge its target) ----------------
    "GET /admin/institutions": (ADMIN, 200),
    "GET /admin/institutions/new": (ADMIN, 200),
    "POST /admin/institutions/new": (ADMIN, 422),
    "GET /admin/institutions/<int:institution_id>": (ADMIN, 200),
    "POST /admin/institutions/<int:institution_id>": (ADMIN, 422),
    "POST /admin/institutions/<int:institution_id>/merge": (ADMIN, 422),
    "GET /api/v1/institutions": (ADMIN, 200),
    "POST /api/v1/institutions": (ADMIN, 422),
    "GET /api/v1/institutions/<int:institution_id>": (ADMIN, 200),
    "PATCH /api/v1/institutions/<int:institution_id>": (ADMIN, 200),  # nothing sent: nothing changes
    # --- programme and audit: admin ----------------------------------------------------------
    "GET /dashboards/programme": (ADMIN, 200),
    "GET /api/v1/audit": (ADMIN, 200),
    "POST /api/v1/platforms": (ADMIN, 422),
    "PATCH /api/v1/platforms/<int:platform_id>": (ADMIN, 200),
    "POST /api/v1/platforms/<int:platform_id>/delisting-review": (ADMIN, 422),  # the empty body: decision, reason
}


# someone else's notification is not found (services.notifications.get_own_or_404: no existence leak)
NOT_YOURS = frozenset({"POST /notifications/<int:notification_id>/read",
                       "POST /api/v1/notifications/<int:notification_id>/read",
                       "POST /account/tokens/<int:token_id>/revoke", "DELETE /api/v1/me/tokens/<int:token_id>"})
ERROR_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found"}


def refusal(route: str, role: str) -> int:
    """The status a role the route is not for gets (DESIGN §7); 302 means the redirect to the sign-in page."""
    api = route.split(" ", 1)[1].startswith("/api/")
    if role == "anon":
        return 401 if api else 302
    return 404 if route in NOT_YOURS else 403


def expected(route: str, role: str) -> int:
    allowed, status = MATRIX[route]
    if role not in allowed:
        return refusal(route, role)
    return status[role] if isinstance(status, dict) else status


def test_every_allowed_role_has_its_status():
    missing = [f"{route}: {sorted(allowed - status.keys())}" for route, (allowed, status) in MATRIX.items()
               if isinstance(status, dict) and status.keys() != allowed]
    assert missing == []


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

    from platform_mgr.models import Institution

    make = Factory(db)
    host_a = Institution(name_zh="甲研究院", name_key="甲研究院")
    db.add(host_a)
    db.commit()
    a = make.platform(code="PA", host_institution="甲研究院", institution_id=host_a.id)
    b = make.platform(code="PB", host_institution="乙研究院")
    users = dict(
        op=make.operator(a),
        other_op=make.operator(b),
        rev_assigned=make.reviewer(affiliation="丙大学"),
        rev_past=make.reviewer(affiliation="己大学"),
        rev_conflicted=make.reviewer(affiliation="庚大学"),
        rev_other=make.reviewer(affiliation="丁大学"),
        gatekeeper=make.reviewer(gatekeeper_of=[a], affiliation="戊大学"),
        admin=make.admin(),
        finance=make.user(role="finance"),
        applicant=make.user(role="applicant"),
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
    make.assignment(cycle, users["rev_conflicted"], a, conflict_declared=True, conflict_note="曾在该平台任职")
    past = make.cycle(name="2025年度评估", state="closed", window_start=date(2025, 1, 1), window_end=date(2025, 10, 31),
                      opens_at=datetime(2025, 11, 1, tzinfo=timezone.utc),
                      closes_at=datetime(2025, 12, 1, tzinfo=timezone.utc),
                      opened_at=datetime(2025, 11, 1, tzinfo=timezone.utc),
                      closed_at=datetime(2025, 12, 1, tzinfo=timezone.utc))
    make.assignment(past, users["rev_past"], a, review_state="submitted")
    notification = Notification(recipient_id=users["op"].id, kind="test", subject_zh="通知", subject_en="Notice",
                                dedup_key="authz-matrix")
    db.add(notification)
    db.commit()
    with app.test_request_context():
        ev = evidence_svc.store_evidence(db, None, project_id=project.id, stream=io.BytesIO(PDF), filename="a.pdf",
                                         upload_dir=app.config["UPLOAD_DIR"], max_bytes=10**6,
                                         milestone_id=milestone.id)
        # in a transaction of its own, as in a request: the self-assessment it creates is inserted inside a
        # SAVEPOINT, which PostgreSQL refuses on the test's autocommit session
        from platform_mgr.db import get_engine, new_session
        from platform_mgr.models import Platform, ReviewCycle

        with new_session(get_engine(app.config["SQLALCHEMY_DATABASE_URI"])) as s:
            sa_file = sa_svc.add_attachment(s, None, s.get(ReviewCycle, cycle.id), s.get(Platform, a.id),
                                            io.BytesIO(PDF), "self.pdf")
            s.commit()
        token = calendar_svc.rotate_token(db, None, users["op"])
        db.commit()
    tokens = {role: make.token(u) for role, u in users.items()}
    from platform_mgr.enums import LinkPurpose
    from platform_mgr.services import accounts

    delivery = accounts.Delivery(secret_key=app.config["SECRET_KEY"])
    invited = make.user(role="reviewer", password_hash="")
    _link, invitation = accounts.new_link(db, None, invited, LinkPurpose.INVITATION, delivery)
    _link, reset = accounts.new_link(db, None, users["rev_other"], LinkPurpose.RESET, delivery)
    db.commit()
    from platform_mgr.models import ApiToken

    op_token_id = db.exec(select(ApiToken.id).where(ApiToken.user_id == users["op"].id)).first()
    keys = {role: make.web_session(u) for role, u in users.items()}
    values = dict(platform_id=a.id, project_id=project.id, milestone_id=milestone.id, outcome_id=outcome.id,
                  evidence_id=ev.id, review_id=review.id, item_id=item.id, cycle_id=cycle.id,
                  assignment_id=assignment.id, file_id=sa_file.id, notification_id=notification.id,
                  rubric_id=cycle.rubric_id, token=token, name="projects",
                  held_project_id=held.id, rev_assigned_id=users["rev_assigned"].id, user_id=users["op"].id,
                  gatekeeper_id=users["gatekeeper"].id, institution_id=host_a.id,
                  token_id=op_token_id, invitation=invitation, reset=reset)
    return dict(users=users, tokens=tokens, keys=keys, values=values, platform=a)


STATIC_FILES = {"/static/<path:filename>": "css/app.css",
                "/bootstrap/static/<path:filename>": "css/bootstrap.min.css"}
# routes whose permission depends on the object's state use the object in the state that allows it
OBJECT_FOR = {
    "POST /projects/<int:project_id>/resume": {"project_id": "held_project_id"},
    "POST /api/v1/projects/<int:project_id>/resume": {"project_id": "held_project_id"},
    "POST /admin/platforms/<int:platform_id>/gatekeepers/<int:user_id>/delete": {"user_id": "gatekeeper_id"},
    **{f"{m} /account/invitation/<token>": {"token": "invitation"} for m in ("GET", "POST")},
    **{f"{m} /password/reset/<token>": {"token": "reset"} for m in ("GET", "POST")},
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
            sess["_user_id"] = world["keys"][role]
            sess["_fresh"] = True
    return client.open(url, method=method, data={} if method == "POST" else None)


@pytest.mark.parametrize("route", ALL_ROUTES)
def test_route_authorization(app, db, route):
    method, _sep, rule_text = route.partition(" ")
    rule = next(r for m, r in _routes(app) if m == method and r.rule == rule_text)
    assert route in MATRIX, f"{route} is not in the authorization matrix: classify it"
    allowed, _status = MATRIX[route]
    world = build_world(app, db)
    dirty = False
    failures = []
    # denied roles first; each write by an allowed role gets a fresh world
    for role in sorted(ROLES, key=lambda r: r in allowed):
        if dirty:
            _clean(app.config["SQLALCHEMY_DATABASE_URI"])
            world = build_world(app, db)
        response = _call(app, world, role, route, rule)
        response.get_data()  # read to the end: a streamed export or download ends its request here
        status, want = response.status_code, expected(route, role)
        location = urlsplit(response.headers.get("Location", "")).path
        if method != "GET" and role in allowed:
            dirty = True
        if status != want:
            failures.append(f"{role}: {status}, not {want}" + (f" (to {location})" if status == 302 else ""))
        elif role in allowed:
            if status == 302 and location == "/login" and route != "POST /logout":
                failures.append(f"{role}: sent to sign in but allowed")
        elif status == 302:
            if location != "/login":
                failures.append(f"{role}: sent to {location}, not to sign in")
        elif rule.rule.startswith("/api/") and response.get_json()["error"]["code"] != ERROR_CODES[status]:
            failures.append(f"{role}: {status} with error code {response.get_json()['error']['code']}")
    assert not failures, f"{route}: " + "; ".join(failures)
