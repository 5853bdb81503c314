"""Projects, milestones, evidence, gate reviews and outcomes (DESIGN §7).

Every endpoint loads its row (404), checks a ``permissions.can_*`` (403; 409 when only the project's state
refuses a change, ``_require_change``), calls one service and commits once. Another platform's operator gets 403
on every route of a project it cannot see.
"""
from __future__ import annotations

from flask import current_app, jsonify, request, send_file, url_for
from flask_babel import lazy_gettext as _l

from .. import labels, permissions
from ..db import get_session
from ..domain import gates as dg
from ..errors import Conflict, Invalid
from ..i18n import shanghai_today
from ..queries import gates as gq
from ..queries import platforms as plq
from ..queries import projects as q
from ..services import evidence as evidence_svc
from ..services import gates as gate_svc
from ..services import milestones as milestone_svc
from ..services import outcomes as outcome_svc
from ..services import projects as project_svc
from .core import commit, current_actor, current_user_obj, page_params, paginated, parse_body, require, route
from .projects_schemas import (
    EvidenceOut,
    GateDecisionBody,
    GateDecisionOut,
    GateRequestBody,
    GateReviewOut,
    MilestoneCreate,
    MilestoneOut,
    MilestoneUpdate,
    OutcomeCreate,
    OutcomeOut,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    ResumeBody,
)
from .serialise import fields, iso

# --- serialisers ---------------------------------------------------------------------------------------

PROJECT_FIELDS = ("id", "platform_id", "title_zh", "title_en", "lead", "source_institution", "demand_owner",
                  "selection_mode", "stage", "status", "trl_entry", "trl_current", "budget", "started_on",
                  "created_at", "updated_at", "version")
MILESTONE_FIELDS = ("id", "project_id", "stage", "title", "deliverable", "due_on", "status", "completed_on",
                    "trl_claimed", "is_gate_criterion", "waived_reason", "version")
REVIEW_FIELDS = ("id", "project_id", "from_stage", "to_stage", "requested_by_id", "requested_at", "note", "decision",
                 "rationale", "conditions", "rework_due_on", "decided_by_id", "decided_at")


def project_json(project, pending_id: int | None = None) -> dict:
    data = fields(project, PROJECT_FIELDS)
    data["read_only"] = project.status != "active"
    data["pending_gate_review_id"] = pending_id
    return data


def evidence_json(ev) -> dict:
    data = fields(ev, ("id", "milestone_id", "outcome_id", "original_name", "content_type", "size_bytes", "sha256",
                       "uploaded_at"))
    data["download_url"] = url_for("api.evidence_download", evidence_id=ev.id)
    return data


def milestone_json(m, evidence=(), today=None) -> dict:
    today = today or shanghai_today()
    data = fields(m, MILESTONE_FIELDS)
    data["overdue"] = dg.is_overdue(m.status, m.due_on, today)
    data["days_overdue"] = dg.days_overdue(m.status, m.due_on, today)
    data["evidence"] = [evidence_json(ev) for ev in evidence]
    return data


def review_json(r) -> dict:
    data = fields(r, REVIEW_FIELDS)
    data["conditions"] = list(r.conditions or [])
    return data


def outcome_json(o, evidence=()) -> dict:
    data = fields(o, ("id", "project_id", "kind", "counterparty", "amount", "note", "created_at"))
    data["date"] = iso(o.occurred_on)
    data["evidence"] = [evidence_json(ev) for ev in evidence]
    return data


def _project_out(session, project) -> dict:
    pending = gq.pending_review(session, project.id)
    return project_json(project, pending.id if pending else None)


def _load_project(project_id: int):
    session = get_session()
    project = q.get_project_or_404(session, project_id)
    require(permissions.can_view_project(current_actor(), project))
    return session, project


def _require_change(allowed: bool, project) -> None:
    """Let a change to a project (its fields, milestones, outcomes, evidence, gate requests) through, or refuse it
    as DESIGN §7 says: 403 when the caller's role or ownership does not allow it, 409 when only the project's state
    does not (held, killed, transferred or withdrawn: read-only; the same request succeeds on an active project).
    Before the body is read, as every refusal here."""
    if allowed:
        return
    require(permissions.can_change_projects_of(current_actor(), project.platform_id))
    raise Conflict(_l("The project's status is “%(status)s”; it cannot be edited.",
                      status=labels.PROJECT_STATUSES.get(project.status, project.status)))


def _load_milestone(milestone_id: int):
    session = get_session()
    milestone = q.get_milestone_or_404(session, milestone_id)
    project = q.get_project_or_404(session, milestone.project_id)
    require(permissions.can_view_project(current_actor(), project))
    return session, milestone, project


