"""The annotated types every input model shares, and the wording of their errors."""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError
from pydantic_core import PydanticCustomError

from .. import clock

MAX_INT = 2**31 - 1  # integer columns (ids, yuan, versions) are 32-bit on PostgreSQL: nothing larger is stored


class Input(BaseModel):
    """An input model: unknown fields are refused (naming them), text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _no_nul(value: str) -> str:
    if "\x00" in value:  # PostgreSQL text cannot hold NUL characters
        raise PydanticCustomError("nul_character", "text may not contain NUL characters")
    return value


def Text(max_length: int, *, min_length: int = 1) -> Any:  # noqa: N802  (a type, used like one)
    """Text of at most ``max_length`` characters (stripped; by default not empty), without NUL characters."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(_no_nul)]


def _none_as_empty(value: Any) -> Any:
    return "" if value is None else value


def OptionalText(max_length: int) -> Any:  # noqa: N802
    """Text that may be empty (None, a form field not sent or a JSON null, reads as empty)."""
    return Annotated[str, BeforeValidator(_none_as_empty),
                     StringConstraints(strip_whitespace=True, max_length=max_length), AfterValidator(_no_nul)]


#: an integer a 32-bit column holds
DbInt = Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)]
#: an id of a row
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
#: a count or amount that cannot be negative
PositiveInt = Annotated[int, Field(ge=0, le=MAX_INT)]
#: an amount of money in integer yuan
Yuan = Annotated[int, Field(ge=0, le=MAX_INT, description="integer yuan")]
#: the version of a row the client read (a stale one answers 409)
Version = Annotated[int, Field(ge=1, le=MAX_INT, description="the version you read; a stale one answers 409")]


def _not_future(value: date | None) -> date | None:
    if value is not None and value > clock.today():
        raise PydanticCustomError("date_in_future", "the date may not lie in the future")
    return value


def refuse_null(value: Any) -> Any:
    """For a PATCH field that may be left out but not cleared: an explicit null is refused."""
    if value is None:
        raise PydanticCustomError("not_null", "this field may not be null")
    return value


def null_as_empty(value: Any) -> Any:
    """For a PATCH text that may be cleared: null means the empty text."""
    return "" if value is None else value


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise PydanticCustomError("email", "enter a valid e-mail address")
    return value


#: an e-mail address, stored lower-case
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_no_nul),
                  AfterValidator(_email)]

#: a date that may not lie after today (in Shanghai)
NotFutureDate = Annotated[date, AfterValidator(_not_future)]


#: the words of pydantic's error types, in the reader's language
MESSAGES = {
    "missing": _l("This field is required."),
    "string_too_short": _l("This field is required."),
    "string_too_long": _l("This value is too long."),
    "int_parsing": _l("Enter a whole number."),
    "int_type": _l("Enter a whole number."),
    "int_from_float": _l("Enter a whole number."),
    "float_parsing": _l("Enter a number."),
    "float_type": _l("Enter a number."),
    "bool_parsing": _l("Enter true or false."),
    "bool_type": _l("Enter true or false."),
    "date_from_datetime_parsing": _l("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": _l("Enter a date as YYYY-MM-DD."),
    "date_parsing": _l("Enter a date as YYYY-MM-DD."),
    "date_type": _l("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": _l("Enter a date and time in ISO 8601."),
    "datetime_from_date_parsing": _l("Enter a date and time in ISO 8601."),
    "datetime_type": _l("Enter a date and time in ISO 8601."),
    "timezone_aware": _l("Give the time with its time zone offset."),
    "literal_error": _l("This value is not one of the allowed choices."),
    "enum": _l("This value is not one of the allowed choices."),
    "greater_than_equal": _l("This value is too small."),
    "greater_than": _l("This value is too small."),
    "less_than_equal": _l("This value is too large."),
    "less_than": _l("This value is too large."),
    "extra_forbidden": _l("Unknown field."),
    "string_type": _l("Enter text."),
    "string_pattern_mismatch": _l("This value is not valid."),
    "list_type": _l("Enter a list."),
    "dict_type": _l("Enter an object."),
    "model_type": _l("Enter an object."),
    "model_attributes_type": _l("Enter an object."),
    "too_long": _l("Too many items."),
    "too_short": _l("Too few items."),
    "value_error": _l("This value is not valid."),
    "nul_character": _l("Text may not contain NUL characters."),
    "date_in_future": _l("The date may not lie in the future."),
    "not_null": _l("This field is required."),
    "json_invalid": _l("Send a JSON object."),
    "email": _l("Enter a valid e-mail address."),
    "passwords_differ": _l("The two passwords differ."),
    "credit_code": _l("A unified social credit code is 18 digits and capital letters (without I, O, S, V, Z)."),
}
_BOUNDED = {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def _message(error: dict[str, Any]) -> Any:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in _BOUNDED and MAX_INT in (ctx.get("le"), ctx.get("ge"), -ctx.get("ge", 0)):
        # beyond what a column holds (a 32-bit integer)
        return _l("Enter a whole number from %(low)d to %(high)d.", low=-MAX_INT, high=MAX_INT)
    if kind == "greater_than_equal" and ctx.get("ge") == 0:
        return _l("This value may not be negative.")
    if kind == "string_too_long" and "max_length" in ctx:
        return _l("At most %(n)d characters.", n=ctx["max_length"])
    if (kind == "string_too_short" and ctx.get("min_length") == 1) or (
            error.get("input", ...) is None and kind.endswith("_type")):
        return MESSAGES["missing"]  # left empty: a form's blank field, a JSON null
    if kind in MESSAGES:
        return MESSAGES[kind]
    from ..domain.errors import DomainError
    from ..messages import MESSAGES as DOMAIN_MESSAGES
    from ..messages import message_for

    if kind in DOMAIN_MESSAGES:  # a domain rule checked inside a model (points with one decimal …)
        return message_for(DomainError(kind))
    return _l("This value is not valid.")


def field_errors(exc: ValidationError, *, prefix: str = "") -> dict[str, Any]:
    """A validation error as {dotted field: message}: the first problem of each field, in the reader's language.
    A problem with the whole input (not one field) is named ``body``."""
    fields: dict[str, Any] = {}
    for error in exc.errors():
        loc = ".".join(str(part) for part in error.get("loc", ()))
        name = f"{prefix}.{loc}" if prefix and loc else (loc or prefix or "body")
        fields.setdefault(name, _message(error))
    return fields


def validated(model: type[BaseModel], data: Any) -> BaseModel:
    """``model`` made from ``data``, or 422 naming each field at fault (a refusal the page or the API shows)."""
    from ..errors import Invalid

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(_l("Please correct the marked fields."), fields=field_errors(exc)) from None
