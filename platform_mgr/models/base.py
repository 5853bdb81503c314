"""Shared column types, the mixins of timestamped and versioned tables, and the metadata naming convention."""
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.orm import declared_attr
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from .. import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def utcnow() -> datetime:
    """The current instant (aware UTC), read from the one clock (`platform_mgr.clock`)."""
    return clock.now()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on every engine; SQLite (no zone support) stores naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store timezone-aware UTC times")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class EnumText(TypeDecorator):
    """A string column holding the values of one of `platform_mgr.enums`; rows load enum members, so
    ``project.stage.label(lang)`` and the ``|label`` filter work on what a query returns. Stored as
    VARCHAR(length); a CHECK constraint (``Enum.check(column)``) keeps it inside the values."""

    impl = String
    cache_ok = True

    def __init__(self, enum: Any, length: int):
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value, dialect):
        return None if value is None else str(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return self.enum(value)
        except ValueError:  # a value the CHECK constraint let through on an older schema: keep the text
            return value

    @property
    def python_type(self):
        return self.enum


def enum_field(enum: Any, length: int, **kwargs: Any) -> Any:
    """A model field stored as one of ``enum``'s values."""
    return Field(sa_type=EnumText(enum, length), **kwargs)


class Updated(SQLModel):
    """updated_at, set on every UPDATE of the row by the ORM (never by hand in services)."""

    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False,
                                 sa_column_kwargs={"onupdate": utcnow})


class Timestamped(Updated):
    """created_at once, and updated_at on every UPDATE."""

    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Versioned(SQLModel):
    """An optimistic version: every UPDATE checks and bumps it (SQLAlchemy's version_id_col), so a write that
    read an older version fails instead of overwriting (the services turn that into 409)."""

    version: int = Field(default=1, nullable=False)

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}
