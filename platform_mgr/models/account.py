"""Accounts beyond the user row: web sessions kept on the server, single-use links (invitations and password
resets), identities from a directory, and which roles must sign in through the directory (DESIGN §9)."""
from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..enums import Directory, LinkPurpose, SessionEnd, SignInMethod
from .base import UTCDateTime, Updated, Versioned, enum_field, utcnow


class UserSession(SQLModel, table=True):
    """One signed-in browser. The cookie carries a random key; only its SHA-256 is stored. The session ends on
    the server (``ended_at``) at sign-out, after ``SESSION_IDLE_MINUTES`` without a request, and when the
    user's password changes or is reset or the account is deactivated — the cookie then signs nobody in."""

    __tablename__ = "user_session"
    __table_args__ = (
        CheckConstraint(SignInMethod.check("method"), name="method"),
        CheckConstraint(SessionEnd.check("end_reason"), name="end_reason"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    key_hash: str = Field(max_length=64, unique=True)
    method: SignInMethod = enum_field(SignInMethod, 12, default=SignInMethod.PASSWORD)
    remember: bool = Field(default=False)
    address: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    ended_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime, index=True)
    end_reason: Optional[SessionEnd] = enum_field(SessionEnd, 20, default=None, nullable=True)


class AccountLink(SQLModel, table=True):
    """A single-use link mailed to a person: an invitation (72 h) or a password reset (1 h).

    The link's secret is derived from the app's SECRET_KEY and ``salt`` (``services.accounts``), so the mail
    outbox stores a placeholder rather than the secret, and the table only its SHA-256: someone who reads the
    database cannot follow a link. A new link of the same purpose revokes the older ones."""

    __tablename__ = "account_link"
    __table_args__ = (CheckConstraint(LinkPurpose.check("purpose"), name="purpose"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    purpose: LinkPurpose = enum_field(LinkPurpose, 12)
    salt: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    created_by_id: Optional[int] = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class ExternalIdentity(SQLModel, table=True):
    """A directory identity linked to an account an admin created: matched on a verified e-mail the first time,
    then on (provider, subject). It never creates an account or changes a role."""

    __tablename__ = "external_identity"
    __table_args__ = (
        CheckConstraint(Directory.check("provider"), name="provider"),
        UniqueConstraint("provider", "subject"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    provider: Directory = enum_field(Directory, 12)
    subject: str = Field(max_length=255)
    email: str = Field(default="", max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_used_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class SignInPolicy(Updated, Versioned, table=True):
    """One row: the roles that must sign in through a directory (their local passwords are refused)."""

    __tablename__ = "sign_in_policy"

    id: Optional[int] = Field(default=None, primary_key=True)
    directory_roles: list[str] = Field(default_factory=list, sa_type=JSON)
