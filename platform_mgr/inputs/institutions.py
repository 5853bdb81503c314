"""Creating, editing and merging institutions (admin, DESIGN §10, §17): API bodies; the admin pages build the
same models."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import AfterValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from ..domain.institutions import credit_code_format_ok
from .types import Id, Input, OptionalText, Text, null_as_empty, refuse_null


def _credit_code(value: str) -> Optional[str]:
    value = (value or "").strip().upper()
    if not value:
        return None
    if not credit_code_format_ok(value):
        raise PydanticCustomError("credit_code", "a unified social credit code is 18 digits and capital letters")
    return value


CreditCode = Annotated[OptionalText(18), AfterValidator(_credit_code)]
Aliases = Annotated[list[Text(200)], Field(max_length=50)]


class InstitutionCreate(Input):
    name_zh: Text(200)
    name_en: OptionalText(200) = ""
    aliases: Aliases = Field(default_factory=list)
    parent_id: Optional[Id] = None
    credit_code: Optional[CreditCode] = None


class InstitutionUpdate(Input):
    """Only the fields sent change; ``parent_id`` and ``credit_code`` may be cleared with null."""

    name_zh: Optional[Text(200)] = None
    name_en: Optional[OptionalText(200)] = None
    aliases: Optional[Aliases] = None
    parent_id: Optional[Id] = None
    credit_code: Optional[CreditCode] = None

    _not_null = field_validator("name_zh", "aliases", mode="before")(lambda cls, v: refuse_null(v))
    _cleared = field_validator("name_en", mode="before")(lambda cls, v: null_as_empty(v))


class InstitutionMerge(Input):
    """Merge this institution into ``into_id``: its people, platforms and names move there, and it is removed."""

    into_id: Id
