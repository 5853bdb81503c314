"""/admin/platforms: list, create, edit, suspend / reactivate / delist (reason), the integrity flag (note),
operators and gatekeepers (DESIGN §9). Admins only; the rules are in `services.platforms` and
`services.accounts` (bindings), the input models in `inputs.platforms`.

Every change is a CSRF-checked POST that the service audits and the view commits once, then a message and the
platform's page; a refusal answers that page again with the form's errors and the status that says why: 422
(the input), 409 (the platform's state: delisting one that is delisted, clearing a flag that is not set)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ... import permissions
from ...db import get_session
from ...enums import PlatformField, PlatformOrigin, PlatformStatus
from ...inputs.platforms import (
    DelistingReviewResolution,
    IntegrityFlagChange,
    PlatformBinding,
    PlatformCreate,
    PlatformStatusChange,
    PlatformUpdate,
)
from ...loaders import load_platform, load_user, person
from ...queries import platforms as pq
from ...services import accounts, delisting
from ...services import platforms as platform_svc
from ..helpers import REFUSED, actor, apply_errors, form_input, mark_required, page_args, require, submit
from .blueprint import bp
from .platform_forms import BindingForm, DelistingReviewForm, IntegrityForm, PlatformForm, StatusForm

#: the filter of the list by integrity flag: ?integrity=1 flagged, 0 not flagged
FLAGS = {"1": True, "0": False}


def _platform(platform_id: int):
    return load_platform(platform_id, need=permissions.can_manage_platform)


@bp.route("/platforms")
@login_required
def platforms():
    require(permissions.can_manage_platforms(actor()))
    page, per_page = page_args(25)
    args = request.args
    filters = {"q": (args.get("q") or "").strip()[:100],
               "field": args.get("field") if args.get("field") in PlatformField.values() else "",
               "origin": args.get("origin") if args.get("origin") in PlatformOrigin.values() else "",
               "status": args.get("status") if args.get("status") in PlatformStatus.values() else "",
               "integrity": args.get("integrity") if args.get("integrity") in FLAGS else ""}
    rows, counts, total = pq.list_platforms(get_session(), page=page, per_page=per_page, q=filters["q"],
                                            field=filters["field"] or None, origin=filters["origin"] or None,
                                            status=filters["status"] or None,
                                            integrity_flag=FLAGS.get(filters["integrity"]))
    return render_template("admin/platforms/index.html", rows=rows, counts=counts, total=total, page=page,
                           per_page=per_page, filters=filters)


@bp.route("/platforms/new", methods=["GET", "POST"])
@login_required
def new_platform():
    require(permissions.can_manage_platforms(actor()))
    session = get_session()
    form = PlatformForm()
    form.host_institution.flags.required = True  # the page names the host by name (the API may send its id)
    return submit(form, lambda data: platform_svc.create_platform(session, person(), data), model=PlatformCreate,
                  render=lambda: render_template("admin/platforms/form.html", form=form, platform=None),
                  message=_("The platform was created."),
                  then=lambda p: url_for("admin.platform", platform_id=p.id))


@bp.route("/platforms/<int:platform_id>/edit", methods=["GET", "POST"])
@login_required
def edit_platform(platform_id: int):
    platform = _platform(platform_id)
    session = get_session()
    form = PlatformForm(obj=platform)
    return submit(form, lambda data: platform_svc.update_platform(session, person(), platform, data),
                  model=PlatformUpdate,
                  render=lambda: render_template("admin/platforms/form.html", form=form, platform=platform),
                  message=_("The changes to %(code)s were saved.", code=platform.code),
                  then=lambda p: url_for("admin.platform", platform_id=p.id))


def _page(platform, **forms):
    """The platform's admin page, with the forms given (one that was refused, with its errors) or fresh ones."""
    session = get_session()
    candidates = pq.binding_candidates(session, platform.id)
    forms = {**{name: form(formdata=None) for name, (form, _model, _service) in CHANGES.items()},
             **{kind: BindingForm(formdata=None, prefix=kind) for kind in candidates}, **forms}
    for name, (_form, model, _service) in CHANGES.items():
        mark_required(forms[name], model)
    for kind in candidates:
        mark_required(forms[kind], PlatformBinding)
    for kind, people in candidates.items():
        forms[kind].user_id.choices = [("", _("Choose…"))] + [
            (u.id, f"{u.display_name} · {u.email}") for u in people]
    return render_template("admin/platforms/detail.html", platform=platform, forms=forms,
                           bound=pq.bound_people(session, platform.id), candidates=candidates,
                           project_count=pq.project_counts(session, [platform.id]).get(platform.id, 0))


@bp.route("/platforms/<int:platform_id>")
@login_required
def platform(platform_id: int):
    return _page(_platform(platform_id))


