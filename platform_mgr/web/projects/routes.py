"""Project pages: the operator's platform dashboard, the project page with its stage timeline,
milestones, gate history, outcomes and evidence, and the forms that change them.

Every view loads its rows (404), checks a ``permissions.can_*`` (401/403), calls one service and
commits once; a refused change rolls back and shows the form again with its field errors.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import permissions
from ...db import get_session
from ...domain import gates as dg
from ...domain.trl import TRL_LEVELS
from ...errors import Conflict, Invalid, TooLarge
from ...i18n import shanghai_today
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
from ..helpers import actor, apply_errors, require
from .forms import (
    CompleteForm,
    ConfirmForm,
    EvidenceForm,
    GateRequestForm,
    MilestoneForm,
    OutcomeForm,
    ProjectForm,
    WaiveForm,
    trl_choice_label,
)

bp = Blueprint("projects", __name__, url_prefix="/projects")
REFUSED = (Invalid, Conflict, TooLarge)  # shown on the form; anything else goes to the error page


@bp.app_context_processor
def trl_helpers():
    """The TRL scale for every template that shows or chooses a TRL (both languages)."""
    return {"trl_levels": TRL_LEVELS, "trl_both": trl_choice_label}


def _user():
    return current_user._get_current_object()


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _load_project(project_id: int):
    session = get_session()
    project = prq.get_project_or_404(session, project_id)
    require(permissions.can_view_project(actor(), project))
    return session, project


def _load_milestone(milestone_id: int):
    session = get_session()
    milestone = prq.get_milestone_or_404(session, milestone_id)
    project = prq.get_project_or_404(session, milestone.project_id)
    require(permissions.can_view_project(actor(), project))
    return session, milestone, project


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
    require(a.authenticated)
    platforms, counts, _total = pq.list_platforms(session, page=1, per_page=200, ids=ids)
    return render_template("projects/dashboard_index.html", platforms=platforms, counts=counts)


@bp.route("/platform/<int:platform_id>")
@login_required
def dashboard(platform_id: int):
    session = get_session()
    platform = pq.get_platform_or_404(session, platform_id)
    require(permissions.can_view_projects_of(actor(), platform))
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

def _project_data(form: ProjectForm, *, create: bool) -> dict:
    data = {"title_zh": form.title_zh.data, "title_en": form.title_en.data or "", "lead": form.lead.data,
            "source_institution": form.source_institution.data or "", "demand_owner": form.demand_owner.data or "",
            "selection_mode": form.selection_mode.data, "trl_entry": form.trl_entry.data, "budget": form.budget.data,
            "started_on": form.started_on.data}
    if create:
        data["stage"] = form.stage.data
    return data


@bp.route("/platform/<int:platform_id>/new", methods=["GET", "POST"])
@login_required
def new(platform_id: int):
    session = get_session()
    platform = pq.get_platform_or_404(session, platform_id)
    require(permissions.can_create_project(actor(), platform))
    form = ProjectForm()
    status = 200
    if form.validate_on_submit():
        try:
            project = project_svc.create_project(session, _user(), platform, _project_data(form, create=True),
                                                 today=shanghai_today(), apply_template=bool(form.apply_template.data))
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The project was registered."), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    elif request.method == "POST":
        status = 422
    return render_template("projects/form.html", form=form, platform=platform, project=None), status


@bp.route("/<int:project_id>")
@login_required
def detail(project_id: int):
    session, project = _load_project(project_id)
    platform = pq.get_platform_or_404(session, project.platform_id)
    milestones = prq.list_milestones(session, project.id)
    outcomes, _outcome_total = prq.list_outcomes(session, project.id)
    by_milestone, by_outcome = prq.evidence_for(session, milestone_ids=[m.id for m in milestones],
                                                outcome_ids=[o.id for o in outcomes])
    reviews, names = gq.list_gate_reviews(session, project.id)
    pending = next((r for r in reviews if r.decision is None), None)
    check = gate_svc.gate_check(session, project) if project.status == "active" else None
    entered = {project.stage: None}
    for r in reversed(reviews):  # oldest first: when each stage was entered by a passing gate
        if r.decision in ("go", "conditional_go") and r.to_stage:
            entered[r.to_stage] = r.decided_at
    today = shanghai_today()
    return render_template("projects/detail.html", project=project, platform=platform, milestones=milestones,
                           outcomes=outcomes, by_milestone=by_milestone, by_outcome=by_outcome, reviews=reviews,
                           names=names, pending=pending, check=check, entered=entered, today=today,
                           is_overdue=dg.is_overdue, days_overdue=dg.days_overdue,
                           stages=[s.value for s in dg.Stage], confirm=ConfirmForm(),
                           read_only=dg.is_read_only(project.status))


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    session, project = _load_project(project_id)
    require(permissions.can_edit_project(actor(), project))
    platform = pq.get_platform_or_404(session, project.platform_id)
    form = ProjectForm(obj=project)
    del form.stage
    del form.apply_template
    if request.method == "GET":
        form.version.data = project.version
        form.trl_entry.data = project.trl_entry
    status = 200
    if form.validate_on_submit():
        try:
            project_svc.update_project(session, _user(), project, _project_data(form, create=False),
                                       version=_int(form.version.data))
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The project was saved."), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    elif request.method == "POST":
        status = 422
    return render_template("projects/form.html", form=form, platform=platform, project=project), status


@bp.route("/<int:project_id>/resume", methods=["POST"])
@login_required
def resume(project_id: int):
    session, project = _load_project(project_id)
    require(permissions.can_resume_project(actor(), project))
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "danger")
        return redirect(url_for("projects.detail", project_id=project.id))
    project_svc.resume_project(session, _user(), project, version=_int(form.version.data))
    session.commit()
    flash(_("The project is active again."), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


# --- milestones ----------------------------------------------------------------------------------------

@bp.route("/<int:project_id>/milestones/new", methods=["GET", "POST"])
@login_required
def milestone_new(project_id: int):
    session, project = _load_project(project_id)
    require(permissions.can_edit_milestones(actor(), project))
    form = MilestoneForm()
    if request.method == "GET":
        form.stage.data = project.stage
    status = 200
    if form.validate_on_submit():
        data = {"title": form.title.data, "stage": form.stage.data, "due_on": form.due_on.data,
                "deliverable": form.deliverable.data or "", "is_gate_criterion": bool(form.is_gate_criterion.data),
                "status": form.status.data, "trl_claimed": form.trl_claimed.data}
        if form.status.data == "done":
            data["completed_on"] = form.completed_on.data
        try:
            milestone_svc.add_milestone(session, _user(), project, data, today=shanghai_today())
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The milestone was added."), "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor="milestones"))
    elif request.method == "POST":
        status = 422
    return render_template("projects/milestone_form.html", form=form, project=project, milestone=None,
                           evidence=[], evidence_form=None), status


def _milestone_page(session, project, milestone, form, evidence_form, status=200):
    by_milestone, _ = prq.evidence_for(session, milestone_ids=[milestone.id])
    return render_template("projects/milestone_form.html", form=form, project=project, milestone=milestone,
                           evidence=by_milestone.get(milestone.id, []), evidence_form=evidence_form,
                           locked=milestone.is_gate_criterion and not actor().is_admin), status


@bp.route("/milestones/<int:milestone_id>", methods=["GET", "POST"])
@login_required
def milestone_edit(milestone_id: int):
    session, milestone, project = _load_milestone(milestone_id)
    can_edit = permissions.can_edit_milestones(actor(), project)
    if request.method == "POST":
        require(can_edit)
    form = MilestoneForm(obj=milestone) if can_edit else None
    if form is not None and request.method == "GET":
        form.version.data = milestone.version
        form.trl_claimed.data = milestone.trl_claimed
        if milestone.status == "waived":
            form.status.choices = list(form.status.choices) + [("waived", _("Waived"))]
    status = 200
    if form is not None and request.method == "POST" and milestone.status == "waived":
        form.status.choices = list(form.status.choices) + [("waived", _("Waived"))]
    if form is not None and form.validate_on_submit():
        data = {"title": form.title.data, "due_on": form.due_on.data, "deliverable": form.deliverable.data or "",
                "status": form.status.data, "trl_claimed": form.trl_claimed.data,
                "completed_on": form.completed_on.data if form.status.data == "done" else None}
        if not (milestone.is_gate_criterion and not actor().is_admin):
            data["stage"] = form.stage.data
            data["is_gate_criterion"] = bool(form.is_gate_criterion.data)
        try:
            milestone_svc.update_milestone(session, _user(), milestone, project, data,
                                           version=_int(form.version.data), today=shanghai_today())
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The milestone was saved."), "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor=f"m{milestone.id}"))
    elif request.method == "POST":
        status = 422
    return _milestone_page(session, project, milestone, form, EvidenceForm() if can_edit else None, status)


@bp.route("/milestones/<int:milestone_id>/complete", methods=["GET", "POST"])
@login_required
def milestone_complete(milestone_id: int):
    session, milestone, project = _load_milestone(milestone_id)
    require(permissions.can_edit_milestones(actor(), project))
    form = CompleteForm()
    if request.method == "GET":
        form.completed_on.data = shanghai_today()
        form.version.data = milestone.version
        form.trl_claimed.data = milestone.trl_claimed
    status = 200
    if form.validate_on_submit():
        try:
            milestone_svc.complete_milestone(session, _user(), milestone, project, version=_int(form.version.data),
                                             today=shanghai_today(), completed_on=form.completed_on.data,
                                             trl_claimed=form.trl_claimed.data)
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The milestone is done."), "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor=f"m{milestone.id}"))
    elif request.method == "POST":
        status = 422
    return render_template("projects/complete.html", form=form, project=project, milestone=milestone), status


@bp.route("/milestones/<int:milestone_id>/waive", methods=["GET", "POST"])
@login_required
def milestone_waive(milestone_id: int):
    session, milestone, project = _load_milestone(milestone_id)
    require(permissions.can_waive_milestone(actor(), project))
    form = WaiveForm()
    if request.method == "GET":
        form.version.data = milestone.version
    status = 200
    if form.validate_on_submit():
        try:
            milestone_svc.waive_milestone(session, _user(), milestone, project, reason=form.waived_reason.data,
                                          version=_int(form.version.data))
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The milestone was waived."), "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor=f"m{milestone.id}"))
    elif request.method == "POST":
        status = 422
    return render_template("projects/waive.html", form=form, project=project, milestone=milestone), status


# --- evidence ------------------------------------------------------------------------------------------

def _store(session, project, form, **owner):
    upload = form.file.data
    return evidence_svc.store_evidence(
        session, _user(), project_id=project.id, stream=getattr(upload, "stream", None),
        filename=getattr(upload, "filename", None), upload_dir=current_app.config["UPLOAD_DIR"],
        max_bytes=evidence_svc.max_upload_bytes(current_app.config), **owner)


@bp.route("/milestones/<int:milestone_id>/evidence", methods=["POST"])
@login_required
def milestone_evidence(milestone_id: int):
    session, milestone, project = _load_milestone(milestone_id)
    require(permissions.can_edit_milestones(actor(), project))
    evidence_form = EvidenceForm()
    if evidence_form.validate_on_submit():
        try:
            _store(session, project, evidence_form, milestone_id=milestone.id)
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(evidence_form, exc)
            form = MilestoneForm(obj=milestone, formdata=None)
            form.version.data = milestone.version
            form.trl_claimed.data = milestone.trl_claimed
            return _milestone_page(session, project, milestone, form, evidence_form, exc.status)
        flash(_("The file was uploaded."), "success")
    else:
        flash(_("The form has expired; please try again."), "danger")
    return redirect(url_for("projects.milestone_edit", milestone_id=milestone.id))


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence_download(evidence_id: int):
    session = get_session()
    evidence = prq.get_evidence_or_404(session, evidence_id)
    project = prq.get_project_or_404(session, prq.evidence_project_id(session, evidence))
    require(permissions.can_view_evidence(actor(), project))
    path = evidence_svc.evidence_path(current_app.config["UPLOAD_DIR"], evidence)
    return send_file(path, mimetype=evidence.content_type, as_attachment=True, download_name=evidence.original_name,
                     max_age=0)


# --- outcomes ------------------------------------------------------------------------------------------

@bp.route("/<int:project_id>/outcomes/new", methods=["GET", "POST"])
@login_required
def outcome_new(project_id: int):
    session, project = _load_project(project_id)
    require(permissions.can_edit_project(actor(), project))
    form = OutcomeForm()
    status = 200
    if form.validate_on_submit():
        data = {"kind": form.kind.data, "counterparty": form.counterparty.data, "amount": form.amount.data,
                "occurred_on": form.occurred_on.data, "note": form.note.data or ""}
        try:
            outcome = outcome_svc.record_outcome(session, _user(), project, data, today=shanghai_today())
            if getattr(form.file.data, "filename", None):
                _store(session, project, form, outcome_id=outcome.id)
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The outcome was recorded."), "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor="outcomes"))
    elif request.method == "POST":
        status = 422
    return render_template("projects/outcome_form.html", form=form, project=project), status


# --- requesting a gate review ---------------------------------------------------------------------------

@bp.route("/<int:project_id>/gate", methods=["GET", "POST"])
@login_required
def gate_request(project_id: int):
    session, project = _load_project(project_id)
    require(permissions.can_request_gate(actor(), project))
    form = GateRequestForm()
    check = gate_svc.gate_check(session, project)
    status = 200
    if form.validate_on_submit():
        try:
            gate_svc.request_gate_review(session, _user(), project, note=form.note.data or "")
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
            check = gate_svc.gate_check(session, project)
        else:
            flash(_("The gate review was requested."), "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor="gates"))
    elif request.method == "POST":
        status = 422
    return render_template("projects/gate_request.html", form=form, project=project, check=check,
                           target=dg.gate_target(project.stage)), status