# --- projects ------------------------------------------------------------------------------------------

@route("/platforms/<int:platform_id>/projects", ["GET"], summary="A platform's projects", response=ProjectOut,
       paginated=True, query={"stage": "S0…S4", "status": "active|on_hold|killed|transferred|withdrawn",
                              "sort": "id|title|stage|status|trl|budget"})
def platform_projects(platform_id: int):
    session = get_session()
    platform = plq.get_platform_or_404(session, platform_id)
    require(permissions.can_view_projects_of(current_actor(), platform))
    page, per_page = page_params()
    stage, status = request.args.get("stage") or None, request.args.get("status") or None
    errors = {}
    if stage and stage not in [s.value for s in dg.Stage]:
        errors["stage"] = _l("Unknown stage; use one of S0, S1, S2, S3, S4.")
    if status and status not in [s.value for s in dg.ProjectStatus]:
        errors["status"] = _l("This value is not one of the allowed choices.")
    if errors:
        raise Invalid(milestone_svc.FIX, fields=errors)
    rows, total = q.list_projects(session, platform_id=platform.id, stage=stage, status=status, page=page,
                                  per_page=per_page, sort=request.args.get("sort", "id"))
    return paginated([project_json(p) for p in rows], page, per_page, total)


@route("/platforms/<int:platform_id>/projects", ["POST"], summary="Register a project (operator of the platform, "
       "admin)", body=ProjectCreate, response=ProjectOut, endpoint="platform_projects_create")
def platform_projects_create(platform_id: int):
    session = get_session()
    platform = plq.get_platform_or_404(session, platform_id)
    require(permissions.can_create_project(current_actor(), platform))
    body = parse_body(ProjectCreate)
    data = body.model_dump(exclude={"apply_template"})
    project = project_svc.create_project(session, current_user_obj(), platform, data, today=shanghai_today(),
                                         apply_template=body.apply_template)
    commit()
    return jsonify(project_json(project)), 201


@route("/projects/<int:project_id>", ["GET"], summary="A project", response=ProjectOut)
def project_detail(project_id: int):
    session, project = _load_project(project_id)
    return jsonify(_project_out(session, project))


@route("/projects/<int:project_id>", ["PATCH"], summary="Edit a project (carries \"version\"; stale → 409)",
       body=ProjectUpdate, response=ProjectOut, endpoint="project_update")
def project_update(project_id: int):
    session, project = _load_project(project_id)
    _require_change(permissions.can_edit_project(current_actor(), project), project)
    body = parse_body(ProjectUpdate)
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version")
    project_svc.update_project(session, current_user_obj(), project, data, version=version)
    commit()
    return jsonify(_project_out(session, project))


@route("/projects/<int:project_id>/resume", ["POST"], summary="Resume a project on hold (admin)", body=ResumeBody,
       response=ProjectOut, endpoint="project_resume")
def project_resume(project_id: int):
    session, project = _load_project(project_id)
    actor = current_actor()
    # admins may ask; resuming anything but a held project then answers 409 from the service
    require(permissions.can_resume_project(actor, project) or actor.is_admin)
    body = parse_body(ResumeBody)
    project_svc.resume_project(session, current_user_obj(), project, version=body.version)
    commit()
    return jsonify(_project_out(session, project))


# --- milestones ----------------------------------------------------------------------------------------

@route("/projects/<int:project_id>/milestones", ["GET"], summary="A project's milestones", response=MilestoneOut,
       paginated=True, query={"stage": "S0…S4"})
def project_milestones(project_id: int):
    session, project = _load_project(project_id)
    page, per_page = page_params(default=50)
    rows, total = q.list_milestones_page(session, project.id, page=page, per_page=per_page,
                                         stage=request.args.get("stage") or None)
    by_milestone, _ = q.evidence_for(session, milestone_ids=[m.id for m in rows])
    today = shanghai_today()
    return paginated([milestone_json(m, by_milestone.get(m.id, ()), today) for m in rows], page, per_page, total)


@route("/projects/<int:project_id>/milestones", ["POST"], summary="Plan a milestone", body=MilestoneCreate,
       response=MilestoneOut, endpoint="project_milestones_create")
def project_milestones_create(project_id: int):
    session, project = _load_project(project_id)
    _require_change(permissions.can_edit_milestones(current_actor(), project), project)
    body = parse_body(MilestoneCreate)
    data = body.model_dump(exclude_unset=True)
    if data.get("stage") is None:
        data.pop("stage", None)
    milestone = milestone_svc.add_milestone(session, current_user_obj(), project, data, today=shanghai_today())
    commit()
    return jsonify(milestone_json(milestone)), 201


