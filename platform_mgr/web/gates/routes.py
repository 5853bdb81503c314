"""Gate pages: the gatekeeper's queue of pending gate reviews, the decision form, and the
gate-template admin page (default must-meet milestones per stage, editable per platform)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import permissions
from ...db import get_session
from ...domain import gates as dg
from ...i18n import shanghai_today
from ...inputs.projects import GateDecision
from ...inputs.projects import GateTemplateItem as TemplateItemInput
from ...loaders import load_gate_review
from ...queries import gates as gq
from ...queries import platforms as pq
from ...queries import projects as prq
from ...services import gates as gate_svc
from ..helpers import actor, page_args, require, submit
from .forms import DecisionForm, TemplateItemForm

bp = Blueprint("gates", __name__, url_prefix="/gates")


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
    review, project = load_gate_review(review_id)
    may_decide = permissions.can_decide_gate(actor(), project, review)
    if request.method == "POST" and not may_decide:  # 403 for who may not decide it; else 409 naming the state
        require(permissions.can_judge_gate(actor(), project, review))
        gate_svc.check_decidable(review, project)
    platform = pq.get_platform_or_404(session, project.platform_id)
    form = DecisionForm()

    def page():
        milestones = [m for m in prq.list_milestones(session, project.id) if m.stage == review.from_stage]
        by_milestone, _unused = prq.evidence_for(session, milestone_ids=[m.id for m in milestones])
        names = prq.user_names(session, [review.requested_by_id, review.decided_by_id])
        claimed = [m.trl_claimed for m in milestones if m.status == "done" and m.trl_claimed]
        return render_template("gates/decide.html", form=form, review=review, project=project, platform=platform,
                               milestones=milestones, by_milestone=by_milestone, names=names, may_decide=may_decide,
                               trl_if_passed=dg.passing_trl(project.trl_current, claimed))

    return submit(
        form, lambda data: gate_svc.decide_gate(session, _user(), review, project, data, today=shanghai_today()),
        model=GateDecision, message=_("The decision was recorded."),
        then=lambda _o: url_for("projects.detail", project_id=project.id, _anchor="gates"), render=page)


# --- gate templates (admin) ---------------------------------------------------------------------------------

def _platform_arg(session):
    raw = request.values.get("platform_id") or ""
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    return pq.get_platform_or_404(session, int(raw))


@bp.route("/templates", methods=["GET", "POST"])
@login_required
def templates():
    """The default must-meet milestones of each stage: programme defaults or one platform's own."""
    require(permissions.can_manage_platforms(actor()))
    session = get_session()
    platform = _platform_arg(session)
    form = TemplateItemForm()

    def page():
        platforms, _counts, _total = pq.list_platforms(session, page=1, per_page=500)
        effective = gq.effective_templates(session, platform.id if platform else None)
        return render_template("gates/templates.html", platform=platform, platforms=platforms, effective=effective,
                               form=form, stages=[s.value for s in dg.Stage])

    return submit(form, lambda data: gate_svc.add_template_item(session, _user(), platform, data),
                  model=TemplateItemInput, message=_("The template item was added."),
                  then=lambda _i: url_for("gates.templates", platform_id=platform.id if platform else None),
                  render=page)


@bp.route("/templates/items/<int:item_id>", methods=["GET", "POST"])
@login_required
def template_item(item_id: int):
    require(permissions.can_manage_platforms(actor()))
    session = get_session()
    item = gq.get_template_item_or_404(session, item_id)
    form = TemplateItemForm(obj=item)
    platform = pq.get_platform_or_404(session, item.platform_id) if item.platform_id else None
    return submit(form, lambda data: gate_svc.update_template_item(session, _user(), item, data),
                  model=TemplateItemInput, message=_("The template item was saved."),
                  then=lambda _i: url_for("gates.templates", platform_id=item.platform_id),
                  render=lambda: render_template("gates/template_item.html", form=form, item=item, platform=platform))


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
