"""/admin/users: list, invite, edit, deactivate / reactivate, send links; /admin/tokens: every API token
(DESIGN §9). Admins only; the rules are in `services.accounts`, the input models in `inputs.accounts`."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ... import permissions
from ...db import get_session
from ...enums import LinkPurpose, Role
from ...errors import AppError
from ...inputs.accounts import UserInvite, UserUpdate
from ...loaders import load_user, person
from ...queries import accounts as aq
from ...services import accounts, links
from ..helpers import actor, page_args, require, submit
from .blueprint import bp
from .user_forms import InviteForm, UserForm


def _delivery() -> accounts.Delivery:
    return accounts.delivery(current_app.config)


def _address(purpose: LinkPurpose, token: str) -> str:
    """A link's full address: under BASE_URL when it is set, else under the address this request came to."""
    base = _delivery().base_url or request.host_url.rstrip("/")
    return base + links.link_path(purpose, token)


def _link_shown(user, purpose: LinkPurpose, token: str):
    """The page that shows a link once (no mail is sent by this installation), with a copy button."""
    return render_template("admin/users/link.html", user=user, purpose=purpose,
                           address=_address(purpose, token)), 201


@bp.route("/users")
@login_required
def users():
    require(permissions.can_manage_users(actor()))
    page, per_page = page_args(25)
    q = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role") if request.args.get("role") in Role.values() else None
    state = request.args.get("state") if request.args.get("state") in aq.STATES else None
    rows, total = aq.list_users(get_session(), q=q, role=role, state=state, page=page, per_page=per_page)
    return render_template("admin/users/index.html", rows=rows, total=total, page=page, per_page=per_page,
                           filters={"q": q, "role": role or "", "state": state or ""}, states=aq.STATES)


def _with_choices(form) -> None:
    choices = aq.platform_choices(get_session())
    form.operator_platforms.choices = choices
    form.gatekeeper_platforms.choices = choices


@bp.route("/users/invite", methods=["GET", "POST"])
@login_required
def invite():
    require(permissions.can_manage_users(actor()))
    session = get_session()
    form = InviteForm()
    _with_choices(form)

    def done(result):
        user, token = result
        if token is None:
            flash(_("The invitation was mailed to %(email)s; the link works for 72 hours.", email=user.email),
                  "success")
            return redirect(url_for("admin.user", user_id=user.id))
        return _link_shown(user, LinkPurpose.INVITATION, token)

    return submit(form, lambda data: accounts.invite_user(session, person(), data, _delivery()), model=UserInvite,
                  render=lambda: render_template("admin/users/invite.html", form=form,
                                                 by_mail=_delivery().by_mail), done=done)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int):
    target = load_user(user_id)
    session = get_session()
    form = UserForm(obj=target, data=aq.bindings(session, target.id) if request.method != "POST" else None)
    _with_choices(form)

    def render():
        tokens, token_total = aq.tokens(session, user_id=target.id, page=1, per_page=50)
        return render_template("admin/users/detail.html", target=target, form=form, tokens=tokens,
                               token_total=token_total, sessions=aq.open_sessions(session, target.id),
                               invitation=aq.invitation_pending(session, target.id), by_mail=_delivery().by_mail)

    return submit(form, lambda data: accounts.update_user(session, person(), target, data), model=UserUpdate,
                  render=render, message=_("The changes to %(name)s were saved.", name=target.display_name),
                  then=lambda u: url_for("admin.user", user_id=u.id))


def _action(user_id: int, change, message: str, purpose: LinkPurpose | None = None):
    """A button on a user's page: change, commit once, and go back — or show the link made (``purpose``)."""
    from flask_wtf import FlaskForm

    target = load_user(user_id)
    back = url_for("admin.user", user_id=target.id)
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired. Please try again."), "danger")
        return redirect(back)
    session = get_session()
    try:
        token = change(session, person(), target)
        session.commit()
    except AppError as exc:
        session.rollback()
        flash(str(exc.message), "danger")
        return redirect(back)
    if purpose is not None and token:
        return _link_shown(target, purpose, token)
    flash(message % {"name": target.display_name, "email": target.email}, "success")
    return redirect(back)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@login_required
def deactivate(user_id: int):
    return _action(user_id, lambda s, who, u: accounts.deactivate(s, who, u) and None,
                   _("%(name)s is deactivated: their sessions ended and their API tokens were revoked."))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@login_required
def reactivate(user_id: int):
    return _action(user_id, lambda s, who, u: accounts.reactivate(s, who, u) and None,
                   _("%(name)s can sign in again."))


@bp.route("/users/<int:user_id>/invitation", methods=["POST"])
@login_required
def resend_invitation(user_id: int):
    return _action(user_id, lambda s, who, u: accounts.resend_invitation(s, who, u, _delivery()),
                   _("A new invitation was mailed to %(email)s; the earlier link no longer works."),
                   purpose=LinkPurpose.INVITATION)


@bp.route("/users/<int:user_id>/reset", methods=["POST"])
@login_required
def send_reset(user_id: int):
    return _action(user_id, lambda s, who, u: accounts.send_reset(s, who, u, _delivery()),
                   _("A password reset link was mailed to %(email)s; it works for one hour."),
                   purpose=LinkPurpose.RESET)


@bp.route("/tokens")
@login_required
def tokens():
    require(permissions.can_manage_users(actor()))
    page, per_page = page_args(50)
    live_only = request.args.get("live") == "1"
    rows, total = aq.tokens(get_session(), live_only=live_only, page=page, per_page=per_page)
    return render_template("admin/tokens.html", rows=rows, total=total, page=page, per_page=per_page,
                           live_only=live_only)
