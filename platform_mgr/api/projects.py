"""Projects, milestones, evidence, gate reviews and outcomes (DESIGN §7).

Every endpoint loads its row and checks its permission before the body is read (`loaders`, 404/403),
calls one service with the validated input and commits once. Another platform's operator gets 403 on
every route of a project it cannot see.
"""
from __future__ import annotations

from typing import Optional

from flask import current_app, request, send_file
from flask_babel import lazy_gettext as _l
from pydantic import ConfigDict, Field

from .. import clock, permissions
from ..db import get_session
from ..enums import ProjectStatus, Stage
from ..errors import Invalid
from ..inputs import validated
from ..inputs.projects import (
    GateDecision,
    GateRequest,
    MilestoneCreate,
    MilestoneUpdate,
    MilestoneWaiver,
    OutcomeCreate,
    ProjectCreate,
    ProjectUpdate,
    Resume,
)
from ..inputs.uploads import Upload
from ..loaders import (
    load_evidence,
    load_gate_review,
    load_milestone,
    load_milestone_to_change,
    load_outcome,
    load_platform,
    load_project,
    load_project_to_change,
    require,
    require_change,
)
from ..queries import gates as gq
from ..queries import projects as q
from ..services import evidence as evidence_svc
from ..services import gates as gate_svc
from ..services import milestones as milestone_svc
from ..services import outcomes as outcome_svc
from ..services import projects as project_svc
from .core import commit, current_actor, current_user_obj
from .projects_schemas import EvidenceOut, GateDecisionOut, GateReviewOut, MilestoneOut, OutcomeOut, ProjectOut
from .spec import LongPageQuery, PageQuery, endpoint, page_of


class ProjectListQuery(PageQuery):
    model_config = ConfigDict(extra="ignore")

    stage: Optional[Stage] = None
    status: Optional[ProjectStatus] = None
    sort: str = Field(default="id", max_length=20, description="id|title|stage|status|trl|budget")


class MilestoneListQuery(LongPageQuery):
    model_config = ConfigDict(extra="ignore")

    stage: Optional[Stage] = None


def _project_out(session, project) -> ProjectOut:
    pending = gq.pending_review(session, project.id)
    return ProjectOut.of(project, pending.id if pending else None)


def _milestone_out(session, milestone) -> MilestoneOut:
    by_milestone, _ = q.evidence_for(session, milestone_ids=[milestone.id])
    return MilestoneOut.of(milestone, by_milestone.get(milestone.id, ()))


# --- what each route loads and may do, before its body is read ----------------------------------------------

def _platform(need):
    return lambda platform_id: {"platform": load_platform(platform_id, need=need)}


def _project(need=permissions.can_view_project):
    return lambda project_id: {"project": load_project(project_id, need=need)}


def _changing(need):
    """A project loaded for a change: 403 for a caller who may not change it, 409 when its state refuses."""
    return lambda project_id: {"project": load_project_to_change(project_id, need)}


def _milestone(need=permissions.can_view_project, change=False):
    def load(milestone_id):
        if change:
            milestone, project = load_milestone_to_change(milestone_id, need)
        else:
            milestone, project = load_milestone(milestone_id, need=need)
        return {"milestone": milestone, "project": project}
    return load


def _may_change_milestone(actor, project) -> bool:
    """Those who may only look get 403 before their body is read (editing, or an admin's waiver)."""
    return permissions.can_edit_milestones(actor, project) or permissions.can_waive_milestone(actor, project)


def _may_resume(actor, project) -> bool:
    # admins may ask; resuming anything but a held project then answers 409 from the service
    return permissions.can_resume_project(actor, project) or actor.is_admin


def _review(need=None):
    def load(review_id):
        review, project = load_gate_review(review_id)
        if need is not None:
            require(need(current_actor(), project, review))
        return {"review": review, "project": project}
    return load


# --- projects ------------------------------------------------------------------------------------------

@endpoint("/platforms/<int:platform_id>/projects", resp=ProjectOut, paginated=True,
          authorise=_platform(permissions.can_view_projects_of))
def platform_projects(platform_id: int, platform, query: ProjectListQuery):
    """A platform's projects"""
    rows, total = q.list_projects(get_session(), platform_id=platform.id, stage=query.stage, status=query.status,
                                  page=query.page, per_page=query.per_page, sort=query.sort)
    return page_of((ProjectOut.of(p) for p in rows), query, total)


@endpoint("/platforms/<int:platform_id>/projects", "POST", resp=ProjectOut, status=201,
          name="platform_projects_create", authorise=_platform(permissions.can_create_project))
