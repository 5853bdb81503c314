"""Project pages: the operator's platform dashboard, the project page with its stage timeline,
milestones, gate history, outcomes and evidence, and the forms that change them.

Every view loads its rows (404), checks a ``permissions.can_*`` (401/403), calls one service and
commits once; a refused change rolls back and shows the form again with its field errors.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import permissions
from ...db import get_session
from ...domain import gates as dg
from ...domain.trl import TRL_LEVELS
from ...i18n import shanghai_today
from ...inputs.projects import (
    GateRequest,
    MilestoneCompletion,
    MilestoneCreate,
    MilestoneWaiver,
    OutcomeCreate,
    ProjectCreate,
    ProjectUpdate,
    Resume,
)
from ...inputs.projects import MilestoneUpdate as MilestoneEdit
from ...loaders import (
    load_evidence,
    load_milestone,
    load_milestone_to_change,
    load_platform,
    load_project,
    load_project_to_change,
)
from ...queries import dashboards as dq
from ...queries import gates as gq
from ...queries import platforms as pq
from ...queries import projects as prq
from ...services import evidence as evidence_svc
from ...services import gates as gate_svc
from ...services import milestones as milestone_svc
from ...services import outcomes as outcome_svc
from ...services import projects as project_svc
from ..dashboards.charts import platform_charts
from ..helpers import actor, form_input, require, submit, takes_uploads
from .forms import (
    CompleteForm,
    ConfirmForm,
    EvidenceForm,
    GateRequestForm,
    MilestoneForm,
    OutcomeForm,
    ProjectForm,
    WaiveForm,
)

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.app_context_processor
def trl_helpers():
    """The TRL scale's levels for every template that shows or chooses a TRL (``trl_text`` gives a definition)."""
    return {"trl_levels": TRL_LEVELS}


def _user():
    return current_user._get_current_object()


def _project(project_id: int, need=permissions.can_view_project):
    session = get_session()
    return session, load_project(project_id, need=need)


def _milestone(milestone_id: int, need=permissions.can_view_project):
    session = get_session()
    return (session, *load_milestone(milestone_id, need=need))


def _changing(project_id: int, need, may=None):
    """A project loaded for a change: 403 for a caller whose role or ownership does not allow it, 409 naming the
    project's state when only its state does not (DESIGN §7), the same answers as the API's."""
    return get_session(), load_project_to_change(project_id, need, may)


def _changing_milestone(milestone_id: int, need, may=None):
    return (get_session(), *load_milestone_to_change(milestone_id, need, may))


def _admin(a, _project) -> bool:
    return a.is_admin


# --- the operator's platform dashboard ---------------------------------------------------------------

@bp.route("/dashboard")
@login_required
def dashboard_index():
    """Operators land on their platform's dashboard; others choose among the platforms they can see."""
    a = actor()
    session = get_session()
    if a.is_operator and len(a.operator_platform_ids) == 1:
        return redirect(url_for("projects.dashboard", platform_id=next(iter(a.operator_platform_ids))))
    ids = None if a.is_admin else (a.operator_platform_ids | a.gatekeeper_platform_ids | a.assigned_platform_ids)
    require(permissions.can_read_programme(a))
    platforms, counts, _total = pq.list_platforms(session, page=1, per_page=200, ids=ids)
    return render_template("projects/dashboard_index.html", platforms=platforms, counts=counts)


@bp.route("/platform/<int:platform_id>")
@login_required
def dashboard(platform_id: int):
    session = get_session()
    platform = load_platform(platform_id, need=permissions.can_view_projects_of)
    today = shanghai_today()
    counts = prq.stage_counts(session, platform.id)
    overdue, overdue_total = prq.overdue_milestones(session, platform.id, today)
    next_due = prq.next_due_milestones(session, platform.id, today)
    pending = gq.pending_for_platform(session, platform.id)
    stages, statuses = [s.value for s in dg.Stage], [s.value for s in dg.ProjectStatus]
    charts = platform_charts(counts, dq.milestone_status_by_stage(session, platform.id, today), stages, statuses)
    return render_template("projects/dashboard.html", platform=platform, counts=counts, overdue=overdue,
                           overdue_total=overdue_total, next_due=next_due, pending=pending, today=today,
                           stages=stages, statuses=statuses, charts=charts)


# --- projects ------------------------------------------------------------------------------------------

@bp.route("/platform/<int:platform_id>/new", methods=["GET", "POST"])
@login_required
def new(platform_id: int):
    session = get_session()
    platform = load_platform(platform_id, need=permissions.can_create_project)
    form = ProjectForm()
    return submit(
        form, lambda data: project_svc.create_project(session, _user(), platform, data, today=shanghai_today()),
        model=ProjectCreate, message=_("The project was registered."),
        then=lambda project: url_for("projects.detail", project_id=project.id),
        render=lambda: render_template("projects/form.html", form=form, platform=platform, project=None))


