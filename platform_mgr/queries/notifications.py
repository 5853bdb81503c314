"""Read side of notifications: a user's own, newest first, paginated (two queries)."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import Notification


def list_notifications(session: Session, user_id: int, *, page: int = 1, per_page: int = 25,
                       unread_only: bool = False) -> tuple[list[Notification], int]:
    conditions = [Notification.recipient_id == user_id]
    if unread_only:
        conditions.append(Notification.read_at.is_(None))
    total = session.exec(select(func.count(Notification.id)).where(*conditions)).one()
    rows = session.exec(select(Notification).where(*conditions)
                        .order_by(Notification.created_at.desc(), Notification.id.desc())
                        .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), int(total)