def platform_projects_create(platform_id: int, platform, json: ProjectCreate):
    """Register a project (operator of the platform, admin)"""
    project = project_svc.create_project(get_session(), current_user_obj(), platform, json, today=clock.today())
    commit()
    return ProjectOut.of(project), 201


@endpoint("/projects/<int:project_id>", resp=ProjectOut, authorise=_project())
def project_detail(project_id: int, project):
    """A project"""
    return _project_out(get_session(), project)


@endpoint("/projects/<int:project_id>", "PATCH", resp=ProjectOut, name="project_update",
          authorise=_changing(permissions.can_edit_project))
def project_update(project_id: int, project, json: ProjectUpdate):
    """Edit a project (carries "version"; stale → 409)"""
    session = get_session()
    project_svc.update_project(session, current_user_obj(), project, json)
    commit()
    return _project_out(session, project)


@endpoint("/projects/<int:project_id>/resume", "POST", resp=ProjectOut, name="project_resume",
          authorise=_project(_may_resume))
def project_resume(project_id: int, project, json: Resume):
    """Resume a project on hold (admin)"""
    session = get_session()
    project_svc.resume_project(session, current_user_obj(), project, json)
    commit()
    return _project_out(session, project)


# --- milestones ----------------------------------------------------------------------------------------

@endpoint("/projects/<int:project_id>/milestones", resp=MilestoneOut, paginated=True, authorise=_project())
def project_milestones(project_id: int, project, query: MilestoneListQuery):
    """A project's milestones"""
    session = get_session()
    rows, total = q.list_milestones_page(session, project.id, page=query.page, per_page=query.per_page,
                                         stage=query.stage)
    by_milestone, _ = q.evidence_for(session, milestone_ids=[m.id for m in rows])
    today = clock.today()
    return page_of((MilestoneOut.of(m, by_milestone.get(m.id, ()), today) for m in rows), query, total)


@endpoint("/projects/<int:project_id>/milestones", "POST", resp=MilestoneOut, status=201,
          name="project_milestones_create", authorise=_changing(permissions.can_edit_milestones))
def project_milestones_create(project_id: int, project, json: MilestoneCreate):
    """Plan a milestone"""
    milestone = milestone_svc.add_milestone(get_session(), current_user_obj(), project, json, today=clock.today())
    commit()
    return MilestoneOut.of(milestone), 201


@endpoint("/milestones/<int:milestone_id>", resp=MilestoneOut, authorise=_milestone())
def milestone_detail(milestone_id: int, milestone, project):
    """A milestone with its evidence"""
    return _milestone_out(get_session(), milestone)


@endpoint("/milestones/<int:milestone_id>", "PATCH", resp=MilestoneOut, name="milestone_update",
          authorise=_milestone(_may_change_milestone, change=True))
def milestone_update(milestone_id: int, milestone, project, json: MilestoneUpdate):
    """Edit, complete or (admin) waive a milestone (carries "version"; stale → 409)"""
    session = get_session()
    actor = current_actor()
    if json.status == "waived" and milestone.status != "waived":
        require(permissions.can_waive_milestone(actor, project))
        others = json.model_fields_set - {"version", "status", "waived_reason"}
        if others:
            raise Invalid(milestone_svc.FIX, fields={k: _l("Waive a milestone on its own, without other changes.")
                                                     for k in sorted(others)})
        waiver = validated(MilestoneWaiver, {"version": json.version, "waived_reason": json.waived_reason or ""})
        milestone_svc.waive_milestone(session, current_user_obj(), milestone, project, waiver)
    else:
        require(permissions.can_edit_milestones(actor, project))
        milestone_svc.update_milestone(session, current_user_obj(), milestone, project, json, today=clock.today())
    commit()
    return _milestone_out(session, milestone)


# --- evidence ------------------------------------------------------------------------------------------

def _upload(session, project, *, milestone_id=None, outcome_id=None):
    upload = request.files.get("file")
    return evidence_svc.store_evidence(
        session, current_user_obj(), project_id=project.id, stream=upload.stream if upload else None,
        filename=upload.filename if upload else None, upload_dir=current_app.config["UPLOAD_DIR"],
        max_bytes=evidence_svc.max_upload_bytes(current_app.config), milestone_id=milestone_id,
        outcome_id=outcome_id, zip_limits=evidence_svc.zip_limits(current_app.config))


@endpoint("/milestones/<int:milestone_id>/evidence", "POST", resp=EvidenceOut, status=201,
          name="milestone_evidence_upload", authorise=_milestone(permissions.can_edit_milestones, change=True))
def milestone_evidence_upload(milestone_id: int, milestone, project, form: Upload):
    """Upload evidence for a milestone (multipart "file"; PDF, PNG, JPEG, docx/xlsx/pptx, text/CSV)"""
    evidence = _upload(get_session(), project, milestone_id=milestone.id)
    commit()
    return EvidenceOut.of(evidence), 201


