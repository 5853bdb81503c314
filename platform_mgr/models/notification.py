from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel

from .base import UTCDateTime, utcnow


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_recipient_read", "recipient_id", "read_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=40)
    subject_zh: str = Field(max_length=300)
    subject_en: str = Field(max_length=300)
    body_zh: str = Field(default="", sa_type=Text)
    body_en: str = Field(default="", sa_type=Text)
    link: str = Field(default="", max_length=300)
    dedup_key: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    read_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    sent_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)  # e-mail delivered


class OutboxMail(SQLModel, table=True):
    """E-mail waiting to go out; retried until SMTP accepts it."""

    __tablename__ = "outbox_mail"
    id: Optional[int] = Field(default=None, primary_key=True)
    notification_id: Optional[int] = Field(default=None, foreign_key="notification.id", ondelete="CASCADE", unique=True)
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=400)
    body: str = Field(sa_type=Text)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    sent_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime, index=True)
    last_error: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SchedulerLease(SQLModel, table=True):
    """Leader lease for the scheduler on engines without advisory locks (SQLite)."""

    __tablename__ = "scheduler_lease"
    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=120)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class JobRun(SQLModel, table=True):
    """One scheduler tick: when it ran, for which instant, and what it did."""

    __tablename__ = "job_run"
    id: Optional[int] = Field(default=None, primary_key=True)
    job: str = Field(max_length=40, index=True)
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    finished_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # the instant the tick ran for
    summary: dict = Field(default_factory=dict, sa_type=JSON)
