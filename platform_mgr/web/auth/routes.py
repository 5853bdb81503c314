from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...db import get_session
from ...domain.throttle import ThrottleRules
from ...enums import SessionEnd, SignInMethod
from ...errors import AppError, Forbidden, TooManyRequests
from ...services import audit, auth, sessions, users
from ..helpers import apply_errors
from .blueprint import bp
from .forms import ChangePasswordForm, SignInForm
from .directory import login_page
from .signin import complete_sign_in, end_sign_in



@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        session = get_session()
        try:
            user = auth.authenticate(session, form.email.data, form.password.data, request.remote_addr or "",
                                     rules=ThrottleRules.from_config(current_app.config))
        except (TooManyRequests, Forbidden) as exc:
            session.rollback()
            flash(str(exc.message), "danger")
            return login_page(form, status=exc.status, headers=getattr(exc, "headers", {}))
        if user is not None:
            answer = complete_sign_in(session, user, method=SignInMethod.PASSWORD, remember=bool(form.remember.data),
                                      next_url=request.args.get("next"))
            session.commit()
            return answer
        session.commit()  # the failed attempt is counted
        form.password.errors = [_("E-mail or password is not correct.")]
        status = 401
    elif request.method == "POST":
        status = 422
    else:  # after an invitation or a reset the page knows who signs in next
        form.email.data = (request.args.get("email") or "")[:254]
    return login_page(form, status=status)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        session = get_session()
        user = current_user._get_current_object()
        audit.record(session, user, "user", user.id, "sign_out", None, {"session": user.session_id})
        end_sign_in(session, user)
        session.commit()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        session = get_session()
        user = current_user._get_current_object()
        try:
            users.change_password(session, user, user, form.current_password.data, form.new_password.data)
        except AppError as exc:
            session.rollback()
            apply_errors(form, exc)
            return render_template("auth/password.html", form=form), exc.status
        session.commit()
        flash(_("Your password has been changed. Other sessions have been signed out."), "success")
        return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form), (422 if request.method == "POST" else 200)


from . import account  # noqa: E402,F401  (invitations, password resets and API tokens register on bp)
from . import directory  # noqa: E402,F401  (LDAP and OpenID Connect sign-in register on bp)
