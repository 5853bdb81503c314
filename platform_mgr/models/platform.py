from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import PLATFORM_FIELDS, PLATFORM_ORIGINS, PLATFORM_STATUSES, STAGES, UTCDateTime, in_values, utcnow


class Platform(SQLModel, table=True):
    __tablename__ = "platform"
    __table_args__ = (
        CheckConstraint(in_values("field", PLATFORM_FIELDS), name="field"),
        CheckConstraint(in_values("origin", PLATFORM_ORIGINS), name="origin"),
        CheckConstraint(in_values("status", PLATFORM_STATUSES), name="status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    field: str = Field(max_length=40)
    origin: str = Field(max_length=20)
    host_institution: str = Field(max_length=200)
    status: str = Field(default="active", max_length=20, index=True)
    founded_on: Optional[date] = None
    integrity_flag: bool = Field(default=False)
    integrity_note: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OperatorPlatform(SQLModel, table=True):
    """An operator's binding to a platform they work for."""

    __tablename__ = "operator_platform"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    platform_id: int = Field(foreign_key="platform.id", primary_key=True, ondelete="CASCADE", index=True)


class Gatekeeper(SQLModel, table=True):
    """A reviewer named gatekeeper for a platform: may decide its gate reviews."""

    __tablename__ = "gatekeeper"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    platform_id: int = Field(foreign_key="platform.id", primary_key=True, ondelete="CASCADE", index=True)


class GateTemplateItem(SQLModel, table=True):
    """A must-meet milestone copied onto a project entering `stage`.

    Rows with platform_id NULL are the programme defaults; a platform's own rows replace them.
    """

    __tablename__ = "gate_template_item"
    __table_args__ = (
        CheckConstraint(in_values("stage", STAGES), name="stage"),
        UniqueConstraint("platform_id", "stage", "position"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    platform_id: Optional[int] = Field(default=None, foreign_key="platform.id", ondelete="CASCADE", index=True)
    stage: str = Field(max_length=2)
    position: int = Field(default=0)
    title_zh: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    deliverable_zh: str = Field(default="", max_length=500)
    deliverable_en: str = Field(default="", max_length=500)
    due_days: int = Field(default=90)  # default due date offset from entering the stage
