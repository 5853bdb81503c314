"""The reviewer's work (my reviews, the scoring page) and the operator's self-assessment."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import permissions
from ...db import get_session
from ...domain.rubric import format_tenths
from ...errors import AppError
from ...i18n import shanghai_today
from ...inputs.cycles import ReviewPut, SelfAssessmentPut
from ...loaders import load_cycle_and_platform, require_self_assessment_reader
from ...models import utcnow
from ...queries import cycles as q
from ...queries.evidence_panel import evidence_panel
from ...services import reviews as svc
from ...services import self_assessments as sa_svc
from ..dashboards.charts import reviewer_charts
from ...loaders import load_attachment, signed_in
from ..helpers import act, actor, apply_errors, form_input, require, takes_uploads
from . import forms as f

bp = Blueprint("reviews", __name__, url_prefix="/reviews")


@bp.route("/")
@login_required
def index():
    """Reviewers: their reviews by cycle with progress. Operators: their platforms' self-assessments."""
    a, session = signed_in(), get_session()
    if a.is_reviewer:
        rows, cycles, platforms, scored = q.my_reviews(session, a.id)
        groups: dict[int, list] = {}
        for x in rows:
            groups.setdefault(x.cycle_id, []).append(x)
        progress = q.cycle_progress(session, groups, reviewer_id=a.id)
        n_criteria = q.criteria_counts(session, {c.rubric_id for c in cycles.values()})
        return render_template("reviews/index.html", groups=groups, cycles=cycles, platforms=platforms,
                               scored=scored, progress=progress, n_criteria=n_criteria,
                               charts=reviewer_charts(cycles, progress))
    if a.is_operator or a.is_admin:
        cycles, _total = q.list_cycles(session, page=1, per_page=10)
        platform_ids = sorted(a.operator_platform_ids) if a.is_operator else []
        platforms = q.platforms_by_id(session, platform_ids)
        status = q.self_assessments_for(session, [c.id for c in cycles], platform_ids)
        return render_template("reviews/operator_index.html", cycles=cycles,
                               platforms=sorted(platforms.values(), key=lambda p: p.code), status=status)
    abort(403)


def _scores_as_text(scores: dict[str, int]) -> dict[str, str]:
    return {code: format_tenths(t) for code, t in scores.items()}


@bp.route("/<int:cycle_id>/<int:platform_id>", methods=["GET", "POST"])
@login_required
def score(cycle_id: int, platform_id: int):
    session = get_session()
    cycle, platform = load_cycle_and_platform(cycle_id, platform_id)
    a = actor()
    if a.is_admin and request.method == "GET" and request.args.get("reviewer_id", "").isdigit() \
            and int(request.args["reviewer_id"]) <= 2**31 - 1:
        reviewer_id = int(request.args["reviewer_id"])  # admins may read any review
    else:
        require(a.is_reviewer)
        reviewer_id = a.id
    assignment = q.get_assignment(session, cycle.id, reviewer_id, platform.id)
    if assignment is None:
        abort(404 if a.is_admin else 403)
    require(permissions.can_view_review(a, cycle, assignment))
    criteria = q.rubric_criteria(session, cycle.rubric_id)
    form_class = f.review_form_class(criteria)
    editable = permissions.can_score(a, cycle, assignment)
    form = form_class()
    status = 200
    if request.method == "POST":
        require(a.is_reviewer)
        if form.validate_on_submit():
            submit = request.form.get("action") == "submit"
            try:
                data = form_input(form, ReviewPut, {"scores": {c.code: (form[c.code].data or "") for c in criteria},
                                                    "submit": submit})
                svc.save_review(session, current_user, cycle, assignment, data, now=utcnow())
                session.commit()
            except AppError as exc:
                session.rollback()
                apply_errors(form, exc)
                status = exc.status
                session.refresh(assignment)
            else:
                flash(_("Your review was submitted. It is now locked.") if submit else _("Your draft was saved."),
                      "success")
                return redirect(url_for("reviews.score", cycle_id=cycle.id, platform_id=platform.id))
        else:
            status = 422
        editable = permissions.can_score(a, cycle, assignment)
    else:
        for code, text in _scores_as_text(q.review_scores(session, assignment.id)).items():
            if code in form._fields:
                form[code].data = text
        form.comment.data = assignment.comment
        form.conflict.data = assignment.conflict_declared
        form.conflict_kind.data = assignment.conflict_kind or ""
        form.conflict_note.data = assignment.conflict_note
        # the version read: a POST sends it back; a refused POST keeps the one sent, so resending stays refused
        form.version.data = str(assignment.version)
    saved = q.review_scores(session, assignment.id)
    others = None
    if permissions.can_view_other_reviews(a, cycle, assignment):
        others = [(x, s) for x, s in q.platform_review_scores(session, cycle.id, platform.id)
                  if x.id != assignment.id and x.review_state == "submitted"]
    # a conflicted reviewer reads their own review, not the platform's self-assessment (DESIGN §10)
    sa = None if a.is_reviewer and permissions.is_conflicted(assignment) else \
        q.get_self_assessment(session, cycle.id, platform.id)
    return render_template(
        "reviews/score.html", cycle=cycle, platform=platform, assignment=assignment, criteria=criteria, form=form,
        editable=editable, saved_total=sum(saved.values()), others=others, self_assessment=sa,
        files=q.self_assessment_files(session, sa.id if sa else None),
        evidence=evidence_panel(session, platform.id, cycle.window_start, cycle.window_end, shanghai_today()),
        max_total=sum(c.max_tenths for c in criteria)), status