def _change(platform, name: str, form, action, message: str, *, model=None, data=None):
    """A change from the platform's page (``name``: its form there): CSRF, the input model, the service, one
    commit, the message and back to the page; a refusal answers the page again with its status."""
    if not form.validate_on_submit():
        return _page(platform, **{name: form}), 422
    session = get_session()
    try:
        action(form_input(form, model, data) if model is not None else None)
        session.commit()
    except REFUSED as exc:
        session.rollback()
        apply_errors(form, exc)
        return _page(platform, **{name: form}), exc.status
    flash(message, "success")
    return redirect(url_for("admin.platform", platform_id=platform.id))


#: the changes made with a form on the platform's page: its form, its input model and the service
CHANGES = {"status": (StatusForm, PlatformStatusChange, platform_svc.change_status),
           "integrity": (IntegrityForm, IntegrityFlagChange, platform_svc.change_integrity_flag),
           "delisting": (DelistingReviewForm, DelistingReviewResolution, delisting.resolve)}


def _platform_change(platform_id: int, name: str, message: str, **data):
    platform = _platform(platform_id)
    form, model, service = CHANGES[name]
    return _change(platform, name, form(), lambda change: service(get_session(), person(), platform, change),
                   message, model=model, data=data)


@bp.route("/platforms/<int:platform_id>/suspend", methods=["POST"])
@login_required
def suspend_platform(platform_id: int):
    return _platform_change(platform_id, "status",
                            _("The platform is suspended; no new project can be registered on it."),
                            status=PlatformStatus.SUSPENDED)


@bp.route("/platforms/<int:platform_id>/reactivate", methods=["POST"])
@login_required
def reactivate_platform(platform_id: int):
    return _platform_change(platform_id, "status", _("The platform is active again."), status=PlatformStatus.ACTIVE)


@bp.route("/platforms/<int:platform_id>/delist", methods=["POST"])
@login_required
def delist_platform(platform_id: int):
    return _platform_change(platform_id, "status", _("The platform is delisted."), status=PlatformStatus.DELISTED)


@bp.route("/platforms/<int:platform_id>/integrity/set", methods=["POST"])
@login_required
def flag_platform(platform_id: int):
    return _platform_change(platform_id, "integrity",
                            _("The integrity flag is set: the platform is not eligible for funding (R6)."), flag=True)


@bp.route("/platforms/<int:platform_id>/integrity/clear", methods=["POST"])
@login_required
def clear_platform_flag(platform_id: int):
    return _platform_change(platform_id, "integrity", _("The integrity flag is cleared."), flag=False)


@bp.route("/platforms/<int:platform_id>/delisting-review/delist", methods=["POST"])
@login_required
def delist_under_review(platform_id: int):
    return _platform_change(platform_id, "delisting", _("The platform is delisted."), decision="delist")


@bp.route("/platforms/<int:platform_id>/delisting-review/clear", methods=["POST"])
@login_required
def clear_delisting_review(platform_id: int):
    return _platform_change(platform_id, "delisting", _("The delisting review is cleared."), decision="clear")


def _bind(platform_id: int, kind: str, message: str):
    platform = _platform(platform_id)
    return _change(platform, kind, BindingForm(prefix=kind),
                   lambda data: accounts.bind(get_session(), person(), platform, kind, data), message,
                   model=PlatformBinding)


def _unbind(platform_id: int, user_id: int, kind: str, message: str):
    platform = _platform(platform_id)
    user = load_user(user_id, need=permissions.can_manage_platforms)
    return _change(platform, kind, BindingForm(prefix=kind),
                   lambda _data: accounts.unbind(get_session(), person(), platform, kind, user),
                   message % {"name": user.display_name})


@bp.route("/platforms/<int:platform_id>/operators", methods=["POST"])
@login_required
def bind_operator(platform_id: int):
    return _bind(platform_id, "operator", _("The operator is bound to the platform."))


@bp.route("/platforms/<int:platform_id>/operators/<int:user_id>/delete", methods=["POST"])
@login_required
def unbind_operator(platform_id: int, user_id: int):
    return _unbind(platform_id, user_id, "operator", _("%(name)s is no longer an operator of the platform."))


@bp.route("/platforms/<int:platform_id>/gatekeepers", methods=["POST"])
@login_required
def bind_gatekeeper(platform_id: int):
    return _bind(platform_id, "gatekeeper", _("The gatekeeper is named for the platform."))


@bp.route("/platforms/<int:platform_id>/gatekeepers/<int:user_id>/delete", methods=["POST"])
@login_required
def unbind_gatekeeper(platform_id: int, user_id: int):
    return _unbind(platform_id, user_id, "gatekeeper", _("%(name)s is no longer a gatekeeper of the platform."))
