"""Review cycles, assignments, results and rubric versions (DESIGN §7)."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict

from .. import permissions
from ..db import get_session
from ..enums import CycleState
from ..inputs import DbInt
from ..inputs.cycles import (
    AssignmentCreate,
    BalancedRequest,
    ConflictDeclaration,
    CycleClose,
    CycleCreate,
    CycleUpdate,
    RubricCreate,
)
from ..loaders import load_cycle, require
from ..models import Rubric, utcnow
from ..queries import cycles as q
from ..queries.results import cycle_results, results_json
from ..services import assignments as assign_svc
from ..services import conflicts
from ..services import cycles as svc
from ..services import rubrics as rubric_svc
from .core import commit, current_actor, current_user_obj
from .cycles_schemas import AssignmentOut, BalancedOut, CriterionOut, CycleOut, ProgressOut, ResultsOut, RubricOut
from .spec import LongPageQuery, PageQuery, endpoint, page_of


class CycleQuery(PageQuery):
    model_config = ConfigDict(extra="ignore")

    state: Optional[CycleState] = None


class AssignmentQuery(LongPageQuery):
    model_config = ConfigDict(extra="ignore")

    platform_id: Optional[DbInt] = None
    reviewer_id: Optional[DbInt] = None


def cycle_out(cycle, rubric_version: int | None = None, progress=None) -> CycleOut:
    return CycleOut(
        id=cycle.id, name=cycle.name, state=cycle.state, window_start=cycle.window_start, window_end=cycle.window_end,
        opens_at=cycle.opens_at, closes_at=cycle.closes_at, budget=cycle.budget, rules=dict(cycle.rules or {}),
        rubric_id=cycle.rubric_id, rubric_version=rubric_version, opened_at=cycle.opened_at,
        closed_at=cycle.closed_at, published_at=cycle.published_at, close_reason=cycle.close_reason or "",
        version=cycle.version, progress=None if progress is None else ProgressOut(
            assigned=progress.assigned, not_started=progress.not_started, draft=progress.draft,
            submitted=progress.submitted, conflicts=progress.conflicts))


def assignment_out(a, users=None, platforms=None) -> AssignmentOut:
    user = (users or {}).get(a.reviewer_id)
    platform = (platforms or {}).get(a.platform_id)
    return AssignmentOut(id=a.id, cycle_id=a.cycle_id, reviewer_id=a.reviewer_id, platform_id=a.platform_id,
                         review_state=a.review_state, conflict_declared=a.conflict_declared,
                         conflicted=a.conflicted, conflict_rules=list(a.conflict_rules or []),
                         submitted_at=a.submitted_at, version=a.version,
                         reviewer_name=user.display_name if user else None,
                         platform_code=platform.code if platform else None)


def criterion_out(c) -> CriterionOut:
    return CriterionOut(code=c.code, dimension=c.dimension, max_points=c.max_tenths / 10, name_zh=c.name_zh,
                        name_en=c.name_en, guidance_zh=c.guidance_zh, guidance_en=c.guidance_en)


def _cycle_out(session, cycle, with_progress: bool) -> CycleOut:
    rubric = session.get(Rubric, cycle.rubric_id)
    progress = q.cycle_progress(session, [cycle.id]).get(cycle.id, q.Progress()) if with_progress else None
    return cycle_out(cycle, rubric.version if rubric else None, progress)


def _reads_programme(**_path) -> None:
    require(permissions.can_read_programme(current_actor()))


def _managed(cycle_id: int) -> dict:
    return {"cycle": load_cycle(cycle_id, need=permissions.can_manage_cycle)}


def _may_manage_cycles(**_path) -> None:
    require(permissions.can_manage_cycles(current_actor()))


# --- cycles -------------------------------------------------------------------------------------

@endpoint("/cycles", resp=CycleOut, paginated=True, authorise=_reads_programme)
def cycles_list(query: CycleQuery):
    """List review cycles"""
    session = get_session()
    a = current_actor()
    rows, total = q.list_cycles(session, page=query.page, per_page=query.per_page, state=query.state)
    versions = q.rubric_versions(session, [c.rubric_id for c in rows])
    progress = q.cycle_progress(session, [c.id for c in rows]) if permissions.can_manage_cycles(a) else None
    return page_of((cycle_out(c, versions.get(c.rubric_id), None if progress is None else
                              progress.get(c.id, q.Progress())) for c in rows), query, total)


@endpoint("/cycles", "POST", resp=CycleOut, status=201, name="cycles_create", authorise=_may_manage_cycles)
def cycles_create(json: CycleCreate):
    """Create a review cycle (admin); it starts as a draft"""
    session = get_session()
    cycle = svc.create_cycle(session, current_user_obj(), json)
    commit()
    return _cycle_out(session, cycle, True), 201


@endpoint("/cycles/<int:cycle_id>", resp=CycleOut,
          authorise=lambda cycle_id: {"cycle": load_cycle(cycle_id,
                                                          need=permissions.can_view_cycle)})
def cycles_detail(cycle_id: int, cycle):
    """A review cycle"""
    return _cycle_out(get_session(), cycle, permissions.can_manage_cycles(current_actor()))


@endpoint("/cycles/<int:cycle_id>", "PATCH", resp=CycleOut, name="cycles_update", authorise=_managed)
def cycles_update(cycle_id: int, cycle, json: CycleUpdate):
    """Edit a cycle (admin): everything while a draft; name, budget, rules and closing time while open. Carries "version"; stale → 409"""  # noqa: E501
    session = get_session()
    svc.update_cycle(session, current_user_obj(), cycle, json, now=utcnow())
    commit()
    return _cycle_out(session, cycle, True)


def _transition(cycle, action) -> CycleOut:
    session = get_session()
    now = utcnow()
    if action is svc.open_cycle:
        svc.check_manual_open(cycle, now)
    action(session, current_user_obj(), cycle, now=now)
    commit()
    return _cycle_out(session, cycle, True)


@endpoint("/cycles/<int:cycle_id>/open", "POST", resp=CycleOut, name="cycles_open", authorise=_managed)
def cycles_open(cycle_id: int, cycle):
    """Open scoring (admin); freezes the rubric version"""
    return _transition(cycle, svc.open_cycle)


@endpoint("/cycles/<int:cycle_id>/close", "POST", resp=CycleOut, name="cycles_close", authorise=_managed)
def cycles_close(cycle_id: int, cycle, json: CycleClose):
    """Close scoring (admin); freezes the eligibility snapshot. Before closes_at, or with platforms below R1's minimum, a written "reason" is required (409 reason_required)"""  # noqa: E501
    session = get_session()
    svc.close_cycle(session, current_user_obj(), cycle, now=utcnow(), reason=json.reason, by_hand=True)
    commit()
    return _cycle_out(session, cycle, True)


