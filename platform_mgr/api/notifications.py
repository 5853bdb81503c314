"""The caller's own notifications: list (paginated, newest first) and mark as read."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from .. import permissions
from ..db import get_session
from ..i18n import pick
from ..loaders import require
from ..queries import notifications as q
from ..services import notifications as svc
from .core import commit, current_actor, current_user_obj
from .schemas import Instant
from .spec import PageQuery, endpoint, page_of


class NotificationQuery(PageQuery):
    model_config = ConfigDict(extra="ignore")

    unread: bool = Field(default=False, description="true: only unread ones")


class NotificationOut(BaseModel):
    id: int
    kind: str
    subject: str  # in the caller's language
    body: str
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str
    link: str
    created_at: Instant
    read: bool
    read_at: Optional[Instant]
    emailed_at: Optional[Instant]

    @classmethod
    def of(cls, n) -> NotificationOut:
        return cls(id=n.id, kind=n.kind, subject=pick(n.subject_zh, n.subject_en), body=pick(n.body_zh, n.body_en),
                   subject_zh=n.subject_zh, subject_en=n.subject_en, body_zh=n.body_zh, body_en=n.body_en,
                   link=n.link, created_at=n.created_at, read=n.read_at is not None, read_at=n.read_at,
                   emailed_at=n.sent_at)


class MarkedRead(BaseModel):
    marked: int
    unread: int


def _may_read(**_path) -> None:
    require(permissions.can_view_notifications(current_actor()))


@endpoint("/notifications", resp=NotificationOut, paginated=True, authorise=_may_read)
def notifications_list(query: NotificationQuery):
    """The caller's notifications, newest first"""
    rows, total = q.list_notifications(get_session(), current_user_obj().id, page=query.page,
                                       per_page=query.per_page, unread_only=query.unread)
    return page_of((NotificationOut.of(n) for n in rows), query, total)


@endpoint("/notifications/<int:notification_id>/read", "POST", resp=NotificationOut,
          name="notifications_mark_read", authorise=_may_read)
def notifications_mark_read(notification_id: int):
    """Mark one of the caller's notifications read"""
    row = svc.mark_read(get_session(), current_user_obj(), notification_id)
    commit()
    return NotificationOut.of(row)


@endpoint("/notifications/read-all", "POST", resp=MarkedRead, name="notifications_mark_all_read",
          authorise=_may_read)
def notifications_mark_all_read():
    """Mark all the caller's notifications read"""
    session = get_session()
    marked = svc.mark_all_read(session, current_user_obj())
    commit()
    return MarkedRead(marked=marked, unread=svc.unread_count(session, current_user_obj().id))
