"""Review cycles, assignments, results and rubric versions (DESIGN §7)."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from .. import permissions
from ..db import get_session
from ..errors import Invalid
from ..models import Rubric, utcnow
from ..enums import CycleState
from ..queries import cycles as q
from ..queries.results import cycle_results, results_json
from ..services import assignments as assign_svc
from ..services import cycles as svc
from ..services import rubrics as rubric_svc
from . import serialise
from .core import (
    commit, current_actor, current_user_obj, int_arg, page_params, paginated, parse_body, require, route,
)
from .cycles_schemas import (
    AssignmentCreate, AssignmentOut, BalancedOut, BalancedRequest, CycleCreate, CycleOut, CycleUpdate, ResultsOut,
    RubricCreate, RubricOut,
)

CYCLE_FIELDS = ("id", "name", "state", "window_start", "window_end", "opens_at", "closes_at", "budget", "rules",
                "rubric_id", "opened_at", "closed_at", "published_at", "version")


def cycle_json(cycle, rubric_version: int | None = None, progress=None) -> dict:
    data = serialise.fields(cycle, CYCLE_FIELDS)
    data["rules"] = dict(cycle.rules or {})
    data["rubric_version"] = rubric_version
    if progress is not None:
        data["progress"] = {"assigned": progress.assigned, "not_started": progress.not_started,
                            "draft": progress.draft, "submitted": progress.submitted, "conflicts": progress.conflicts}
    return data


def assignment_json(a, users=None, platforms=None) -> dict:
    data = serialise.fields(a, ("id", "cycle_id", "reviewer_id", "platform_id", "review_state", "conflict_declared",
                                "submitted_at", "version"))
    user = (users or {}).get(a.reviewer_id)
    platform = (platforms or {}).get(a.platform_id)
    data["reviewer_name"] = user.display_name if user else None
    data["platform_code"] = platform.code if platform else None
    return data


def criterion_json(c) -> dict:
    return {"code": c.code, "dimension": c.dimension, "max_points": c.max_tenths / 10, "name_zh": c.name_zh,
            "name_en": c.name_en, "guidance_zh": c.guidance_zh, "guidance_en": c.guidance_en}


def _cycle_out(session, cycle, with_progress: bool) -> dict:
    rubric = session.get(Rubric, cycle.rubric_id)
    progress = q.cycle_progress(session, [cycle.id]).get(cycle.id, q.Progress()) if with_progress else None
    return cycle_json(cycle, rubric.version if rubric else None, progress)


# --- cycles -------------------------------------------------------------------------------------

@route("/cycles", ["GET"], summary="List review cycles", response=CycleOut, paginated=True,
       query={"state": "draft|open|closed|published"})
def cycles_list():
    session = get_session()
    a = current_actor()
    require(a.authenticated)
    page, per_page = page_params()
    state = request.args.get("state") or None
    if state is not None and state not in CycleState.values():
        raise Invalid(_l("Please correct the marked fields."),
                      fields={"state": _l("This value is not one of the allowed choices.")})
    rows, total = q.list_cycles(session, page=page, per_page=per_page, state=state)
    versions = q.rubric_versions(session, [c.rubric_id for c in rows])
    progress = q.cycle_progress(session, [c.id for c in rows]) if permissions.can_manage_cycles(a) else None
    return paginated([cycle_json(c, versions.get(c.rubric_id),
                                 None if progress is None else progress.get(c.id, q.Progress())) for c in rows],
                     page, per_page, total)


@route("/cycles", ["POST"], summary="Create a review cycle (admin); it starts as a draft", body=CycleCreate,
       response=CycleOut, endpoint="cycles_create")
def cycles_create():
    require(permissions.can_manage_cycles(current_actor()))
    body = parse_body(CycleCreate)
    session = get_session()
    cycle = svc.create_cycle(session, current_user_obj(), body.model_dump())
    commit()
    return jsonify(_cycle_out(session, cycle, True)), 201


@route("/cycles/<int:cycle_id>", ["GET"], summary="A review cycle", response=CycleOut)
def cycles_detail(cycle_id: int):
    session = get_session()
    cycle = q.get_cycle_or_404(session, cycle_id)
    require(permissions.can_view_cycle(current_actor(), cycle))
    return jsonify(_cycle_out(session, cycle, permissions.can_manage_cycles(current_actor())))


@route("/cycles/<int:cycle_id>", ["PATCH"], summary="Edit a cycle (admin): everything while a draft; name, budget, "
       "rules and closing time while open. Carries \"version\"; stale → 409", body=CycleUpdate, response=CycleOut,
       endpoint="cycles_update")
def cycles_update(cycle_id: int):
    session = get_session()
    cycle = q.get_cycle_or_404(session, cycle_id)
    require(permissions.can_manage_cycles(current_actor()))
    body = parse_body(CycleUpdate)
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version")
    empty = {k: _l("This field must not be empty.") for k, v in data.items() if v is None}
    if empty:
        raise Invalid(_l("Please correct the marked fields."), fields=empty)
    svc.update_cycle(session, current_user_obj(), cycle, data, version=version, now=utcnow())
    commit()
    return jsonify(_cycle_out(session, cycle, True))


def _transition(cycle_id: int, action):
    session = get_session()
    cycle = q.get_cycle_or_404(session, cycle_id)
    require(permissions.can_manage_cycles(current_actor()))
    now = utcnow()
    if action is svc.open_cycle:
        svc.check_manual_open(cycle, now)
    action(session, current_user_obj(), cycle, now=now)
    commit()
    return jsonify(_cycle_out(session, cycle, True))


@route("/cycles/<int:cycle_id>/open", ["POST"], summary="Open scoring (admin); freezes the rubric version",
       response=CycleOut, endpoint="cycles_open")
def cycles_open(cycle_id: int):
    return _transition(cycle_id, svc.open_cycle)


@route("/cycles/<int:cycle_id>/close", ["POST"], summary="Close scoring (admin); freezes the eligibility snapshot",
       response=CycleOut, endpoint="cycles_close")
def cycles_close(cycle_id: int):
    return _transition(cycle_id, svc.close_cycle)


@route("/cycles/<int:cycle_id>/publish", ["POST"], summary="Publish the results of a closed cycle (admin)",
       response=CycleOut, endpoint="cycles_publish")
def cycles_publish(cycle_id: int):
    return _transition(cycle_id, svc.publish_cycle)


# --- assignments ---------------------------------------------------------------------------------

@route("/cycles/<int:cycle_id>/assignments", ["GET"], summary="Assignments: admins see all, a reviewer their own",
       response=AssignmentOut, paginated=True, query={"platform_id": "filter", "reviewer_id": "filter (admin)"})
def cycles_assignments(cycle_id: int):
    session = get_session()
    cycle = q.get_cycle_or_404(session, cycle_id)
    a = current_actor()
    require(a.is_admin or a.is_reviewer)
    page, per_page = page_params(default=50)
    reviewer_id = int_arg("reviewer_id") if a.is_admin else a.id
    rows, total, users, platforms = q.list_assignments(session, cycle, reviewer_id=reviewer_id,
                                                       platform_id=int_arg("platform_id"), page=page,
                                                       per_page=per_page)
    return paginated([assignment_json(x, users, platforms) for x in rows], page, per_page, total)


@route("/cycles/<int:cycle_id>/assignments", ["POST"], summary="Assign a reviewer to a platform (admin); "
       "a reviewer from the platform's host institution → 409", body=AssignmentCreate, response=AssignmentOut,
       endpoint="cycles_assign")
def cycles_assign(cycle_id: int):
    session = get_session()
    cycle = q.get_cycle_or_404(session, cycle_id)
    require(permissions.can_manage_cycles(current_actor()))
    body = parse_body(AssignmentCreate)
    assignment = assign_svc.assign_reviewer(session, current_user_obj(), cycle, body.reviewer_id, body.platform_id)
    commit()
    return jsonify(assignment_json(assignment, q.users_by_id(session, [assignment.reviewer_id]),
                                   q.platforms_by_id(session, [assignment.platform_id]))), 201


@route("/cycles/<int:cycle_id>/assignments/<int:assignment_id>", ["DELETE"],
       summary="Remove an assignment (admin); a submitted review stays", endpoint="cycles_unassign")
def cycles_unassign(cycle_id: int, assignment_id: int):
    session = get_session()
    cycle = q.get_cycle_or_404(session, cycle_id)
    require(permissions.can_manage_cycles(current_actor()))
    assignment = q.get_assignment_or_404(session, cycle, assignment_id)
    assign_svc.remove_assignment(session, current_user_obj(), cycle, assignment)
    commit()
    return jsonify({"deleted": assignment_id})


@route("/cycles/<int:cycle_id>/assignments/balanced", ["POST"],
       summary="Balanced suggestion (admin): every active platform gets at least N reviewers, loads spread, "
               "conflicts respected; \"apply\": true creates it", body=BalancedRequest, response=BalancedOut,
       endpoint="cycles_balanced", status=(200, 201))
def cycles_balanced(cycle_id: int):
    session = get_session()
    cycle = q.get_cycle_or_404(session, cycle_id)
    require(permissions.can_manage_cycles(current_actor()))
    body = parse_body(BalancedRequest)
    if body.apply:
        suggestion = assign_svc.apply_balanced(session, current_user_obj(), cycle, body.min_per_platform)
        commit()
    else:
        suggestion = assign_svc.balanced_suggestion(session, cycle, body.min_per_platform)
    return jsonify({"applied": body.apply,
                    "pairs": [{"reviewer_id": r, "platform_id": p} for r, p in suggestion.pairs],
                    "shortfall": {str(k): v for k, v in suggestion.shortfall.items()},
                    "loads": {str(k): v for k, v in sorted(suggestion.loads.items())}}), (201 if body.apply else 200)


# --- results -------------------------------------------------------------------------------------

@route("/cycles/<int:cycle_id>/results", ["GET"], summary="Results per platform: n_reviews, total (trimmed mean), "
       "std, min, max, dimensions, normalised_total, disputed (admin, provisional while open; everyone once "
       "published). Admins also get the per-reviewer breakdown and reviewer statistics", response=ResultsOut)
def cycles_results(cycle_id: int):
    session = get_session()
    cycle = q.get_cycle_or_404(session, cycle_id)
    a = current_actor()
    require(permissions.can_view_results(a, cycle))
    return jsonify(results_json(cycle_results(session, cycle), include_reviewers=permissions.can_view_reviewer_breakdown(a, cycle)))


# --- rubrics -------------------------------------------------------------------------------------

def rubric_json(r, criteria=None, count=None) -> dict:
    data = serialise.fields(r, ("id", "version", "name", "created_at"))
    if criteria is not None:
        data["criteria"] = [criterion_json(c) for c in criteria]
    if count is not None:
        data["criteria_count"] = count
    return data


@route("/rubrics", ["GET"], summary="Rubric versions, newest first", response=RubricOut, paginated=True)
def rubrics_list():
    require(current_actor().authenticated)
    page, per_page = page_params()
    rows = q.list_rubrics(get_session())
    chunk = rows[(page - 1) * per_page: page * per_page]
    return paginated([rubric_json(r, count=n) for r, n in chunk], page, per_page, len(rows))


@route("/rubrics/<int:rubric_id>", ["GET"], summary="A rubric version with its criteria", response=RubricOut)
def rubrics_detail(rubric_id: int):
    require(current_actor().authenticated)
    session = get_session()
    rubric = q.get_rubric_or_404(session, rubric_id)
    return jsonify(rubric_json(rubric, q.rubric_criteria(session, rubric.id)))


@route("/rubrics", ["POST"], summary="Create a new rubric version (admin); draft cycles move to it, opened cycles "
       "keep theirs", body=RubricCreate, response=RubricOut, endpoint="rubrics_create")
def rubrics_create():
    require(permissions.can_manage_cycles(current_actor()))
    body = parse_body(RubricCreate)
    session = get_session()
    rubric = rubric_svc.create_rubric_version(session, current_user_obj(), name=body.name,
                                              criteria=[c.model_dump() for c in body.criteria])
    commit()
    return jsonify(rubric_json(rubric, q.rubric_criteria(session, rubric.id))), 201