@endpoint("/cycles/<int:cycle_id>/publish", "POST", resp=CycleOut, name="cycles_publish", authorise=_managed)
def cycles_publish(cycle_id: int, cycle):
    """Publish the results of a closed cycle (admin)"""
    return _transition(cycle, svc.publish_cycle)


# --- assignments ---------------------------------------------------------------------------------

def _assignments_readable(cycle_id: int) -> dict:
    a = current_actor()
    cycle = load_cycle(cycle_id)
    require(a.is_admin or a.is_reviewer, a)
    return {"cycle": cycle}


@endpoint("/cycles/<int:cycle_id>/assignments", resp=AssignmentOut, paginated=True, authorise=_assignments_readable)
def cycles_assignments(cycle_id: int, cycle, query: AssignmentQuery):
    """Assignments: admins see all, a reviewer their own"""
    a = current_actor()
    reviewer_id = query.reviewer_id if a.is_admin else a.id
    rows, total, users, platforms = q.list_assignments(get_session(), cycle, reviewer_id=reviewer_id,
                                                       platform_id=query.platform_id, page=query.page,
                                                       per_page=query.per_page)
    return page_of((assignment_out(x, users, platforms) for x in rows), query, total)


@endpoint("/cycles/<int:cycle_id>/assignments", "POST", resp=AssignmentOut, status=201, name="cycles_assign",
          authorise=_managed)
def cycles_assign(cycle_id: int, cycle, json: AssignmentCreate):
    """Assign a reviewer to a platform (admin); a conflict of interest (C1, C3, C4) → 409 conflict_of_interest"""
    session = get_session()
    assignment = assign_svc.assign_reviewer(session, current_user_obj(), cycle, json.reviewer_id, json.platform_id)
    commit()
    return assignment_out(assignment, q.users_by_id(session, [assignment.reviewer_id]),
                          q.platforms_by_id(session, [assignment.platform_id])), 201


class Deleted(BaseModel):
    """Which row went."""

    deleted: int


@endpoint("/cycles/<int:cycle_id>/assignments/<int:assignment_id>", "DELETE", resp=Deleted, name="cycles_unassign",
          authorise=lambda cycle_id, assignment_id: _managed(cycle_id))
def cycles_unassign(cycle_id: int, assignment_id: int, cycle):
    """Remove an assignment (admin); a submitted review stays"""
    session = get_session()
    assignment = q.get_assignment_or_404(session, cycle, assignment_id)
    assign_svc.remove_assignment(session, current_user_obj(), cycle, assignment)
    commit()
    return Deleted(deleted=assignment_id)


