"""Bounds on a JSON body, checked on its raw bytes before it is parsed (issue 16).

Python's JSON decoder recurses once per level of nesting: a 3 KB body of ``{"a":`` 1,000 deep ends in a
RecursionError (a 500), and a body of any size is parsed whole. Every JSON body the app parses goes through
``BoundedRequest.get_json`` — spectree's validation of the API's bodies and the API's own "is this JSON"
check (``api.spec._before``) among them — which first refuses a body over ``MAX_JSON_KB`` or nested deeper
than ``MAX_JSON_DEPTH`` with 400 ``invalid_body`` in the API's error format.

The depth is counted in one linear pass over the bytes: the brackets outside strings.
"""
from __future__ import annotations

import re
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


class BoundedRequest(Request):
    """The app's request: a JSON body is checked against MAX_JSON_KB and MAX_JSON_DEPTH before it is parsed."""

    _json_checked = False

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if (force or self.is_json) and not self._json_checked:
            config = current_app.config
            check_json_body(self.content_length, lambda: self.get_data(cache=True),
                            max_bytes=int(config["MAX_JSON_KB"]) * 1024, max_depth=int(config["MAX_JSON_DEPTH"]))
            self._json_checked = True
        return super().get_json(force=force, silent=silent, cache=cache)
