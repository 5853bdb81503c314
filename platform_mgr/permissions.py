"""Who may do what: the whole authorization matrix in one module.

Every view and API endpoint asks one of these ``can_*`` functions, and templates
call the same ones to show or hide buttons. They are pure functions of an
:class:`Actor` (the caller with the platform sets that matter) and plain objects,
so they are tested as a table without a database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .enums import READ_ONLY_PROJECT_STATUSES, CycleState, ProjectStatus, Role


@dataclass(frozen=True)
class Actor:
    id: int | None = None
    role: str | None = None  # None: anonymous
    active: bool = True
    operator_platform_ids: frozenset[int] = field(default_factory=frozenset)
    gatekeeper_platform_ids: frozenset[int] = field(default_factory=frozenset)
    #: platforms the reviewer has a *live* assignment to: a draft or open cycle, not conflicted (DESIGN §10;
    #: ``grants_platform_access`` decides which assignments count, ``queries.access.load_actor`` asks it)
    assigned_platform_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def authenticated(self) -> bool:
        return self.role is not None and self.active

    @property
    def is_admin(self) -> bool:
        return self.authenticated and self.role == Role.ADMIN

    @property
    def is_operator(self) -> bool:
        return self.authenticated and self.role == Role.OPERATOR

    @property
    def is_reviewer(self) -> bool:
        return self.authenticated and self.role == Role.REVIEWER

    @property
    def is_finance(self) -> bool:
        return self.authenticated and self.role == Role.FINANCE

    @property
    def is_applicant(self) -> bool:
        return self.authenticated and self.role == Role.APPLICANT


ANONYMOUS = Actor()

#: the programme's own people, who read its programme information (platforms, cycles, published results);
#: finance officers read agreements and ledgers and applicants their own applications, nothing else (DESIGN §9)
PROGRAMME_ROLES = frozenset({Role.ADMIN, Role.OPERATOR, Role.REVIEWER})


def can_read_programme(actor: Actor) -> bool:
    """Platform names and status, cycles, published results: programme information for its own people."""
    return actor.authenticated and actor.role in PROGRAMME_ROLES


def _platform_id(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, int):
        return obj
    if hasattr(obj, "platform_id"):
        return obj.platform_id
    return getattr(obj, "id", None)


# --- reviewer assignments (DESIGN §10) -------------------------------------------------------

#: the cycle states in which an assignment still gives its reviewer access to the platform's data
LIVE_CYCLE_STATES = frozenset({CycleState.DRAFT, CycleState.OPEN})


def is_conflicted(assignment: Any) -> bool:
    """An assignment under a conflict of interest: the reviewer declared one, or the conflict rules (C1–C4,
    ``services.conflicts``) marked it. The one question every access rule asks of a conflict."""
    return bool(assignment.conflict_declared or assignment.conflicted)


def grants_platform_access(assignment: Any, cycle_state: str) -> bool:
    """Whether an assignment lets its reviewer read the platform's projects, milestones, evidence and exports:
    only while its cycle is a draft or open and it is not conflicted. A declared conflict removes access at
    once; a closed cycle's assignment lets the reviewer read their own review of that cycle, nothing more."""
    return cycle_state in LIVE_CYCLE_STATES and not is_conflicted(assignment)


# --- platforms -----------------------------------------------------------------------------

def can_list_platforms(actor: Actor) -> bool:
    """Platform names and status are programme information."""
    return can_read_programme(actor)


def can_view_platform(actor: Actor, platform: Any) -> bool:
    return can_read_programme(actor)


def can_manage_platforms(actor: Actor) -> bool:
    """Create platforms, change status, integrity flags, operators, gatekeepers, templates."""
    return actor.is_admin


def can_manage_platform(actor: Actor, platform: Any) -> bool:
    """Edit this platform (admins, whatever the platform)."""
    return can_manage_platforms(actor)


def can_manage_institutions(actor: Actor) -> bool:
    """List, create, edit and merge institutions (DESIGN §10): admins."""
    return actor.is_admin


def is_operator_of(actor: Actor, platform: Any) -> bool:
    return actor.is_operator and _platform_id(platform) in actor.operator_platform_ids


def is_gatekeeper_of(actor: Actor, platform: Any) -> bool:
    return actor.is_reviewer and _platform_id(platform) in actor.gatekeeper_platform_ids


