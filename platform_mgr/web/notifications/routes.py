"""Notifications in the app (the bell, the list, mark as read) and the calendar feed."""
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ... import permissions
from ...db import get_session
from ...queries import notifications as nq
from ...services import calendar as calendar_service
from ...services import notifications as service
from ..helpers import actor, page_args, require
from .forms import ActionForm

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def inject_unread_count():
    """`unread_notifications()` for the navbar bell: one count query, only when the bell is drawn."""

    def unread_notifications() -> int:
        if "unread_notifications" not in g:
            count = 0
            try:
                if current_user and current_user.is_authenticated:
                    count = service.unread_count(get_session(), current_user.id)
            except Exception:  # noqa: BLE001 - the bell must never break a page (e.g. the database-down page)
                count = 0
            g.unread_notifications = count
        return g.unread_notifications

    return {"unread_notifications": unread_notifications}


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/notifications/")
@login_required
def index():
    require(permissions.can_view_notifications(actor()))
    page, per_page = page_args(25)
    unread_only = request.args.get("unread") in ("1", "true", "yes")
    rows, total = nq.list_notifications(get_session(), current_user.id, page=page, per_page=per_page,
                                        unread_only=unread_only)
    return render_template("notifications/index.html", notifications=rows, total=total, page=page,
                           per_page=per_page, unread_only=unread_only, form=ActionForm())


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    require(permissions.can_view_notifications(actor()))
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    row = service.mark_read(session, current_user._get_current_object(), notification_id)
    session.commit()
    target = _safe_next(request.form.get("next"))
    if request.form.get("open") and row.link:
        target = _safe_next(row.link) or target
    return redirect(target or url_for("notifications.index"))


@bp.route("/notifications/read-all", methods=["POST"])
@login_required
def mark_all_read():
    require(permissions.can_view_notifications(actor()))
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    count = service.mark_all_read(session, current_user._get_current_object())
    session.commit()
    flash(_("%(n)d notifications marked as read.", n=count), "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("notifications.index"))


# --- the calendar feed --------------------------------------------------------------------------------

@bp.route("/calendar")
@login_required
def calendar():
    require(permissions.can_view_notifications(actor()))
    return render_template("notifications/calendar.html", form=ActionForm(), feed_url=None,
                           has_feed=current_user.calendar_token_hash is not None)


def _feed_change():
    """The session and the signed-in user of a change to their own calendar feed (a CSRF-checked POST)."""
    require(permissions.can_view_notifications(actor()))
    if not ActionForm().validate_on_submit():
        abort(400)
    return get_session(), current_user._get_current_object()


@bp.route("/calendar/rotate", methods=["POST"])
@login_required
def rotate_calendar():
    """Make a new feed address and show it once (only its hash is kept); the old address stops working."""
    session, user = _feed_change()
    token = calendar_service.rotate_token(session, user, user)
    session.commit()
    feed_url = url_for("notifications.feed", token=token, _external=True)
    response = Response(render_template("notifications/calendar.html", form=ActionForm(), feed_url=feed_url,
                                        has_feed=True))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/calendar/disable", methods=["POST"])
@login_required
def disable_calendar():
    session, user = _feed_change()
    calendar_service.disable_feed(session, user, user)
    session.commit()
    flash(_("The calendar feed is turned off; its address no longer works."), "info")
    return redirect(url_for("notifications.calendar"))


@bp.route("/calendar/<token>.ics")
def feed(token: str):
    """The feed itself: authenticated by the secret token in the address alone (no session, no cookie)."""
    session = get_session()
    user = calendar_service.user_for_token(session, token)
    if user is None:
        abort(404)
    base_url = request.host_url.rstrip("/")
    body = calendar_service.build_feed(session, user, base_url=base_url)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="platform-mgr.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