@bp.route("/<int:project_id>")
@login_required
def detail(project_id: int):
    session, project = _project(project_id)
    platform = pq.get_platform_or_404(session, project.platform_id)
    milestones = prq.list_milestones(session, project.id)
    outcomes, _outcome_total = prq.list_outcomes(session, project.id)
    by_milestone, by_outcome = prq.evidence_for(session, milestone_ids=[m.id for m in milestones],
                                                outcome_ids=[o.id for o in outcomes])
    reviews, names = gq.list_gate_reviews(session, project.id)
    pending = next((r for r in reviews if r.decision is None), None)
    check = gate_svc.gate_check(session, project) if project.status == "active" else None
    return render_template("projects/detail.html", project=project, platform=platform, milestones=milestones,
                           outcomes=outcomes, by_milestone=by_milestone, by_outcome=by_outcome, reviews=reviews,
                           names=names, pending=pending, check=check, entered=gq.stage_entries(reviews, project.stage),
                           today=shanghai_today(), is_overdue=dg.is_overdue, days_overdue=dg.days_overdue,
                           stages=[s.value for s in dg.Stage], confirm=ConfirmForm(),
                           read_only=dg.is_read_only(project.status))


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    session, project = _changing(project_id, permissions.can_edit_project)
    platform = pq.get_platform_or_404(session, project.platform_id)
    form = ProjectForm(obj=project)
    del form.stage
    del form.apply_template
    if request.method == "GET":
        form.version.data = project.version
        form.trl_entry.data = project.trl_entry
    return submit(
        form, lambda changes: project_svc.update_project(session, _user(), project, changes),
        model=ProjectUpdate, message=_("The project was saved."),
        then=lambda _r: url_for("projects.detail", project_id=project.id),
        render=lambda: render_template("projects/form.html", form=form, platform=platform, project=project))