# --- self-assessment ---------------------------------------------------------------------------

@bp.route("/<int:cycle_id>/self-assessment/<int:platform_id>", methods=["GET", "POST"])
@login_required
def self_assessment(cycle_id: int, platform_id: int):
    session = get_session()
    cycle, platform = load_cycle_and_platform(cycle_id, platform_id)
    a = actor()
    require_self_assessment_reader(cycle, platform)
    editable = permissions.can_author_self_assessment(a, platform) and permissions.can_edit_self_assessment(a, cycle, platform)
    sa = q.get_self_assessment(session, cycle.id, platform.id)
    form = f.SelfAssessmentForm()
    status = 200
    if request.method == "POST":
        require(permissions.can_author_self_assessment(a, platform))
        if form.validate_on_submit():
            try:
                sa_svc.save_self_assessment(session, current_user, cycle, platform,
                                            form_input(form, SelfAssessmentPut), now=utcnow())
                session.commit()
            except AppError as exc:
                session.rollback()
                apply_errors(form, exc)
                status = exc.status
                sa = q.get_self_assessment(session, cycle.id, platform.id)
            else:
                flash(_("The self-assessment was saved."), "success")
                return redirect(url_for("reviews.self_assessment", cycle_id=cycle.id, platform_id=platform.id))
        else:
            status = 422
    else:
        for k in sa_svc.NARRATIVES if sa is not None else ():
            form[k].data = getattr(sa, k)
        # the version read (0 while none exists): a refused POST keeps the one sent, so resending stays refused
        form.version.data = str(sa.version if sa else 0)
    return render_template("reviews/self_assessment.html", cycle=cycle, platform=platform, form=form, sa=sa,
                           editable=editable, files=q.self_assessment_files(session, sa.id if sa else None),
                           upload_form=f.AttachmentForm(formdata=None), action_form=f.ActionForm(),
                           max_mb=int(current_app.config["MAX_UPLOAD_MB"]),
                           types=", ".join(sorted(sa_svc.ALLOWED_TYPES))), status


@bp.post("/<int:cycle_id>/self-assessment/<int:platform_id>/attachments")
@takes_uploads("reviews.self_assessment")
@login_required
def attach(cycle_id: int, platform_id: int):
    session = get_session()
    cycle, platform = load_cycle_and_platform(cycle_id, platform_id)
    require(permissions.can_author_self_assessment(actor(), platform))
    form = f.AttachmentForm()
    upload = form.file.data
    return act(lambda: sa_svc.add_attachment(session, current_user, cycle, platform, upload.stream,
                                             upload.filename or ""),
               form=form, message=_("The file was attached."),
               back=url_for("reviews.self_assessment", cycle_id=cycle_id, platform_id=platform_id))


@bp.post("/<int:cycle_id>/self-assessment/<int:platform_id>/attachments/<int:file_id>/delete")
@login_required
def detach(cycle_id: int, platform_id: int, file_id: int):
    session = get_session()
    cycle, platform = load_cycle_and_platform(cycle_id, platform_id)
    require(permissions.can_author_self_assessment(actor(), platform))
    file, sa = q.get_attachment_or_404(session, file_id)
    if sa.cycle_id != cycle.id or sa.platform_id != platform.id:
        abort(404)
    return act(lambda: sa_svc.remove_attachment(session, current_user, cycle, file), message=_("The file was removed."),
               back=url_for("reviews.self_assessment", cycle_id=cycle_id, platform_id=platform_id))


@bp.route("/attachments/<int:file_id>")
@login_required
def download(file_id: int):
    file, path = load_attachment(file_id)
    return send_file(path, mimetype=file.content_type, as_attachment=True, download_name=file.original_name,
                     max_age=0)
