"""/admin/institutions: list and search, create, edit, merge (DESIGN §10). Admins only; the rules are in
`services.institutions`, the input models in `inputs.institutions`. A refusal answers the page again with the
form's errors and its status: 422 (the input), 409 (a name or credit code another institution has)."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ... import permissions
from ...db import get_session
from ...inputs.institutions import InstitutionCreate, InstitutionMerge, InstitutionUpdate
from ...loaders import person
from ...queries import institutions as iq
from ...services import institutions as svc
from ..helpers import actor, page_args, require, submit
from .blueprint import bp
from .institution_forms import InstitutionForm, MergeForm, alias_lines


def _institution(institution_id: int):
    require(permissions.can_manage_institutions(actor()))
    return iq.get_institution_or_404(get_session(), institution_id)


def _choices(form, field: str, exclude_id: int | None, empty: str) -> None:
    getattr(form, field).choices = [("", empty)] + [
        (i.id, i.name_zh + (f" · {i.name_en}" if i.name_en else ""))
        for i in iq.all_institutions(get_session()) if i.id != exclude_id]


@bp.route("/institutions")
@login_required
def institutions():
    require(permissions.can_manage_institutions(actor()))
    page, per_page = page_args(25)
    q = (request.args.get("q") or "").strip()[:100]
    rows, counts, total = iq.list_institutions(get_session(), q=q, page=page, per_page=per_page)
    return render_template("admin/institutions/index.html", rows=rows, counts=counts, total=total, page=page,
                           per_page=per_page, filters={"q": q})


@bp.route("/institutions/new", methods=["GET", "POST"])
@login_required
def new_institution():
    require(permissions.can_manage_institutions(actor()))
    session = get_session()
    form = InstitutionForm()
    _choices(form, "parent_id", None, _("None"))
    return submit(form, lambda data: svc.create_institution(session, person(), data), model=InstitutionCreate,
                  data={"aliases": alias_lines(form.aliases.data)},
                  render=lambda: render_template("admin/institutions/form.html", form=form, institution=None),
                  message=_("The institution was created."),
                  then=lambda i: url_for("admin.institution", institution_id=i.id))


def _detail(institution, form, merge_form):
    session = get_session()
    return render_template("admin/institutions/form.html", form=form, merge_form=merge_form,
                           institution=institution, counts=iq.reference_counts(session, [institution.id])[institution.id],
                           parent=session.get(type(institution), institution.parent_id) if institution.parent_id else None)


@bp.route("/institutions/<int:institution_id>", methods=["GET", "POST"])
@login_required
def institution(institution_id: int):
    institution = _institution(institution_id)
    session = get_session()
    form = InstitutionForm(obj=institution if request.method != "POST" else None)
    if request.method != "POST":
        form.aliases.data = "\n".join(institution.aliases)
        form.credit_code.data = institution.credit_code or ""
    _choices(form, "parent_id", institution.id, _("None"))
    merge_form = MergeForm(formdata=None)
    _choices(merge_form, "into_id", institution.id, _("Choose…"))
    return submit(form, lambda data: svc.update_institution(session, person(), institution, data),
                  model=InstitutionUpdate, data={"aliases": alias_lines(form.aliases.data)},
                  render=lambda: _detail(institution, form, merge_form),
                  message=_("The changes to %(name)s were saved.", name=institution.name_zh),
                  then=lambda i: url_for("admin.institution", institution_id=i.id))


@bp.route("/institutions/<int:institution_id>/merge", methods=["POST"])
@login_required
def merge_institution(institution_id: int):
    institution = _institution(institution_id)
    session = get_session()
    name = institution.name_zh
    form = InstitutionForm(formdata=None, obj=institution)
    form.aliases.data = "\n".join(institution.aliases)
    _choices(form, "parent_id", institution.id, _("None"))
    merge_form = MergeForm()
    _choices(merge_form, "into_id", institution.id, _("Choose…"))
    return submit(merge_form, lambda data: svc.merge_institution(session, person(), institution, data),
                  model=InstitutionMerge, render=lambda: _detail(institution, form, merge_form),
                  message=_("%(name)s was merged.", name=name),
                  then=lambda i: url_for("admin.institution", institution_id=i.id))