@route("/milestones/<int:milestone_id>", ["GET"], summary="A milestone with its evidence", response=MilestoneOut)
def milestone_detail(milestone_id: int):
    session, milestone, _project = _load_milestone(milestone_id)
    by_milestone, _ = q.evidence_for(session, milestone_ids=[milestone.id])
    return jsonify(milestone_json(milestone, by_milestone.get(milestone.id, ())))


@route("/milestones/<int:milestone_id>", ["PATCH"], summary="Edit, complete or (admin) waive a milestone "
       "(carries \"version\"; stale → 409)", body=MilestoneUpdate, response=MilestoneOut, endpoint="milestone_update")
def milestone_update(milestone_id: int):
    session, milestone, project = _load_milestone(milestone_id)
    actor = current_actor()
    # refuse before reading the body: those who may only look get 403, not a validation error
    _require_change(permissions.can_edit_milestones(actor, project) or permissions.can_waive_milestone(actor, project),
                    project)
    body = parse_body(MilestoneUpdate)
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version")
    if data.get("status") == "waived" and milestone.status != "waived":
        require(permissions.can_waive_milestone(actor, project))
        reason = data.pop("waived_reason", None)
        data.pop("status")
        if data:
            raise Invalid(milestone_svc.FIX, fields={k: _l("Waive a milestone on its own, without other changes.")
                                                     for k in data})
        milestone_svc.waive_milestone(session, current_user_obj(), milestone, project, reason=reason,
                                      version=version)
    else:
        require(permissions.can_edit_milestones(actor, project))
        if "waived_reason" in data:
            raise Invalid(milestone_svc.FIX, fields={"waived_reason": _l("Give a reason only when waiving.")})
        milestone_svc.update_milestone(session, current_user_obj(), milestone, project, data, version=version,
                                       today=shanghai_today())
    commit()
    by_milestone, _ = q.evidence_for(session, milestone_ids=[milestone.id])
    return jsonify(milestone_json(milestone, by_milestone.get(milestone.id, ())))


# --- evidence ------------------------------------------------------------------------------------------

def _upload(session, project, *, milestone_id=None, outcome_id=None):
    upload = request.files.get("file")
    return evidence_svc.store_evidence(
        session, current_user_obj(), project_id=project.id, stream=upload.stream if upload else None,
        filename=upload.filename if upload else None, upload_dir=current_app.config["UPLOAD_DIR"],
        max_bytes=evidence_svc.max_upload_bytes(current_app.config), milestone_id=milestone_id,
        outcome_id=outcome_id)


@route("/milestones/<int:milestone_id>/evidence", ["POST"], summary="Upload evidence for a milestone "
       "(multipart \"file\"; PDF, PNG, JPEG, docx/xlsx/pptx, text/CSV)", response=EvidenceOut, multipart=True,
       endpoint="milestone_evidence_upload")
def milestone_evidence_upload(milestone_id: int):
    session, milestone, project = _load_milestone(milestone_id)
    _require_change(permissions.can_edit_milestones(current_actor(), project), project)
    evidence = _upload(session, project, milestone_id=milestone.id)
    commit()
    return jsonify(evidence_json(evidence)), 201


@route("/evidence/<int:evidence_id>", ["GET"], summary="Download an evidence file (as an attachment)",
       binary=evidence_svc.CONTENT_TYPES)
def evidence_download(evidence_id: int):
    session = get_session()
    evidence = q.get_evidence_or_404(session, evidence_id)
    project = q.get_project_or_404(session, q.evidence_project_id(session, evidence))
    require(permissions.can_view_evidence(current_actor(), project))
    path = evidence_svc.evidence_path(current_app.config["UPLOAD_DIR"], evidence)
    return send_file(path, mimetype=evidence.content_type, as_attachment=True, download_name=evidence.original_name,
                     max_age=0)


# --- gate reviews --------------------------------------------------------------------------------------

@route("/projects/<int:project_id>/gate-reviews", ["GET"], summary="A project's gate history",
       response=GateReviewOut, paginated=True)
def project_gate_reviews(project_id: int):
    session, project = _load_project(project_id)
    page, per_page = page_params()
    rows, _names = gq.list_gate_reviews(session, project.id)
    items = rows[(page - 1) * per_page: page * per_page]
    return paginated([review_json(r) for r in items], page, per_page, len(rows))