def _declarer(cycle_id: int, assignment_id: int) -> dict:
    a = current_actor()
    cycle = load_cycle(cycle_id)
    require(a.is_admin or a.is_reviewer, a)
    assignment = q.get_assignment_or_404(get_session(), cycle, assignment_id)
    require(permissions.can_declare_conflict(a, cycle, assignment), a)
    return {"cycle": cycle, "assignment": assignment}


@endpoint("/cycles/<int:cycle_id>/assignments/<int:assignment_id>/conflict", "POST", resp=AssignmentOut,
          name="cycles_declare_conflict", authorise=_declarer)
def cycles_declare_conflict(cycle_id: int, assignment_id: int, cycle, assignment, json: ConflictDeclaration):
    """Declare a conflict of interest (rule C2; the reviewer or an admin): the review stops counting at once"""
    session = get_session()
    conflicts.declare(session, current_user_obj(), cycle, assignment, json.kind, json.note)
    commit()
    return assignment_out(assignment, q.users_by_id(session, [assignment.reviewer_id]),
                          q.platforms_by_id(session, [assignment.platform_id]))


@endpoint("/cycles/<int:cycle_id>/assignments/balanced", "POST", resp=BalancedOut, also=(201,),
          name="cycles_balanced", authorise=_managed)
def cycles_balanced(cycle_id: int, cycle, json: BalancedRequest):
    """Balanced suggestion (admin): every active platform gets at least N reviewers, reviewers of its field first, loads spread, caps and conflicts respected, each pair with its reason; "apply": true creates it"""  # noqa: E501
    session = get_session()
    if json.apply:
        suggestion = assign_svc.apply_balanced(session, current_user_obj(), cycle, json.min_per_platform)
        commit()
    else:
        suggestion = assign_svc.balanced_suggestion(session, cycle, json.min_per_platform)
    return BalancedOut(applied=json.apply,
                       pairs=[{"reviewer_id": r, "platform_id": p, "reason": suggestion.reasons[(r, p)].code,
                               "reason_text": str(suggestion.why(r, p)), "load": suggestion.reasons[(r, p)].load,
                               "max_load": suggestion.reasons[(r, p)].cap} for r, p in suggestion.pairs],
                       shortfall={str(k): v for k, v in suggestion.shortfall.items()},
                       loads={str(k): v for k, v in sorted(suggestion.loads.items())}), (201 if json.apply else 200)


# --- results -------------------------------------------------------------------------------------

@endpoint("/cycles/<int:cycle_id>/results", resp=ResultsOut,
          authorise=lambda cycle_id: {"cycle": load_cycle(cycle_id,
                                                          need=permissions.can_view_results)})
def cycles_results(cycle_id: int, cycle):
    """Results per platform: n_reviews, total (trimmed mean), std, min, max, dimensions, normalised_total, disputed (admin, provisional while open; everyone once published). Admins also get the per-reviewer breakdown and reviewer statistics"""  # noqa: E501
    return results_json(cycle_results(get_session(), cycle),
                        include_reviewers=permissions.can_view_reviewer_breakdown(current_actor(), cycle))


# --- rubrics -------------------------------------------------------------------------------------

def rubric_out(r, criteria=None, count=None) -> RubricOut:
    return RubricOut(id=r.id, version=r.version, name=r.name, created_at=r.created_at,
                     criteria=None if criteria is None else [criterion_out(c) for c in criteria],
                     criteria_count=count)


@endpoint("/rubrics", resp=RubricOut, paginated=True, authorise=_reads_programme)
def rubrics_list(query: PageQuery):
    """Rubric versions, newest first"""
    rows = q.list_rubrics(get_session())
    return page_of((rubric_out(r, count=n) for r, n in query.slice(rows)), query, len(rows))


@endpoint("/rubrics/<int:rubric_id>", resp=RubricOut, authorise=_reads_programme)
def rubrics_detail(rubric_id: int):
    """A rubric version with its criteria"""
    session = get_session()
    rubric = q.get_rubric_or_404(session, rubric_id)
    return rubric_out(rubric, q.rubric_criteria(session, rubric.id))


@endpoint("/rubrics", "POST", resp=RubricOut, status=201, name="rubrics_create", authorise=_may_manage_cycles)
def rubrics_create(json: RubricCreate):
    """Create a new rubric version (admin); draft cycles move to it, opened cycles keep theirs"""
    session = get_session()
    rubric = rubric_svc.create_rubric_version(session, current_user_obj(), json)
    commit()
    return rubric_out(rubric, q.rubric_criteria(session, rubric.id)), 201
