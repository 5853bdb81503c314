"""Load and authorise, once for the web and the API: the first lines of a view.

``load_project(project_id, need=permissions.can_edit_project)`` finds the row in the request's session (404
when it does not exist) and asks the permission of the request's actor (401 for a visitor, 403 for anyone
else): the view's own permission question is asked of `permissions` only. The errors are the app's own (`errors.py`), rendered
as a page or as JSON by the one handler of `create_app`.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import permissions
from .db import get_session
from .enums import ProjectStatus
from .errors import Forbidden, NotFound, StateConflict, Unauthorized
from .i18n import LazyLabel
from .permissions import ANONYMOUS, Actor
from .queries import cycles as cq
from .queries import gates as gq
from .queries import platforms as pq
from .queries import projects as prq
from .queries.access import load_actor

Check = Callable[..., bool]


def actor() -> Actor:
    """The permissions Actor of the current request (web session or API token), loaded once."""
    if "actor" not in g:
        user = getattr(g, "api_user", None)
        if user is None and current_user and current_user.is_authenticated:
            user = current_user._get_current_object()
        g.actor = load_actor(get_session(), user) if user is not None else ANONYMOUS
    return g.actor


def signed_in() -> Actor:
    """The actor of a page every signed-in person may open (401 for a visitor)."""
    who = actor()
    require(who.authenticated, who)
    return who


def person():
    """The signed-in User of the request (web session or API token); 401 for a visitor."""
    user = getattr(g, "api_user", None)
    if user is None and current_user and current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        raise Unauthorized(_l("Please sign in."))
    return user


def require(allowed: bool, who: Actor | None = None) -> None:
    """Stop with 401 (a visitor) or 403 (anyone else) unless the permission holds."""
    if allowed:
        return
    who = who or actor()
    if not who.authenticated:
        raise Unauthorized(_l("Please sign in."))
    raise Forbidden(_l("You do not have permission to do this."))


def require_change(allowed: bool, project, may: Check | None = None) -> None:
    """A change to a project (its fields, milestones, outcomes, evidence, a gate request), or the refusal DESIGN §7
    names: 403 when the caller's role or ownership does not allow it (``may``, by default who changes the
    platform's projects at all), 409 ``project_<status>`` when only the project's state does not (held, killed,
    transferred, withdrawn: the same request succeeds on an active project)."""
    if allowed:
        return
    who = actor()
    require(may(who, project) if may is not None else permissions.can_change_projects_of(who, project.platform_id),
            who)
    raise StateConflict(_l("The project's status is “%(status)s”; it cannot be edited.",
                           status=LazyLabel(ProjectStatus(project.status))), subject="project", state=project.status)


def load_project_to_change(project_id: int, need: Check, may: Check | None = None):
    """A project loaded for a change ``need`` allows: 404, 401/403 (may not see it, or ``may`` not change it),
    409 naming the project's state (``require_change``)."""
    project = load_project(project_id)
    require_change(need(actor(), project), project, may)
    return project


def load_milestone_to_change(milestone_id: int, need: Check, may: Check | None = None):
    """A milestone and its project loaded for a change, refused as ``load_project_to_change`` refuses."""
    milestone, project = load_milestone(milestone_id)
    require_change(need(actor(), project), project, may)
    return milestone, project


def load_platform(platform_id: int, need: Check = permissions.can_view_platform):
    platform = pq.get_platform_or_404(get_session(), platform_id)
    require(need(actor(), platform))
    return platform


def load_project(project_id: int, need: Check = permissions.can_view_project):
    return _with_project(None, project_id, need)[1]


def _with_project(row, project_id: int, need: Check):
    """A project's row (milestone, outcome, evidence, gate review) and the project, ``need`` asked of the project."""
    project = prq.get_project_or_404(get_session(), project_id)
    require(need(actor(), project))
    return row, project


def load_milestone(milestone_id: int, need: Check = permissions.can_view_project):
    milestone = prq.get_milestone_or_404(get_session(), milestone_id)
    return _with_project(milestone, milestone.project_id, need)


def load_outcome(outcome_id: int, need: Check = permissions.can_view_project):
    outcome = prq.get_outcome_or_404(get_session(), outcome_id)
    return _with_project(outcome, outcome.project_id, need)


def load_evidence(evidence_id: int, need: Check = permissions.can_view_evidence):
    evidence = prq.get_evidence_or_404(get_session(), evidence_id)
    return _with_project(evidence, prq.evidence_project_id(get_session(), evidence), need)


def load_gate_review(review_id: int, need: Check = permissions.can_view_project):
    review = gq.get_gate_review_or_404(get_session(), review_id)
    return _with_project(review, review.project_id, need)


def load_cycle(cycle_id: int, need: Check | None = None):
    cycle = cq.get_cycle_or_404(get_session(), cycle_id)
    if need is not None:
        require(need(actor(), cycle))
    return cycle


def load_cycle_and_platform(cycle_id: int, platform_id: int):
    """A cycle and a platform of one page (a review, a self-assessment); the caller asks its own question."""
    return cq.get_cycle_or_404(get_session(), cycle_id), pq.get_platform_or_404(get_session(), platform_id)


def require_self_assessment_reader(cycle, platform) -> None:
    """A platform's self-assessment in a cycle: a reviewer only while assigned to it in that cycle, not conflicted."""
    who = actor()
    assignment = cq.get_assignment(get_session(), cycle.id, who.id, platform.id) if who.is_reviewer else None
    assigned = assignment is not None and not permissions.is_conflicted(assignment)
    require(permissions.can_view_self_assessment(who, cycle, platform, assigned_in_cycle=assigned), who)


def load_attachment(file_id: int):
    """A self-assessment's attachment, and its file on disk, for a caller who may read the self-assessment."""
    from .services import self_assessments as sa_svc

    file, sa = cq.get_attachment_or_404(get_session(), file_id)
    cycle, platform = load_cycle_and_platform(sa.cycle_id, sa.platform_id)
    require_self_assessment_reader(cycle, platform)
    path = sa_svc.file_path(file)
    if not path.exists():
        raise NotFound(_l("No such file."))
    return file, path


def load_token(token_id: int, need: Check = permissions.can_revoke_token):
    """An API token the caller may act on; someone else's is not found for them (404), as a notification."""
    from .models import ApiToken

    row = get_session().get(ApiToken, token_id)
    who = actor()
    require(who.authenticated, who)
    if row is None or not need(who, row):
        raise NotFound(_l("No such token."))
    return row


def load_user(user_id: int, need: Check = permissions.can_manage_users):
    """A user record for the admin pages (403 for anyone but an admin, 404 when there is none)."""
    from .models import User

    require(need(actor()))
    user = get_session().get(User, user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    return user