# --- projects, milestones, outcomes, evidence ----------------------------------------------

def can_view_projects_of(actor: Actor, platform: Any) -> bool:
    """Project detail: the platform's operators, its gatekeepers, its reviewers with a live assignment, admins."""
    if actor.is_admin:
        return True
    pid = _platform_id(platform)
    if actor.is_operator:
        return pid in actor.operator_platform_ids
    if actor.is_reviewer:
        return pid in actor.gatekeeper_platform_ids or pid in actor.assigned_platform_ids
    return False


def can_view_project(actor: Actor, project: Any) -> bool:
    return can_view_projects_of(actor, project.platform_id)


def can_create_project(actor: Actor, platform: Any) -> bool:
    if getattr(platform, "status", "active") != "active" and not actor.is_admin:
        return False
    return actor.is_admin or is_operator_of(actor, platform)


def can_change_projects_of(actor: Actor, platform: Any) -> bool:
    """Who changes a platform's projects at all (its operators, admins), whatever a project's state: the role
    and ownership half of ``can_edit_project``. The API refuses the others with 403, and those whose change only
    the project's state forbids with 409 (DESIGN §7)."""
    return actor.is_admin or is_operator_of(actor, platform)


def can_edit_project(actor: Actor, project: Any) -> bool:
    """Edit project fields, record outcomes, upload evidence: only while the project is active.

    Killed, transferred and withdrawn projects are final; a project on hold is read-only too until an
    admin resumes it (DESIGN §3).
    """
    if project.status in READ_ONLY_PROJECT_STATUSES or project.status == ProjectStatus.ON_HOLD:
        return False
    return actor.is_admin or is_operator_of(actor, project.platform_id)


def can_edit_milestones(actor: Actor, project: Any) -> bool:
    """Milestones change only while the project is active (hold freezes them)."""
    return project.status == ProjectStatus.ACTIVE and can_edit_project(actor, project)


def can_waive_milestone(actor: Actor, project: Any) -> bool:
    return actor.is_admin and project.status == ProjectStatus.ACTIVE


def can_request_gate(actor: Actor, project: Any) -> bool:
    return project.status == ProjectStatus.ACTIVE and (actor.is_admin or is_operator_of(actor, project.platform_id))


def can_judge_gate(actor: Actor, project: Any, gate_review: Any) -> bool:
    """Who decides this gate review, whatever its state and the project's: admins, or a reviewer named gatekeeper
    for the platform; never the requester. The role and ownership half of ``can_decide_gate``: the others are
    refused with 403, and these with 409 when only the review's or the project's state stands in the way."""
    if actor.id is not None and actor.id == gate_review.requested_by_id:
        return False
    return actor.is_admin or is_gatekeeper_of(actor, project.platform_id)


def can_decide_gate(actor: Actor, project: Any, gate_review: Any) -> bool:
    """A pending review of an active project, decided by those ``can_judge_gate`` names."""
    if gate_review.decision is not None or project.status != "active":
        return False
    return can_judge_gate(actor, project, gate_review)


def can_resume_project(actor: Actor, project: Any) -> bool:
    return actor.is_admin and project.status == ProjectStatus.ON_HOLD


def can_view_evidence(actor: Actor, project: Any) -> bool:
    return can_view_project(actor, project)


def can_view_gate_queue(actor: Actor) -> bool:
    """The queue of pending gate reviews: admins, and reviewers named gatekeeper of some platform."""
    return actor.is_admin or (actor.is_reviewer and bool(actor.gatekeeper_platform_ids))


# --- review cycles -----------------------------------------------------------------------

def can_manage_cycles(actor: Actor) -> bool:
    """Create/edit cycles and rubrics, assign reviewers, open/close/publish."""
    return actor.is_admin


def can_manage_cycle(actor: Actor, cycle: Any) -> bool:
    """Edit this cycle, move its state, change its assignments (admins, whatever the cycle)."""
    return can_manage_cycles(actor)


def can_view_cycle(actor: Actor, cycle: Any) -> bool:
    return can_read_programme(actor)


def can_score(actor: Actor, cycle: Any, assignment: Any) -> bool:
    """A reviewer edits their own review of an assigned platform while the cycle is open."""
    return (
        actor.is_reviewer
        and assignment is not None
        and assignment.reviewer_id == actor.id
        and cycle.state == CycleState.OPEN
        and assignment.review_state != "submitted"
    )


