"""Bounds on a JSON body, checked on its raw bytes before it is parsed (issue 16).

Python's JSON decoder recurses once per level of nesting: a 3 KB body of ``{"a":`` 1,000 deep ends in a
RecursionError (a 500), and a body of any size is parsed whole. Every JSON body the app parses goes through
``BoundedRequest.get_json`` — spectree's validation of the API's bodies and the API's own "is this JSON"
check (``api.spec._before``) among them — which first refuses a body over ``MAX_JSON_KB`` or nested deeper
than ``MAX_JSON_DEPTH`` with 400 ``invalid_body`` in the API's error format.

The depth is counted in one linear pass over the bytes: the brackets outside strings.

Uploads (issue 17): a file over MAX_UPLOAD_MB is refused by the one upload check (``evidence.store_upload``,
413 with the message at the file field) and the page shows its form again with what was entered. For that
the body has to be read: a view marked ``takes_uploads`` accepts a body of up to ``UPLOAD_BODY_FACTOR`` times
MAX_UPLOAD_MB (several files on one form), and every file part is kept only up to one byte past
MAX_UPLOAD_MB (``CappedFile``) — enough for the check to see it is too large, never more on disk. A body
past even that is refused by Werkzeug before the view runs; the app's 413 handler then sends the person
back to the form's page with the message (``upload_back``).
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from typing import Any

from flask import Request, current_app
from flask_babel import lazy_gettext as _l

from .errors import InvalidBody

# a JSON string, or what is left of one that is never closed (so a match never fails once it has started and
# the scan stays linear whatever the quotes and backslashes), then the brackets
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.S)
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_OPENING = frozenset(b"[{")


def nesting_depth(raw: bytes, limit: int) -> int:
    """How deep the arrays and objects of a JSON text nest, counting stops past ``limit``: at most ``limit + 1``.

    Brackets inside strings do not count; a closing bracket without its opening one is left to the parser
    (it refuses the text there). Linear in the length of ``raw``."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_A_BRACKET)
    depth = deepest = 0
    for byte in brackets:
        if byte in _OPENING:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif depth:
            depth -= 1
    return deepest


def check_json_body(raw_length: int | None, read: Any, *, max_bytes: int, max_depth: int) -> None:
    """Refuse a body over ``max_bytes`` (from its declared length when there is one, before reading it) or
    nested deeper than ``max_depth``; ``read()`` returns the body's bytes."""
    if raw_length is not None and raw_length > max_bytes:
        raise _too_large(max_bytes)
    raw = read()
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    if nesting_depth(raw, max_depth) > max_depth:
        raise InvalidBody(_l("The body is nested too deeply."),
                          fields={"body": _l("At most %(n)d levels of arrays and objects.", n=max_depth)})


def _too_large(max_bytes: int) -> InvalidBody:
    return InvalidBody(_l("The body is too large."), fields={"body": _l("At most %(n)d KB.", n=max_bytes // 1024)})


#: how many times MAX_UPLOAD_MB the body of a form with files may be (the files are capped one by one)
UPLOAD_BODY_FACTOR = 8
SPOOL_BYTES = 500 * 1024  # a file part is kept in memory up to this, then on disk (as Werkzeug does)


def takes_uploads(back: str | None = None) -> Callable[[Callable], Callable]:
    """Mark a view whose form carries files: its body may be larger (see the module's notes); ``back`` names
    the endpoint (same view arguments) that shows the form, when the view itself answers only POST."""
    def mark(view: Callable) -> Callable:
        view.takes_uploads = True
        view.upload_back = back or ""
        return view
    return mark


def upload_body_limit(config: Any) -> int:
    return UPLOAD_BODY_FACTOR * int(config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 64 * 1024


class CappedFile(tempfile.SpooledTemporaryFile):
    """An uploaded file part that keeps its first ``cap`` bytes and drops the rest (its reader sees a file
    one byte over the limit and refuses it; the disk never holds more)."""

    def __init__(self, cap: int):
        super().__init__(max_size=SPOOL_BYTES, mode="rb+")
        self._room = cap

    def write(self, data) -> int:  # type: ignore[override]
        keep = bytes(data[:self._room]) if len(data) > self._room else data
        self._room -= len(keep)
        if keep:
            super().write(keep)
        return len(data)


def upload_view(request: Request) -> Callable | None:
    """The view of a request marked ``takes_uploads``, if it is one."""
    if request.url_rule is None or not current_app:
        return None
    view = current_app.view_functions.get(request.url_rule.endpoint)
    return view if getattr(view, "takes_uploads", False) else None


class BoundedRequest(Request):
    """The app's request: a JSON body is checked against MAX_JSON_KB and MAX_JSON_DEPTH before it is parsed;
    a form with files may be larger on the views that take them, each file kept to MAX_UPLOAD_MB plus a byte."""

    _json_checked = False

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and upload_view(self) is not None:
            return upload_body_limit(current_app.config)
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        if not current_app:
            return super()._get_file_stream(total_content_length, content_type, filename, content_length)
        return CappedFile(int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024 + 1)

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if (force or self.is_json) and not self._json_checked:
            config = current_app.config
            check_json_body(self.content_length, lambda: self.get_data(cache=True),
                            max_bytes=int(config["MAX_JSON_KB"]) * 1024, max_depth=int(config["MAX_JSON_DEPTH"]))
            self._json_checked = True
        return super().get_json(force=force, silent=silent, cache=cache)
