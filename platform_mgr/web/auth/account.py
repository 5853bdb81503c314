"""The pages a person reaches from a mailed link (choose a first password, reset a forgotten one), the request
for a reset, and their own API tokens (DESIGN §9)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import permissions
from ...db import get_session
from ...enums import LinkPurpose
from ...errors import AppError, TooManyRequests
from ...inputs.accounts import ForgotPassword, NewPassword, TokenCreate
from ...loaders import load_token, person, signed_in
from ...queries import accounts as aq
from ...services import accounts, auth, users
from ..helpers import act, page_args, require, submit
from .forms import ForgotPasswordForm, NewPasswordForm, TokenForm
from .blueprint import bp


def _delivery() -> accounts.Delivery:
    return accounts.delivery(current_app.config)


def _link_page(token: str, purpose: LinkPurpose, action, message: str):
    """An invitation or reset page: the form while the link is live, else why it is not (404 / 410)."""
    session = get_session()
    try:
        link = accounts.live_link(session, token, purpose)
        user = accounts.link_user(session, link)
    except AppError as exc:
        session.rollback()
        return render_template("auth/link_refused.html", message=exc.message), exc.status
    form = NewPasswordForm()
    return submit(form, lambda data: action(session, token, data),
                  render=lambda: render_template("auth/choose_password.html", form=form, user=user, purpose=purpose,
                                                 directory_only=auth.directory_only(session, user.role)),
                  model=NewPassword, message=message,
                  then=lambda chosen: url_for("auth.login", email=chosen.email))


@bp.route("/account/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    return _link_page(token, LinkPurpose.INVITATION, accounts.accept_invitation,
                      _("Your password is set. Sign in with your e-mail address and it."))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    return _link_page(token, LinkPurpose.RESET, accounts.reset_password,
                      _("Your password has been reset and every browser signed in as you was signed out. "
                        "Sign in with the new password."))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    by_mail = _delivery().by_mail
    render = lambda: render_template("auth/forgot.html", form=form, by_mail=by_mail)  # noqa: E731
    session = get_session()
    try:
        return submit(form, lambda data: accounts.request_reset(session, data, request.remote_addr or "", _delivery()),
                      render=render, model=ForgotPassword, done=lambda _none: (
                          render_template("auth/forgot_sent.html", by_mail=by_mail), 200))
    except TooManyRequests as exc:
        session.rollback()
        flash(str(exc.message), "danger")
        return render(), exc.status


# --- API tokens ------------------------------------------------------------------------------------------

@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    require(permissions.can_manage_own_tokens(signed_in()))
    user = person()
    session = get_session()
    form = TokenForm()
    page, per_page = page_args(25)

    def render(created=None, secret=None):
        rows, total = aq.tokens(session, user_id=user.id, page=page, per_page=per_page)
        return render_template("auth/tokens.html", form=form, rows=rows, total=total, page=page, per_page=per_page,
                               created=created, secret=secret)

    return submit(form, lambda data: users.issue_token(session, user, user, data), render=render, model=TokenCreate,
                  done=lambda made: (render(*made), 201))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    row = load_token(token_id, need=permissions.can_revoke_token)
    session = get_session()
    return act(lambda: users.revoke_token(session, person(), row),
               message=_("The token %(prefix)s is revoked: it no longer opens the API.", prefix=row.prefix),
               back=request.form.get("back") if request.form.get("back") == url_for("admin.tokens")
               else url_for("auth.tokens"))