@bp.route("/<int:project_id>/resume", methods=["POST"])
@login_required
def resume(project_id: int):
    session, project = _changing(project_id, permissions.can_resume_project, may=_admin)
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "danger")
        return redirect(url_for("projects.detail", project_id=project.id))
    project_svc.resume_project(session, _user(), project, form_input(form, Resume))
    session.commit()
    flash(_("The project is active again."), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


# --- milestones ----------------------------------------------------------------------------------------

@bp.route("/<int:project_id>/milestones/new", methods=["GET", "POST"])
@login_required
def milestone_new(project_id: int):
    session, project = _changing(project_id, permissions.can_edit_milestones)
    form = MilestoneForm()
    if request.method == "GET":
        form.stage.data = project.stage
    data = {} if form.status.data == "done" else {"completed_on": None}
    return submit(
        form, lambda m: milestone_svc.add_milestone(session, _user(), project, m, today=shanghai_today()),
        model=MilestoneCreate, data=data, message=_("The milestone was added."),
        then=lambda _m: url_for("projects.detail", project_id=project.id, _anchor="milestones"),
        render=lambda: render_template("projects/milestone_form.html", form=form, project=project, milestone=None,
                                       evidence=[], evidence_form=None))


def _milestone_page(session, project, milestone, form, evidence_form):
    by_milestone, _ = prq.evidence_for(session, milestone_ids=[milestone.id])
    return render_template("projects/milestone_form.html", form=form, project=project, milestone=milestone,
                           evidence=by_milestone.get(milestone.id, []), evidence_form=evidence_form,
                           locked=milestone.is_gate_criterion and not actor().is_admin)


def _milestone_form(milestone, formdata=...):
    form = MilestoneForm(obj=milestone) if formdata is ... else MilestoneForm(obj=milestone, formdata=formdata)
    if milestone.status == "waived":
        form.status.choices = list(form.status.choices) + [("waived", _("Waived"))]
    if request.method == "GET" or formdata is None:
        form.version.data = milestone.version
        form.trl_claimed.data = milestone.trl_claimed
    return form


@bp.route("/milestones/<int:milestone_id>", methods=["GET", "POST"])
@login_required
def milestone_edit(milestone_id: int):
    session, milestone, project = _milestone(milestone_id)
    can_edit = permissions.can_edit_milestones(actor(), project)
    if not can_edit:  # a reader sees the milestone and its evidence, without the form
        if request.method == "POST":  # 403, or 409 naming the project's state
            load_milestone_to_change(milestone_id, permissions.can_edit_milestones)
        return _milestone_page(session, project, milestone, None, None)
    form = _milestone_form(milestone)
    data = {"completed_on": form.completed_on.data if form.status.data == "done" else None}
    if milestone.is_gate_criterion and not actor().is_admin:  # its stage and must-meet flag are locked
        data.update(stage=milestone.stage, is_gate_criterion=True)
    return submit(
        form, lambda changes: milestone_svc.update_milestone(session, _user(), milestone, project, changes,
                                                             today=shanghai_today()),
        model=MilestoneEdit, data=data, message=_("The milestone was saved."),
        then=lambda _m: url_for("projects.detail", project_id=project.id, _anchor=f"m{milestone.id}"),
        render=lambda: _milestone_page(session, project, milestone, form, EvidenceForm()))


@bp.route("/milestones/<int:milestone_id>/complete", methods=["GET", "POST"])
@takes_uploads()
@login_required
def milestone_complete(milestone_id: int):
    session, milestone, project = _changing_milestone(milestone_id, permissions.can_edit_milestones)
    form = CompleteForm()
    if request.method == "GET":
        form.completed_on.data = shanghai_today()
        form.version.data = milestone.version
        form.trl_claimed.data = milestone.trl_claimed

    def complete(data):
        """The files of the same submission first (a must-meet milestone is done only with evidence), then
        the completion; a refusal removes the files this submission stored."""
        stored = []
        try:
            for upload in form.file.data or ():
                if getattr(upload, "filename", None):
                    stored.append(_store(session, project, upload, milestone_id=milestone.id))
            return milestone_svc.complete_milestone(session, _user(), milestone, project, data,
                                                    today=shanghai_today())
        except BaseException:
            for evidence in stored:
                (Path(current_app.config["UPLOAD_DIR"]) / evidence.stored_name).unlink(missing_ok=True)
            raise

    return submit(
        form, complete, model=MilestoneCompletion, message=_("The milestone is done."),
        then=lambda _m: url_for("projects.detail", project_id=project.id, _anchor=f"m{milestone.id}"),
        render=lambda: render_template("projects/complete.html", form=form, project=project, milestone=milestone,
                                       evidence=prq.evidence_for(session, milestone_ids=[milestone.id])[0]
                                       .get(milestone.id, [])))


@bp.route("/milestones/<int:milestone_id>/waive", methods=["GET", "POST"])
@login_required
def milestone_waive(milestone_id: int):
    session, milestone, project = _changing_milestone(milestone_id, permissions.can_waive_milestone, may=_admin)
    form = WaiveForm()
    if request.method == "GET":
        form.version.data = milestone.version
    return submit(
        form, lambda data: milestone_svc.waive_milestone(session, _user(), milestone, project, data),
        model=MilestoneWaiver, message=_("The milestone was waived."),
        then=lambda _m: url_for("projects.detail", project_id=project.id, _anchor=f"m{milestone.id}"),
        render=lambda: render_template("projects/waive.html", form=form, project=project, milestone=milestone))


# --- evidence ------------------------------------------------------------------------------------------

def _store(session, project, upload, **owner):
    return evidence_svc.store_evidence(
        session, _user(), project_id=project.id, stream=getattr(upload, "stream", None),
        filename=getattr(upload, "filename", None), upload_dir=current_app.config["UPLOAD_DIR"],
        max_bytes=evidence_svc.max_upload_bytes(current_app.config),
        zip_limits=evidence_svc.zip_limits(current_app.config), **owner)


@bp.route("/milestones/<int:milestone_id>/evidence", methods=["POST"])
@takes_uploads("projects.milestone_edit")
@login_required
def milestone_evidence(milestone_id: int):
    session, milestone, project = _changing_milestone(milestone_id, permissions.can_edit_milestones)
    evidence_form = EvidenceForm()
    if not evidence_form.validate_on_submit():
        flash(_("The form has expired; please try again."), "danger")
        return redirect(url_for("projects.milestone_edit", milestone_id=milestone.id))
    return submit(
        evidence_form, lambda _d: _store(session, project, evidence_form.file.data, milestone_id=milestone.id),
        message=_("The file was uploaded."),
        then=lambda _e: url_for("projects.milestone_edit", milestone_id=milestone.id),
        render=lambda: _milestone_page(session, project, milestone, _milestone_form(milestone, formdata=None),
                                       evidence_form))


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence_download(evidence_id: int):
    evidence, _project = load_evidence(evidence_id)
    path = evidence_svc.evidence_path(current_app.config["UPLOAD_DIR"], evidence)
    return send_file(path, mimetype=evidence.content_type, as_attachment=True, download_name=evidence.original_name,
                     max_age=0)


# --- outcomes ------------------------------------------------------------------------------------------

@bp.route("/<int:project_id>/outcomes/new", methods=["GET", "POST"])
@takes_uploads()
@login_required
def outcome_new(project_id: int):
    session, project = _changing(project_id, permissions.can_edit_project)
    form = OutcomeForm()

    def record(data):
        outcome = outcome_svc.record_outcome(session, _user(), project, data)
        if getattr(form.file.data, "filename", None):
            _store(session, project, form.file.data, outcome_id=outcome.id)
        return outcome

    return submit(
        form, record, model=OutcomeCreate, message=_("The outcome was recorded."),
        then=lambda _o: url_for("projects.detail", project_id=project.id, _anchor="outcomes"),
        render=lambda: render_template("projects/outcome_form.html", form=form, project=project))


# --- requesting a gate review ---------------------------------------------------------------------------

@bp.route("/<int:project_id>/gate", methods=["GET", "POST"])
@login_required
def gate_request(project_id: int):
    session, project = _changing(project_id, permissions.can_request_gate)
    form = GateRequestForm()
    return submit(
        form, lambda data: gate_svc.request_gate_review(session, _user(), project, data),
        model=GateRequest, message=_("The gate review was requested."),
        then=lambda _r: url_for("projects.detail", project_id=project.id, _anchor="gates"),
        render=lambda: render_template("projects/gate_request.html", form=form, project=project,
                                       check=gate_svc.gate_check(session, project),
                                       target=dg.gate_target(project.stage)))
