"""API models of notifications (they also document /api/openapi.json)."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from pydantic import BaseModel


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
    created_at: datetime
    read: bool
    read_at: Optional[datetime]
    emailed_at: Optional[datetime]


class MarkedRead(BaseModel):
    marked: int
    unread: int
