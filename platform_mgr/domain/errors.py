"""The one error the domain raises when a rule refuses an input or a change.

It carries a ``code`` (what the API answers in ``error.code`` and what tests check), the ``field`` at
fault when there is one (a form field, a criterion code, a rule parameter), and the plain values the
message is made from. The words a person reads are not here: ``platform_mgr/messages.py`` turns a code
and its values into a sentence in the reader's language (gettext), outside the domain.
"""
from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    def __init__(self, code: str, field: str | None = None, /, **params: Any) -> None:
        super().__init__(code if not params else f"{code} {params}")
        self.code = code
        self.field = field
        self.params = params

    def __repr__(self) -> str:
        return f"DomainError({self.code!r}, field={self.field!r}, **{self.params!r})"
