"""/admin/sign-in: which directories this installation signs people in through (from the environment), and the
roles that must use one (DESIGN §9). Admins only; the rule is ``services.directory.update_policy``.
/admin/sign-in/throttles: the (account, address) pairs delayed and the addresses blocked by sign-in throttling,
each with a button that lifts it (``services.auth.lift_throttle``)."""
from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, SubmitField, widgets
from wtforms.validators import Optional

from ... import clock, permissions
from ...db import get_session
from ...domain.throttle import ThrottleRules
from ...enums import Role
from ...i18n import enum_choices
from ...inputs.accounts import SignInPolicyUpdate
from ...loaders import person
from ...models import SignInPolicy
from ...queries import sign_in as sq
from ...services import auth, directory
from ..helpers import act, actor, require, submit
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


@bp.route("/sign-in/throttles")
@login_required
def sign_in_throttles():
    require(permissions.can_manage_sign_in(actor()))
    session = get_session()
    rules, now = ThrottleRules.from_config(current_app.config), clock.now()
    return render_template("admin/sign_in_throttles.html", rules=rules, now=now, limit=sq.LIMIT,
                           pairs=sq.delayed_pairs(session, rules, now), blocked=sq.blocked_addresses(session, rules, now))


@bp.route("/sign-in/throttles/lift", methods=["POST"])
@login_required
def lift_sign_in_throttle():
    """Lift the delay of ``?account=&address=``, or with no account the block of ``?address=``."""
    require(permissions.can_manage_sign_in(actor()))
    address, account = request.args.get("address", ""), request.args.get("account") or None
    if account is None:
        message = _("The block of %(address)s was lifted.", address=address)
    else:
        message = _("The delay of %(account)s from %(address)s was lifted.", account=account, address=address)
    return act(lambda: auth.lift_throttle(get_session(), person(), address, account), message=message,
               back=url_for("admin.sign_in_throttles"))
