"""Errors raised by services and queries; the web and API layers turn them into responses.

Messages are lazy translations (or bilingual pairs from the domain), so they are rendered
in the caller's language when the response is built.
"""
from __future__ import annotations

from typing import Any


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: Any = None, *, fields: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(str(message) if message is not None else self.code)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": str(self.message) if self.message is not None else self.code,
                "fields": {k: str(v) for k, v in self.fields.items()},
            }
        }


class Invalid(AppError):
    """Bad input: names the fields at fault. Nothing is written."""

    status = 422
    code = "invalid"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Conflict(AppError):
    """Stale version or a state change the current state does not allow."""

    status = 409
    code = "conflict"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class TooLarge(AppError):
    status = 413
    code = "too_large"


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"
