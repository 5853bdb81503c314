"""/admin/sign-in: which directories this installation signs people in through (from the environment), and the
roles that must use one (DESIGN §9). Admins only; the rule is ``services.directory.update_policy``."""
from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, SubmitField, widgets
from wtforms.validators import Optional

from ... import permissions
from ...db import get_session
from ...enums import Role
from ...i18n import enum_choices
from ...inputs.accounts import SignInPolicyUpdate
from ...loaders import person
from ...models import SignInPolicy
from ...services import directory
from ..helpers import actor, require, submit
from .blueprint import bp


class SignInPolicyForm(FlaskForm):
    directory_roles = SelectMultipleField(
        _l("Roles that must sign in through the directory"), choices=enum_choices(Role), validators=[Optional()],
        option_widget=widgets.CheckboxInput(),
        description=_l("Their local passwords are refused; they sign in with LDAP or the identity provider."))
    version = HiddenField()
    submit = SubmitField(_l("Save"))


@bp.route("/sign-in", methods=["GET", "POST"])
@login_required
def sign_in():
    require(permissions.can_manage_sign_in(actor()))
    session = get_session()
    config = current_app.config
    ldap = directory.LdapSettings.from_config(config)
    oidc = directory.OidcSettings.from_config(config)
    row = session.get(SignInPolicy, 1)  # read only: the first save makes the row (at version 1)
    form = SignInPolicyForm(data=None if request.method == "POST" else {
        "directory_roles": list(row.directory_roles or []) if row else [], "version": row.version if row else 1})
    return submit(form, lambda data: directory.update_policy(session, person(), data, configured=bool(ldap or oidc)),
                  model=SignInPolicyUpdate, message=_("The sign-in policy was saved."),
                  render=lambda: render_template("admin/sign_in.html", form=form, ldap=ldap, oidc=oidc),
                  then=lambda _row: url_for("admin.sign_in"))
