from datetime import date
from typing import Optional

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..enums import PlatformField, PlatformOrigin, PlatformStatus, Role, Stage
from .base import Timestamped, enum_field


class Platform(Timestamped, table=True):
    __tablename__ = "platform"
    __table_args__ = (
        CheckConstraint(PlatformField.check("field"), name="field"),
        CheckConstraint(PlatformOrigin.check("origin"), name="origin"),
        CheckConstraint(PlatformStatus.check("status"), name="status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True, index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    field: PlatformField = enum_field(PlatformField, 40)
    origin: PlatformOrigin = enum_field(PlatformOrigin, 20)
    host_institution: str = Field(max_length=200)  # the host institution's name (§17: stays readable)
    institution_id: Optional[int] = Field(default=None, foreign_key="institution.id", ondelete="SET NULL", index=True)
    status: PlatformStatus = enum_field(PlatformStatus, 20, default=PlatformStatus.ACTIVE, index=True)
    status_reason: str = Field(default="", max_length=2000)  # why it was suspended or delisted
    founded_on: Optional[date] = None
    integrity_flag: bool = Field(default=False)
    integrity_note: str = Field(default="", max_length=2000)
    # DESIGN §4: two consecutive Fails mark the platform for delisting review until an admin resolves it;
    # the cycle whose close marked it
    delisting_review: bool = Field(default=False)
    delisting_review_cycle_id: Optional[int] = Field(default=None, foreign_key="review_cycle.id", ondelete="SET NULL")


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


#: the ways a person is bound to a platform: its table, and the role of the people it binds (DESIGN §2, §3)
BINDINGS: dict[str, tuple[type[SQLModel], Role]] = {
    "operator": (OperatorPlatform, Role.OPERATOR),
    "gatekeeper": (Gatekeeper, Role.REVIEWER),
}


class GateTemplateItem(SQLModel, table=True):
    """A must-meet milestone copied onto a project entering `stage`.

    Rows with platform_id NULL are the programme defaults; a platform's own rows replace them.
    """

    __tablename__ = "gate_template_item"
    __table_args__ = (
        CheckConstraint(Stage.check("stage"), name="stage"),
        UniqueConstraint("platform_id", "stage", "position"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    platform_id: Optional[int] = Field(default=None, foreign_key="platform.id", ondelete="CASCADE", index=True)
    stage: Stage = enum_field(Stage, 2)
    position: int = Field(default=0)
    title_zh: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    deliverable_zh: str = Field(default="", max_length=500)
    deliverable_en: str = Field(default="", max_length=500)
    due_days: int = Field(default=90)  # default due date offset from entering the stage
