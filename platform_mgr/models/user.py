from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint
from sqlmodel import Field, SQLModel

from ..enums import Language, Role
from .base import UTCDateTime, enum_field, utcnow


class User(SQLModel, table=True):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(Role.check("role"), name="role"),
        CheckConstraint(Language.check("preferred_lang"), name="preferred_lang"),
        CheckConstraint("max_load IS NULL OR max_load >= 1", name="max_load"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)  # stored lower-case
    display_name: str = Field(max_length=120)
    role: Role = enum_field(Role, 20, index=True)
    affiliation: str = Field(default="", max_length=200)  # the institution's name as given (§17: stays readable)
    institution_id: Optional[int] = Field(default=None, foreign_key="institution.id", ondelete="SET NULL", index=True)
    expertise: list[str] = Field(default_factory=list, sa_type=JSON)  # platform fields (enums.PlatformField, §10)
    max_load: Optional[int] = Field(default=None)  # the most assignments per cycle (§10); None: no cap
    password_hash: str = Field(default="", max_length=255)  # empty: no local password (invited, or directory only)
    active: bool = Field(default=True)
    preferred_lang: Language = enum_field(Language, 12, default=Language.ZH)
    calendar_token_hash: Optional[str] = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_login_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """Flask-Login's id of this signed-in browser: the key of its server session (``services.sessions``),
        never the user id, so ending the session on the server ends the cookie too."""
        key = self.__dict__.get("_session_key")
        if not key:
            raise RuntimeError("no server session is bound to this user (services.sessions.start)")
        return key

    def bind_session(self, key: str, session_id: int) -> None:
        """Attach the server session this request runs in (not a column)."""
        object.__setattr__(self, "_session_key", key)
        object.__setattr__(self, "_session_id", session_id)

    @property
    def session_id(self) -> int | None:
        return self.__dict__.get("_session_id")

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_reviewer(self) -> bool:
        return self.role == "reviewer"

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    @property
    def is_finance(self) -> bool:
        return self.role == "finance"

    @property
    def is_applicant(self) -> bool:
        return self.role == "applicant"


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)
    label: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


#: the kinds of ``LoginAttempt``
SIGN_IN, RESET = "sign_in", "reset"


class LoginAttempt(SQLModel, table=True):
    """Failed sign-ins (kind ``sign_in``) and password-reset requests (``reset``), kept in the database so
    throttling holds across workers and hosts."""

    __tablename__ = "login_attempt"
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(default="sign_in", max_length=12, index=True)
    email: str = Field(max_length=254, index=True)
    address: str = Field(max_length=64, index=True)
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
