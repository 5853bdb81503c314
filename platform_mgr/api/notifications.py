"""The caller's own notifications: list (paginated, newest first) and mark as read."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from .. import permissions
from ..db import get_session
from ..errors import Invalid
from ..i18n import pick
from ..queries import notifications as q
from ..services import notifications as svc
from . import serialise
from .core import commit, current_actor, current_user_obj, page_params, paginated, require, route
from .notifications_schemas import MarkedRead, NotificationOut


def _out(n) -> dict:
    return {
        "id": n.id, "kind": n.kind, "subject": pick(n.subject_zh, n.subject_en), "body": pick(n.body_zh, n.body_en),
        "subject_zh": n.subject_zh, "subject_en": n.subject_en, "body_zh": n.body_zh, "body_en": n.body_en,
        "link": n.link, "created_at": serialise.iso(n.created_at), "read": n.read_at is not None,
        "read_at": serialise.iso(n.read_at), "emailed_at": serialise.iso(n.sent_at),
    }


def _unread_arg() -> bool:
    raw = (request.args.get("unread") or "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise Invalid(_l("Please correct the marked fields."), fields={"unread": _l("Enter true or false.")})


@route("/notifications", ["GET"], summary="The caller's notifications, newest first", response=NotificationOut,
       paginated=True, query={"unread": "true: only unread ones"})
def notifications_list():
    require(permissions.can_view_notifications(current_actor()))
    page, per_page = page_params()
    unread_only = _unread_arg()
    rows, total = q.list_notifications(get_session(), current_user_obj().id, page=page, per_page=per_page,
                                       unread_only=unread_only)
    return paginated([_out(n) for n in rows], page, per_page, total)


@route("/notifications/<int:notification_id>/read", ["POST"], summary="Mark one of the caller's notifications read",
       response=NotificationOut, endpoint="notifications_mark_read")
def notifications_mark_read(notification_id: int):
    require(permissions.can_view_notifications(current_actor()))
    row = svc.mark_read(get_session(), current_user_obj(), notification_id)
    commit()
    return jsonify(_out(row))


@route("/notifications/read-all", ["POST"], summary="Mark all the caller's notifications read", response=MarkedRead,
       endpoint="notifications_mark_all_read")
def notifications_mark_all_read():
    require(permissions.can_view_notifications(current_actor()))
    session = get_session()
    marked = svc.mark_all_read(session, current_user_obj())
    commit()
    return jsonify({"marked": marked, "unread": svc.unread_count(session, current_user_obj().id)})
