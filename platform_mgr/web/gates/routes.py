"""Gate pages: the gatekeeper's queue of pending gate reviews, the decision form, and the
gate-template admin page (default must-meet milestones per stage, editable per platform)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import permissions
from ...db import get_session
from ...domain import gates as dg
from ...errors import Conflict, Invalid
from ...i18n import shanghai_today
from ...queries import gates as gq
from ...queries import platforms as pq
from ...queries import projects as prq
from ...services import gates as gate_svc
from ..helpers import actor, apply_errors, page_args, require
from .forms import DecisionForm, TemplateItemForm

bp = Blueprint("gates", __name__, url_prefix="/gates")
REFUSED = (Invalid, Conflict)


def _user():
    return current_user._get_current_object()


@bp.route("/")
@login_required
def queue():
    a = actor()
    require(permissions.can_view_gate_queue(a))
    page, per_page = page_args(25)
    rows, names, total = gq.list_pending_reviews(get_session(), platform_ids=None if a.is_admin else
                                                 a.gatekeeper_platform_ids, page=page, per_page=per_page)
    return render_template("gates/queue.html", rows=rows, names=names, total=total, page=page, per_page=per_page)


@bp.route("/<int:review_id>", methods=["GET", "POST"])
@login_required
def decide(review_id: int):
    session = get_session()
    review = gq.get_gate_review_or_404(session, review_id)
    project = prq.get_project_or_404(session, review.project_id)
    a = actor()
    require(permissions.can_view_project(a, project))
    may_decide = permissions.can_decide_gate(a, project, review)
    if request.method == "POST":
        require(may_decide)
    platform = pq.get_platform_or_404(session, project.platform_id)
    form = DecisionForm()
    status = 200
    if may_decide and form.validate_on_submit():
        try:
            gate_svc.decide_gate(session, _user(), review, project, decision=form.decision.data,
                                 rationale=form.rationale.data or "", conditions=form.conditions.data or "",
                                 conditions_due_on=form.conditions_due_on.data,
                                 rework_due_on=form.rework_due_on.data, today=shanghai_today())
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The decision was recorded."), "success")
            return redirect(url_for("projects.detail", project_id=project.id, _anchor="gates"))
    elif request.method == "POST":
        status = 422
    milestones = [m for m in prq.list_milestones(session, project.id) if m.stage == review.from_stage]
    by_milestone, _unused = prq.evidence_for(session, milestone_ids=[m.id for m in milestones])
    names = prq.user_names(session, [review.requested_by_id, review.decided_by_id])
    claimed = [m.trl_claimed for m in milestones if m.status == "done" and m.trl_claimed]
    return render_template("gates/decide.html", form=form, review=review, project=project, platform=platform,
                           milestones=milestones, by_milestone=by_milestone, names=names, may_decide=may_decide,
                           trl_if_passed=dg.passing_trl(project.trl_current, claimed)), status


# --- gate templates (admin) ---------------------------------------------------------------------------------

def _platform_arg(session):
    raw = request.values.get("platform_id") or ""
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    return pq.get_platform_or_404(session, int(raw))


def _template_data(form) -> dict:
    """The template-item form's fields as the service takes them."""
    return {"stage": form.stage.data, "title_zh": form.title_zh.data, "title_en": form.title_en.data or "",
            "deliverable_zh": form.deliverable_zh.data or "", "deliverable_en": form.deliverable_en.data or "",
            "due_days": form.due_days.data}


@bp.route("/templates", methods=["GET", "POST"])
@login_required
def templates():
    """The default must-meet milestones of each stage: programme defaults or one platform's own."""
    require(permissions.can_manage_platforms(actor()))
    session = get_session()
    platform = _platform_arg(session)
    form = TemplateItemForm()
    status = 200
    if form.validate_on_submit():
        data = _template_data(form)
        try:
            gate_svc.add_template_item(session, _user(), platform, data)
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The template item was added."), "success")
            return redirect(url_for("gates.templates", platform_id=platform.id if platform else None))
    elif request.method == "POST":
        status = 422
    platforms, _counts, _total = pq.list_platforms(session, page=1, per_page=500)
    effective = gq.effective_templates(session, platform.id if platform else None)
    return render_template("gates/templates.html", platform=platform, platforms=platforms, effective=effective,
                           form=form, stages=[s.value for s in dg.Stage]), status


@bp.route("/templates/items/<int:item_id>", methods=["GET", "POST"])
@login_required
def template_item(item_id: int):
    require(permissions.can_manage_platforms(actor()))
    session = get_session()
    item = gq.get_template_item_or_404(session, item_id)
    form = TemplateItemForm(obj=item)
    status = 200
    if form.validate_on_submit():
        data = _template_data(form)
        try:
            gate_svc.update_template_item(session, _user(), item, data)
            session.commit()
        except REFUSED as exc:
            session.rollback()
            apply_errors(form, exc)
            status = exc.status
        else:
            flash(_("The template item was saved."), "success")
            return redirect(url_for("gates.templates", platform_id=item.platform_id))
    elif request.method == "POST":
        status = 422
    platform = pq.get_platform_or_404(session, item.platform_id) if item.platform_id else None
    return render_template("gates/template_item.html", form=form, item=item, platform=platform), status


@bp.route("/templates/items/<int:item_id>/delete", methods=["POST"])
@login_required
def template_item_delete(item_id: int):
    require(permissions.can_manage_platforms(actor()))
    session = get_session()
    item = gq.get_template_item_or_404(session, item_id)
    platform_id = item.platform_id  # CSRFProtect checks the token of every POST
    gate_svc.delete_template_item(session, _user(), item)
    session.commit()
    flash(_("The template item was removed."), "success")
    return redirect(url_for("gates.templates", platform_id=platform_id))


@bp.route("/templates/<int:platform_id>/customise", methods=["POST"])
@login_required
def template_customise(platform_id: int):
    require(permissions.can_manage_platforms(actor()))
    session = get_session()
    platform = pq.get_platform_or_404(session, platform_id)
    n = gate_svc.customise_platform_template(session, _user(), platform)
    session.commit()
    flash(_("%(n)d items were copied to the platform's own template.", n=n), "success")
    return redirect(url_for("gates.templates", platform_id=platform.id))


@bp.route("/templates/<int:platform_id>/reset", methods=["POST"])
@login_required
def template_reset(platform_id: int):
    require(permissions.can_manage_platforms(actor()))
    session = get_session()
    platform = pq.get_platform_or_404(session, platform_id)
    stage = request.form.get("stage") or None
    if stage is not None and stage not in [s.value for s in dg.Stage]:
        abort(400)
    gate_svc.reset_platform_template(session, _user(), platform, stage)
    session.commit()
    flash(_("The platform uses the programme template again."), "success")
    return redirect(url_for("gates.templates", platform_id=platform.id))
