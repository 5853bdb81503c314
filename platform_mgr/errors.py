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
        # the message stays lazy until it is shown: rendering it may read the user's language from a session that a
        # failed flush has just broken (the handlers roll back first)
        super().__init__(message if message is not None else self.code)
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

    status, code = 422, "invalid"


class InvalidBody(AppError):
    """A request body refused before it is parsed (bounds.py): too large for a JSON body, or nested too deeply."""

    status, code = 400, "invalid_body"


class Unauthorized(AppError):
    """Nobody is signed in (a page sends the visitor to sign in; the API answers 401)."""

    status, code = 401, "unauthorized"


class Forbidden(AppError):
    """The caller's role or ownership does not allow it (DESIGN §7)."""

    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    """Stale version or a state change the current state does not allow (the same request would succeed in
    another state)."""

    status, code = 409, "conflict"


class StateConflict(Conflict):
    """A change the object's current state refuses (DESIGN §7: the same request would succeed in another state).

    Its code names the subject and the state, ``<subject>_<state>``: ``project_on_hold``, ``project_killed``,
    ``cycle_closed``, ``review_submitted``, ``gate_review_decided`` — so a client can tell which state stood in
    the way; a refusal because of the caller's role or ownership is ``Forbidden`` (403) instead."""

    def __init__(self, message: Any = None, *, subject: str, state: Any, fields: dict[str, Any] | None = None):
        self.subject, self.state = subject, str(state)
        super().__init__(message, fields=fields, code=state_code(subject, state))


class SnapshotTampered(StateConflict):
    """A frozen snapshot whose payload does not match its recorded digest or seal: nothing of it is served
    (``snapshot_tampered``); the answer's handler records the incident and tells the admins (incidents.py)."""

    def __init__(self, message: Any, *, snapshot_id: int, cycle_id: int, observed_digest: str, reason: str):
        self.snapshot_id, self.cycle_id = snapshot_id, cycle_id
        self.observed_digest, self.reason = observed_digest, reason
        super().__init__(message, subject="snapshot", state="tampered")


def state_code(subject: str, state: Any) -> str:
    """The error code of a refusal because of an object's state: ``state_code("project", "on_hold")``."""
    return f"{subject}_{state}"


class Gone(AppError):
    """A single-use link that was used, revoked or has expired: it will never work again."""

    status, code = 410, "gone"


class Unavailable(AppError):
    """A service the request needs (a directory, a provider) cannot be reached; trying later may work."""

    status, code = 503, "unavailable"


class TooLarge(AppError):
    status, code = 413, "too_large"


class TooManyRequests(AppError):
    """Throttled; ``retry_after`` (seconds), when known, becomes the answer's Retry-After header."""

    status, code = 429, "too_many_requests"

    def __init__(self, message: Any = None, *, retry_after: int | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}
