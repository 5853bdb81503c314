"""Answers of the platform and caller endpoints (their request bodies are `inputs.platforms`)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from ..canonical import iso_utc
from ..enums import PlatformField, PlatformOrigin, PlatformStatus, Role

#: an instant in an answer: always UTC, ``2026-11-16T02:00:00Z`` (whatever offset the row was written with)
Instant = Annotated[datetime, PlainSerializer(iso_utc, return_type=str, when_used="json"),
                    WithJsonSchema({"type": "string", "format": "date-time"})]


class Out(BaseModel):
    """An answer read from a row's attributes."""

    model_config = ConfigDict(from_attributes=True)


class PlatformOut(Out):
    id: int
    code: str
    name_zh: str
    name_en: str
    field: PlatformField
    origin: PlatformOrigin
    host_institution: str
    institution_id: Optional[int]
    status: PlatformStatus
    founded_on: Optional[date]
    integrity_flag: bool
    integrity_note: str
    delisting_review: bool = False
    project_count: int = 0

    @classmethod
    def of(cls, platform, project_count: int) -> PlatformOut:
        out = cls.model_validate(platform)
        out.project_count = project_count
        return out


class InstitutionOut(Out):
    """An institution (DESIGN §17)."""

    id: int
    name_zh: str
    name_en: str
    aliases: list[str]
    parent_id: Optional[int]
    credit_code: Optional[str]


class MyPlatform(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    relation: list[str]


class TokenOut(Out):
    """An API token as its owner sees it (DESIGN §17); never the secret."""

    id: int
    prefix: str
    label: str
    created_at: Instant
    last_used_at: Optional[Instant]
    expires_at: Instant
    revoked_at: Optional[Instant]


class TokenCreated(TokenOut):
    token: str = Field(description="the secret, shown this once: send it as Authorization: Bearer <token>")


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    affiliation: str
    institution_id: Optional[int] = None
    preferred_lang: str
    platforms: list[MyPlatform]
