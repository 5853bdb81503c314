"""Shared column types and the metadata naming convention."""
from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

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


def in_values(column: str, values) -> str:
    """SQL text for a CHECK that keeps a string enum column inside its values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


# enumerations stored as strings (DESIGN §2)
PLATFORM_FIELDS = ("bci", "silicon_photonics", "fourth_gen_semiconductors", "cell_gene_therapy", "ic_materials", "other")
PLATFORM_ORIGINS = ("top_down", "bottom_up")
PLATFORM_STATUSES = ("active", "suspended", "delisted")
ROLES = ("operator", "reviewer", "admin")
SELECTION_MODES = ("open_call", "horse_race", "direct")
STAGES = ("S0", "S1", "S2", "S3", "S4")
PROJECT_STATUSES = ("active", "on_hold", "killed", "transferred", "withdrawn")
MILESTONE_STATUSES = ("planned", "in_progress", "done", "waived")
DECISIONS = ("go", "conditional_go", "hold", "recycle", "kill")
OUTCOME_KINDS = ("licence", "assignment", "equity", "spinout", "follow_on_investment", "contract")
CYCLE_STATES = ("draft", "open", "closed", "published")
REVIEW_STATES = ("not_started", "draft", "submitted")
DIMENSIONS = ("verification", "service", "operating")
