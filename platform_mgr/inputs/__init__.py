"""Input models: one pydantic model per use case, the single validation of what a person or a client sends.

The web views build them from a form's data (`web.helpers.submit`), the API from the JSON body (spectree,
`api.spec`); the services receive them already valid. Project-wide annotated types (`types.py`) carry the
rules every input shares: integers a column can hold, text without NUL characters and within its column,
dates that may not lie in the future. Field errors are named by field and worded in the reader's language
(`messages_for`).
"""
from .types import (  # noqa: F401
    MAX_INT,
    DbInt,
    Email,
    Id,
    Input,
    NotFutureDate,
    OptionalText,
    PositiveInt,
    Text,
    Version,
    Yuan,
    field_errors,
    null_as_empty,
    refuse_null,
    validated,
)
