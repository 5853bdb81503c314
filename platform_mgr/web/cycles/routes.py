"""Admin pages of review cycles: list, create/edit, state buttons, assignments, rubric versions, results."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func
from sqlmodel import select

from ... import permissions
from ...db import get_session
from ...enums import CycleState
from ...errors import AppError
from ...inputs import validated
from ...inputs.cycles import AssignmentCreate, BalancedRequest, CycleCreate, CycleUpdate, RubricCreate
from ...loaders import load_cycle
from ...models import Assignment, Platform, User, utcnow
from ...queries import cycles as q
from ...queries.results import cycle_results
from ...services import assignments as assign_svc
from ...services import cycles as svc
from ...services import rubrics as rubric_svc
from ..helpers import act, actor, apply_errors, form_input, page_args, require, submit
from . import forms as f
from .charts import results_charts

bp = Blueprint("cycles", __name__, url_prefix="/cycles")


# --- cycles ---------------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    a, session = actor(), get_session()
    require(permissions.can_read_programme(a))
    page, per_page = page_args(25)
    state = request.args.get("state") or None
    if state not in (None, *CycleState.values()):
        state = None
    rows, total = q.list_cycles(session, page=page, per_page=per_page, state=state)
    progress = q.cycle_progress(session, [c.id for c in rows]) if permissions.can_manage_cycles(a) else {}
    versions = q.rubric_versions(session, [c.rubric_id for c in rows])
    return render_template("cycles/index.html", cycles=rows, total=total, page=page, per_page=per_page,
                           progress=progress, versions=versions, state=state)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require(permissions.can_manage_cycles(actor()))
    form = f.CycleForm()
    session = get_session()
    return submit(
        form, lambda data: svc.create_cycle(session, current_user, data), model=CycleCreate,
        data=f.cycle_form_data(form), field_for=f.form_field_for, message=_("The cycle was created as a draft."),
        then=lambda cycle: url_for("cycles.detail", cycle_id=cycle.id),
        render=lambda: render_template("cycles/form.html", form=form, cycle=None, editable=frozenset(svc.FIELDS)))


@bp.route("/<int:cycle_id>")
@login_required
def detail(cycle_id: int):
    return _detail_page(load_cycle(cycle_id, need=permissions.can_view_cycle))


def _detail_page(cycle, close_form=None):
    session, a = get_session(), actor()
    rubric = q.get_rubric_or_404(session, cycle.rubric_id)
    progress = q.cycle_progress(session, [cycle.id]).get(cycle.id, q.Progress())
    mine = q.cycle_progress(session, [cycle.id], reviewer_id=a.id).get(cycle.id) if a.is_reviewer else None
    guard = svc.closing_guard(session, cycle, now=utcnow()) \
        if cycle.state == "open" and permissions.can_manage_cycle(a, cycle) else None
    return render_template("cycles/detail.html", cycle=cycle, rubric=rubric, progress=progress, mine=mine,
                           criteria_count=len(q.rubric_criteria(session, rubric.id)), action_form=f.ActionForm(),
                           editable=svc.EDITABLE_BY_STATE.get(cycle.state, ()), guard=guard,
                           close_form=close_form or f.CloseForm(formdata=None))


@bp.route("/<int:cycle_id>/edit", methods=["GET", "POST"])
@login_required
def edit(cycle_id: int):
    session = get_session()
    cycle = load_cycle(cycle_id, need=permissions.can_manage_cycle)
    editable = svc.EDITABLE_BY_STATE.get(cycle.state, frozenset())
    if not editable:
        flash(_("A closed or published cycle can no longer be edited."), "warning")
        return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    form = f.CycleForm()
    if request.method == "GET":
        f.fill_cycle_form(form, cycle)

    def save(_none):
        # fields the state does not allow are shown disabled and not posted: they are not sent
        changes = {k: v for k, v in f.cycle_form_data(form).items() if k in editable}
        return svc.update_cycle(session, current_user, cycle,
                                validated(CycleUpdate, {**changes, "version": form.version.data or None}),
                                now=utcnow())

    return submit(form, save, field_for=f.form_field_for, message=_("The cycle was saved."),
                  then=lambda _c: url_for("cycles.detail", cycle_id=cycle.id),
                  render=lambda: render_template("cycles/form.html", form=form, cycle=cycle, editable=editable))


def _move(cycle_id: int, action, done_message: str):
    cycle = load_cycle(cycle_id, need=permissions.can_manage_cycle)

    def move():
        now = utcnow()
        if action is svc.open_cycle:
            svc.check_manual_open(cycle, now)
        action(get_session(), current_user, cycle, now=now)

    return act(move, message=done_message, back=url_for("cycles.detail", cycle_id=cycle_id))


@bp.post("/<int:cycle_id>/open")
@login_required
def open_(cycle_id: int):
    return _move(cycle_id, svc.open_cycle, _("Scoring is open. The rubric version is now frozen for this cycle."))


@bp.post("/<int:cycle_id>/close")
@login_required
def close(cycle_id: int):
    """Close by hand; the closing guard (§10) asks for a written reason: refused (409) without one, the page
    shows again with what is missing."""
    cycle = load_cycle(cycle_id, need=permissions.can_manage_cycle)
    form = f.CloseForm()
    if not form.validate_on_submit():
        flash(_("The form has expired; please try again."), "danger")
        return redirect(url_for("cycles.detail", cycle_id=cycle.id))
    session = get_session()
    try:
        svc.close_cycle(session, current_user, cycle, now=utcnow(), reason=form.reason.data, by_hand=True)
        session.commit()
    except AppError as exc:
        session.rollback()
        apply_errors(form, exc)
        return _detail_page(session.get(type(cycle), cycle.id), close_form=form), exc.status
    flash(_("Scoring is closed and the eligibility snapshot is frozen."), "success")
    return redirect(url_for("cycles.detail", cycle_id=cycle.id))


@bp.post("/<int:cycle_id>/publish")
@login_required
def publish(cycle_id: int):
    return _move(cycle_id, svc.publish_cycle, _("The results are published."))


# --- assignments -----------------------------------------------------------------------------------

def _assign_choices(session, form: f.AssignForm) -> None:
    reviewers = session.exec(select(User).where(User.role == "reviewer", User.active)
                             .order_by(User.display_name, User.id)).all()
    platforms = session.exec(select(Platform).where(Platform.status != "delisted").order_by(Platform.code)).all()
    form.reviewer_id.choices = [(u.id, f"{u.display_name} · {u.affiliation or '—'}") for u in reviewers]
    form.platform_id.choices = [(p.id, f"{p.code} · {p.host_institution}") for p in platforms]


def _assignments_page(cycle, *, assign_form=None, balanced_form=None, suggestion=None, status=200):
    session = get_session()
    page, per_page = page_args(100, 500)
    rows, total, users, platforms = q.list_assignments(session, cycle, page=page, per_page=per_page)
    assign_form = assign_form or f.AssignForm(formdata=None)
    _assign_choices(session, assign_form)
    coverage = dict(session.exec(select(Assignment.platform_id, func.count()).where(Assignment.cycle_id == cycle.id)
                                 .group_by(Assignment.platform_id)).all())
    active = session.exec(select(Platform.id, Platform.code).where(Platform.status == "active")
                          .order_by(Platform.code)).all()
    loads = dict(session.exec(select(Assignment.reviewer_id, func.count()).where(Assignment.cycle_id == cycle.id)
                              .group_by(Assignment.reviewer_id)).all())
    suggestion_rows = []
    if suggestion is not None:
        names = q.users_by_id(session, [r for r, _p in suggestion.pairs])
        codes = q.platforms_by_id(session, list({p for _r, p in suggestion.pairs} | set(suggestion.shortfall)))
        suggestion_rows = [(names.get(r), codes.get(p), suggestion.why(r, p)) for r, p in suggestion.pairs]
        suggestion.shortfall_codes = [(codes.get(p), n) for p, n in suggestion.shortfall.items()]
    return render_template(
        "cycles/assignments.html", cycle=cycle, rows=rows, total=total, page=page, per_page=per_page, users=users,
        platforms=platforms, assign_form=assign_form, balanced_form=balanced_form or f.BalancedForm(formdata=None),
        action_form=f.ActionForm(), coverage=coverage, active=active, loads=loads, suggestion=suggestion,
        suggestion_rows=suggestion_rows, can_change=cycle.state in assign_svc.ASSIGNABLE_STATES), status


@bp.route("/<int:cycle_id>/assignments")
@login_required
def assignments(cycle_id: int):
    cycle = load_cycle(cycle_id, need=permissions.can_manage_cycle)
    return _assignments_page(cycle)


@bp.post("/<int:cycle_id>/assignments")
@login_required
def assign(cycle_id: int):
    session = get_session()
    cycle = load_cycle(cycle_id, need=permissions.can_manage_cycle)
    form = f.AssignForm()
    _assign_choices(session, form)
    return submit(
        form, lambda data: assign_svc.assign_reviewer(session, current_user, cycle, data.reviewer_id, data.platform_id),
        model=AssignmentCreate, message=_("The reviewer was assigned."),
        then=lambda _a: url_for("cycles.assignments", cycle_id=cycle.id),
        render=lambda: _assignments_page(cycle, assign_form=form)[0])


@bp.post("/<int:cycle_id>/assignments/<int:assignment_id>/delete")
@login_required
def unassign(cycle_id: int, assignment_id: int):
    session = get_session()
    cycle = load_cycle(cycle_id, need=permissions.can_manage_cycle)
    assignment = q.get_assignment_or_404(session, cycle, assignment_id)
    return act(lambda: assign_svc.remove_assignment(session, current_user, cycle, assignment),
               message=_("The assignment was removed."), back=url_for("cycles.assignments", cycle_id=cycle_id))


@bp.post("/<int:cycle_id>/assignments/balanced")
@login_required
def balanced(cycle_id: int):
    session = get_session()
    cycle = load_cycle(cycle_id, need=permissions.can_manage_cycle)
    form = f.BalancedForm()
    if not request.form or not form.validate_on_submit():
        return _assignments_page(cycle, balanced_form=form, status=422)
    try:
        data = form_input(form, BalancedRequest, {"apply": bool(form.apply.data)})
        if data.apply:
            suggestion = assign_svc.apply_balanced(session, current_user, cycle, data.min_per_platform)
            session.commit()
            flash(_("%(n)d assignments were created.", n=len(suggestion.pairs)), "success")
            if suggestion.shortfall:
                flash(_("%(n)d platforms still have too few eligible reviewers.", n=len(suggestion.shortfall)),
                      "warning")
            return redirect(url_for("cycles.assignments", cycle_id=cycle.id))
        suggestion = assign_svc.balanced_suggestion(session, cycle, data.min_per_platform)
    except AppError as exc:
        session.rollback()
        apply_errors(form, exc)
        return _assignments_page(cycle, balanced_form=form, status=exc.status)
    return _assignments_page(cycle, balanced_form=form, suggestion=suggestion)


# --- results ---------------------------------------------------------------------------------------

@bp.route("/<int:cycle_id>/results")
@login_required
def results(cycle_id: int):
    cycle = load_cycle(cycle_id, need=permissions.can_view_results)
    session, a = get_session(), actor()
    res = cycle_results(session, cycle)
    breakdown = permissions.can_view_reviewer_breakdown(a, cycle)
    # the charts show the breakdown's figures, so they are drawn for exactly those who see it
    charts = results_charts(res) if breakdown else {}
    return render_template("cycles/results.html", cycle=cycle, res=res, breakdown=breakdown, charts=charts)


# --- rubric versions -------------------------------------------------------------------------------

@bp.route("/rubrics")
@login_required
def rubrics():
    require(permissions.can_manage_cycles(actor()))
    session = get_session()
    return render_template("cycles/rubrics.html", rubrics=q.list_rubrics(session),
                           used=q.cycles_using_rubrics(session))


@bp.route("/rubrics/<int:rubric_id>")
@login_required
def rubric(rubric_id: int):
    require(permissions.can_read_programme(actor()))
    session = get_session()
    rubric = q.get_rubric_or_404(session, rubric_id)
    criteria = q.rubric_criteria(session, rubric.id)
    return render_template("cycles/rubric.html", rubric=rubric, criteria=criteria,
                           used=q.cycles_using_rubrics(session).get(rubric.id, []))


@bp.route("/rubrics/new", methods=["GET", "POST"])
@login_required
def new_rubric():
    require(permissions.can_manage_cycles(actor()))
    session = get_session()
    form = f.RubricForm()
    status = 422 if request.method == "POST" else 200  # a form shown again after a POST was refused
    if request.method == "GET":
        latest = rubric_svc.latest_rubric(session)
        criteria = q.rubric_criteria(session, latest.id) if latest else []
        while form.criteria.entries:
            form.criteria.pop_entry()
        for c in criteria:
            form.criteria.append_entry({"code": c.code, "dimension": c.dimension,
                                        "max_points": Decimal(c.max_tenths) / 10, "name_zh": c.name_zh,
                                        "name_en": c.name_en, "guidance_zh": c.guidance_zh,
                                        "guidance_en": c.guidance_en})
        for _i in range(2):
            form.criteria.append_entry({})
    elif form.validate_on_submit():
        kept = [entry for entry in form.criteria.entries if (entry.data.get("code") or "").strip()]
        rows = [{**entry.data, "max_points": str(entry.data["max_points"])
                 if entry.data.get("max_points") is not None else None} for entry in kept]
        try:
            data = validated(RubricCreate, {"name": form.name.data or "", "criteria": rows})
            rubric = rubric_svc.create_rubric_version(session, current_user, data)
            session.commit()
        except AppError as exc:
            session.rollback()
            _criteria_errors(form, kept, exc)
            status = exc.status
        else:
            flash(_("Rubric version %(v)d was created; draft cycles now use it.", v=rubric.version), "success")
            return redirect(url_for("cycles.rubric", rubric_id=rubric.id))
    return render_template("cycles/rubric_form.html", form=form), status


def _criteria_errors(form, kept, exc: AppError) -> None:
    """Put ``criteria.<i>.<field>`` errors on the entry the row came from (blank rows were left out)."""
    rest = {}
    for key, message in exc.fields.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "criteria" and parts[1].isdigit() and int(parts[1]) < len(kept):
            field = getattr(kept[int(parts[1])].form, parts[2], None)
            if field is not None:
                field.errors = list(field.errors or []) + [str(message)]
                continue
        rest[key] = message
    exc.fields = rest
    apply_errors(form, exc)
