from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from .base import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained record of every change (``hash``: HMAC under the audit key, services/audit.py)."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    actor_label: str = Field(default="", max_length=254)  # e-mail or "system"; survives user deletion
    entity_type: str = Field(max_length=40)
    entity_id: Optional[int] = None
    action: str = Field(max_length=40)
    before: Optional[dict] = Field(default=None, sa_type=JSON)
    after: Optional[dict] = Field(default=None, sa_type=JSON)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    legacy_hash: Optional[str] = Field(default=None, max_length=64)  # the first release's unkeyed SHA-256


class AuditHead(SQLModel, table=True):
    """A single row holding the chain's last hash; updating it serialises appends on every engine."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    last_event_id: Optional[int] = None
    last_hash: str = Field(max_length=64)
