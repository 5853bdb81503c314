"""Request and response models of the API (pydantic); they also generate the OpenAPI document."""
from __future__ import annotations

from datetime import date
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from ..enums import PlatformField, PlatformOrigin, PlatformStatus, Role


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str]


class Error(BaseModel):
    error: ErrorBody


class PlatformCreate(Strict):
    code: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    field: PlatformField
    origin: PlatformOrigin
    host_institution: str = Field(min_length=1, max_length=200)
    status: PlatformStatus = PlatformStatus.ACTIVE
    founded_on: Optional[date] = None
    integrity_flag: bool = False
    integrity_note: str = Field(default="", max_length=2000)


class PlatformUpdate(Strict):
    code: Optional[str] = Field(default=None, min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    name_zh: Optional[str] = Field(default=None, min_length=1, max_length=200)
    name_en: Optional[str] = Field(default=None, min_length=1, max_length=200)
    field: Optional[PlatformField] = None
    origin: Optional[PlatformOrigin] = None
    host_institution: Optional[str] = Field(default=None, min_length=1, max_length=200)
    status: Optional[PlatformStatus] = None
    founded_on: Optional[date] = None
    integrity_flag: Optional[bool] = None
    integrity_note: Optional[str] = Field(default=None, max_length=2000)


class PlatformOut(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    field: PlatformField
    origin: PlatformOrigin
    host_institution: str
    status: PlatformStatus
    founded_on: Optional[date]
    integrity_flag: bool
    integrity_note: str
    project_count: int = 0


class MeOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    affiliation: str
    preferred_lang: str
    platforms: list[dict]