@route("/projects/<int:project_id>/gate-reviews", ["POST"], summary="Request the gate out of the current stage",
       body=GateRequestBody, response=GateReviewOut, endpoint="project_gate_request")
def project_gate_request(project_id: int):
    session, project = _load_project(project_id)
    _require_change(permissions.can_request_gate(current_actor(), project), project)
    body = parse_body(GateRequestBody)
    review = gate_svc.request_gate_review(session, current_user_obj(), project, note=body.note)
    commit()
    return jsonify(review_json(review)), 201


@route("/gate-reviews", ["GET"], summary="Pending gate reviews the caller may decide (admin: all; gatekeeper: "
       "their platforms)", response=GateReviewOut, paginated=True)
def gate_review_queue():
    actor = current_actor()
    require(permissions.can_view_gate_queue(actor))
    page, per_page = page_params()
    platform_ids = None if actor.is_admin else actor.gatekeeper_platform_ids
    rows, _names, total = gq.list_pending_reviews(get_session(), platform_ids=platform_ids, page=page,
                                                  per_page=per_page)
    return paginated([review_json(r) for r, _p, _pl in rows], page, per_page, total)


@route("/gate-reviews/<int:review_id>", ["GET"], summary="A gate review", response=GateReviewOut)
def gate_review_detail(review_id: int):
    session = get_session()
    review = gq.get_gate_review_or_404(session, review_id)
    project = q.get_project_or_404(session, review.project_id)
    require(permissions.can_view_project(current_actor(), project))
    return jsonify(review_json(review))


@route("/gate-reviews/<int:review_id>/decision", ["POST"], summary="Decide a gate review (admin or the platform's "
       "gatekeeper; never the requester)", body=GateDecisionBody, response=GateDecisionOut,
       endpoint="gate_review_decide")
def gate_review_decide(review_id: int):
    session = get_session()
    review = gq.get_gate_review_or_404(session, review_id)
    project = q.get_project_or_404(session, review.project_id)
    actor = current_actor()
    require(permissions.can_view_project(actor, project))
    if review.decision is None and project.status == "active":
        require(permissions.can_decide_gate(actor, project, review))
    else:
        require(actor.is_admin or permissions.is_gatekeeper_of(actor, project.platform_id))
    body = parse_body(GateDecisionBody)
    gate_svc.decide_gate(session, current_user_obj(), review, project, decision=body.decision,
                         rationale=body.rationale, conditions=body.conditions, rework_due_on=body.rework_due_on,
                         conditions_due_on=body.conditions_due_on, today=shanghai_today())
    commit()
    return jsonify({"gate_review": review_json(review), "project": project_json(project)})


# --- outcomes ------------------------------------------------------------------------------------------

@route("/projects/<int:project_id>/outcomes", ["GET"], summary="A project's outcomes", response=OutcomeOut,
       paginated=True)
def project_outcomes(project_id: int):
    session, project = _load_project(project_id)
    page, per_page = page_params()
    rows, total = q.list_outcomes(session, project.id, page=page, per_page=per_page)
    _, by_outcome = q.evidence_for(session, outcome_ids=[o.id for o in rows])
    return paginated([outcome_json(o, by_outcome.get(o.id, ())) for o in rows], page, per_page, total)


@route("/projects/<int:project_id>/outcomes", ["POST"], summary="Record an outcome (kind, counterparty, amount, "
       "date)", body=OutcomeCreate, response=OutcomeOut, endpoint="project_outcomes_create")
def project_outcomes_create(project_id: int):
    session, project = _load_project(project_id)
    _require_change(permissions.can_edit_project(current_actor(), project), project)
    body = parse_body(OutcomeCreate)
    outcome = outcome_svc.record_outcome(session, current_user_obj(), project, body.model_dump(),
                                         today=shanghai_today())
    commit()
    return jsonify(outcome_json(outcome)), 201


@route("/outcomes/<int:outcome_id>/evidence", ["POST"], summary="Upload evidence for an outcome (multipart "
       "\"file\")", response=EvidenceOut, multipart=True, endpoint="outcome_evidence_upload")
def outcome_evidence_upload(outcome_id: int):
    session = get_session()
    outcome = q.get_outcome_or_404(session, outcome_id)
    project = q.get_project_or_404(session, outcome.project_id)
    require(permissions.can_view_project(current_actor(), project))
    _require_change(permissions.can_edit_project(current_actor(), project), project)
    evidence = _upload(session, project, outcome_id=outcome.id)
    commit()
    return jsonify(evidence_json(evidence)), 201
