"""Creating and editing a platform (admin): API bodies; the admin pages build the same models."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Optional

from pydantic import AfterValidator, StringConstraints, field_validator

from ..enums import DelistingResolution, PlatformField, PlatformOrigin, PlatformStatus
from .types import Id, Input, OptionalText, Text, null_as_empty, refuse_null

#: a platform code: letters, digits, '-' and '_', stored in capitals
Code = Annotated[Text(16), StringConstraints(pattern=r"^[A-Za-z0-9_-]+$"), AfterValidator(str.upper)]


class PlatformCreate(Input):
    code: Code
    name_zh: Text(200)
    name_en: Text(200)
    field: PlatformField
    origin: PlatformOrigin
    host_institution: OptionalText(200) = ""  # the host's name: found by normalised name, or created
    institution_id: Optional[Id] = None  # the host institution (DESIGN §17); either this or the name (the service requires one)
    status: PlatformStatus = PlatformStatus.ACTIVE
    founded_on: Optional[date] = None
    integrity_flag: bool = False
    integrity_note: OptionalText(2000) = ""

class PlatformUpdate(Input):
    """Only the fields sent change; a field that cannot be empty refuses null."""

    code: Optional[Code] = None
    name_zh: Optional[Text(200)] = None
    name_en: Optional[Text(200)] = None
    field: Optional[PlatformField] = None
    origin: Optional[PlatformOrigin] = None
    host_institution: Optional[Text(200)] = None
    institution_id: Optional[Id] = None
    status: Optional[PlatformStatus] = None
    status_reason: Optional[OptionalText(2000)] = None  # required when ``status`` changes
    founded_on: Optional[date] = None
    integrity_flag: Optional[bool] = None
    integrity_note: Optional[OptionalText(2000)] = None  # required when ``integrity_flag`` changes

    _not_null = field_validator("code", "name_zh", "name_en", "field", "origin", "host_institution", "status",
                                "integrity_flag", mode="before")(lambda cls, v: refuse_null(v))
    _cleared = field_validator("integrity_note", "status_reason", mode="before")(lambda cls, v: null_as_empty(v))


class PlatformStatusChange(Input):
    """Suspend, reactivate or delist a platform (DESIGN §9): the reason is required and kept as its
    ``status_reason``."""

    status: PlatformStatus
    reason: Text(2000)


class DelistingReviewResolution(Input):
    """An admin resolves a platform's delisting review (DESIGN §4): delist it or clear the mark; the reason is
    required either way and audited."""

    decision: DelistingResolution
    reason: Text(2000)


class IntegrityFlagChange(Input):
    """Set or clear a platform's integrity flag (R6): the note that says why is required."""

    flag: bool
    note: Text(2000)


class PlatformBinding(Input):
    """Bind a person to a platform: an operator who works for it, or a reviewer named its gatekeeper."""

    user_id: Id