def can_declare_conflict(actor: Actor, cycle: Any, assignment: Any) -> bool:
    """Declare a conflict of interest on an assignment (rule C2): its reviewer, and admins."""
    return actor.is_admin or (actor.is_reviewer and assignment.reviewer_id == actor.id)


def can_view_review(actor: Actor, cycle: Any, assignment: Any) -> bool:
    """Blind review: a reviewer reads only their own review (in every state of the cycle); admins read all."""
    if actor.is_admin:
        return True
    return actor.is_reviewer and assignment.reviewer_id == actor.id


def can_view_other_reviews(actor: Actor, cycle: Any, assignment: Any) -> bool:
    """The other reviewers' scores of the platform beside a review, anonymised: once the cycle is closed, to
    admins and to the review's own reviewer, unless that review is conflicted (a reviewer who declared or was
    found in a conflict of interest learns nothing of the others')."""
    if cycle.state not in (CycleState.CLOSED, CycleState.PUBLISHED):
        return False
    if actor.is_admin:
        return True
    return can_view_review(actor, cycle, assignment) and not is_conflicted(assignment)


def can_edit_self_assessment(actor: Actor, cycle: Any, platform: Any) -> bool:
    return cycle.state in ("draft", "open") and (actor.is_admin or is_operator_of(actor, platform))


def can_view_self_assessment(actor: Actor, cycle: Any, platform: Any, *, assigned_in_cycle: bool) -> bool:
    """A platform's self-assessment in a cycle: its operators, admins, and a reviewer with a non-conflicted
    assignment to the platform in *this* cycle (``assigned_in_cycle``, which the caller looks up)."""
    pid = _platform_id(platform)
    return actor.is_admin or is_operator_of(actor, pid) or (actor.is_reviewer and assigned_in_cycle)


def can_author_self_assessment(actor: Actor, platform: Any) -> bool:
    """Who writes a platform's self-assessment: its operators and admins (the cycle's state decides *when*:
    outside draft/open the service answers 409)."""
    return actor.is_admin or is_operator_of(actor, platform)


def can_view_reviewer_breakdown(actor: Actor, cycle: Any) -> bool:
    """Each reviewer's scores and the reviewer statistics of a cycle: admins only, in every state."""
    return actor.is_admin


def can_view_results(actor: Actor, cycle: Any) -> bool:
    """Results and eligibility: admins always (provisional while open); everyone once published."""
    if actor.is_admin:
        return True
    return can_read_programme(actor) and cycle.state == CycleState.PUBLISHED


def can_view_platform_result(actor: Actor, cycle: Any, platform: Any) -> bool:
    """Once published, operators see their own platform's full explanation."""
    if actor.is_admin:
        return True
    if cycle.state != "published":
        return False
    return is_operator_of(actor, platform) or actor.is_reviewer


def can_simulate_eligibility(actor: Actor) -> bool:
    return actor.is_admin


def can_export(actor: Actor, name: str, *, cycle: Any = None, platform: Any = None) -> bool:
    if actor.is_admin:
        return True
    if name in ("eligibility", "results"):
        return cycle is not None and can_view_results(actor, cycle)
    if name in ("projects", "milestones", "outcomes"):
        return platform is not None and can_view_projects_of(actor, platform)
    return False


# --- people, audit, notifications -----------------------------------------------------------

def can_manage_users(actor: Actor) -> bool:
    """Invite, edit, deactivate and reactivate people, send them links, see and revoke anyone's API tokens."""
    return actor.is_admin


def can_manage_sign_in(actor: Actor) -> bool:
    """See which directories are configured and choose the roles that must sign in through one; see the sign-in
    delays and address blocks and lift them."""
    return actor.is_admin


def can_manage_own_tokens(actor: Actor) -> bool:
    """List, create and revoke one's own API tokens: everyone signed in."""
    return actor.authenticated


def can_revoke_token(actor: Actor, token: Any) -> bool:
    """One's own token, or anyone's for an admin."""
    return actor.is_admin or (actor.authenticated and token.user_id == actor.id)


def can_view_audit(actor: Actor) -> bool:
    return actor.is_admin


def can_view_notifications(actor: Actor) -> bool:
    return actor.authenticated


def can_view_programme(actor: Actor) -> bool:
    """The commission's programme overview."""
    return actor.is_admin