@endpoint("/evidence/<int:evidence_id>", binary=evidence_svc.CONTENT_TYPES)
def evidence_download(evidence_id: int):
    """Download an evidence file (as an attachment)"""
    evidence, _project = load_evidence(evidence_id)
    path = evidence_svc.evidence_path(current_app.config["UPLOAD_DIR"], evidence)
    return send_file(path, mimetype=evidence.content_type, as_attachment=True, download_name=evidence.original_name,
                     max_age=0)


# --- gate reviews --------------------------------------------------------------------------------------

@endpoint("/projects/<int:project_id>/gate-reviews", resp=GateReviewOut, paginated=True, authorise=_project())
def project_gate_reviews(project_id: int, project, query: PageQuery):
    """A project's gate history"""
    rows, _names = gq.list_gate_reviews(get_session(), project.id)
    return page_of((GateReviewOut.model_validate(r) for r in query.slice(rows)), query, len(rows))


@endpoint("/projects/<int:project_id>/gate-reviews", "POST", resp=GateReviewOut, status=201,
          name="project_gate_request", authorise=_changing(permissions.can_request_gate))
def project_gate_request(project_id: int, project, json: GateRequest):
    """Request the gate out of the current stage"""
    review = gate_svc.request_gate_review(get_session(), current_user_obj(), project, json)
    commit()
    return GateReviewOut.model_validate(review), 201


@endpoint("/gate-reviews", resp=GateReviewOut, paginated=True,
          authorise=lambda: require(permissions.can_view_gate_queue(current_actor())))
def gate_review_queue(query: PageQuery):
    """Pending gate reviews the caller may decide (admin: all; gatekeeper: their platforms)"""
    actor = current_actor()
    platform_ids = None if actor.is_admin else actor.gatekeeper_platform_ids
    rows, _names, total = gq.list_pending_reviews(get_session(), platform_ids=platform_ids, page=query.page,
                                                  per_page=query.per_page)
    return page_of((GateReviewOut.model_validate(r) for r, _p, _pl in rows), query, total)


@endpoint("/gate-reviews/<int:review_id>", resp=GateReviewOut, authorise=_review())
def gate_review_detail(review_id: int, review, project):
    """A gate review"""
    return GateReviewOut.model_validate(review)


@endpoint("/gate-reviews/<int:review_id>/decision", "POST", resp=GateDecisionOut, name="gate_review_decide",
          authorise=_review(permissions.can_judge_gate))
def gate_review_decide(review_id: int, review, project, json: GateDecision):
    """Decide a gate review (admin or the platform's gatekeeper; never the requester)"""
    session = get_session()
    gate_svc.decide_gate(session, current_user_obj(), review, project, json, today=clock.today())
    commit()
    return GateDecisionOut(gate_review=GateReviewOut.model_validate(review), project=ProjectOut.of(project))


# --- outcomes ------------------------------------------------------------------------------------------

@endpoint("/projects/<int:project_id>/outcomes", resp=OutcomeOut, paginated=True, authorise=_project())
def project_outcomes(project_id: int, project, query: PageQuery):
    """A project's outcomes"""
    session = get_session()
    rows, total = q.list_outcomes(session, project.id, page=query.page, per_page=query.per_page)
    _, by_outcome = q.evidence_for(session, outcome_ids=[o.id for o in rows])
    return page_of((OutcomeOut.of(o, by_outcome.get(o.id, ())) for o in rows), query, total)


@endpoint("/projects/<int:project_id>/outcomes", "POST", resp=OutcomeOut, status=201,
          name="project_outcomes_create", authorise=_changing(permissions.can_edit_project))
def project_outcomes_create(project_id: int, project, json: OutcomeCreate):
    """Record an outcome (kind, counterparty, amount, date)"""
    outcome = outcome_svc.record_outcome(get_session(), current_user_obj(), project, json)
    commit()
    return OutcomeOut.of(outcome), 201


def _outcome_editable(outcome_id):
    outcome, project = load_outcome(outcome_id)
    require_change(permissions.can_edit_project(current_actor(), project), project)
    return {"outcome": outcome, "project": project}


@endpoint("/outcomes/<int:outcome_id>/evidence", "POST", resp=EvidenceOut, status=201,
          name="outcome_evidence_upload", authorise=_outcome_editable)
def outcome_evidence_upload(outcome_id: int, outcome, project, form: Upload):
    """Upload evidence for an outcome (multipart "file")"""
    evidence = _upload(get_session(), project, outcome_id=outcome.id)
    commit()
    return EvidenceOut.of(evidence), 201
