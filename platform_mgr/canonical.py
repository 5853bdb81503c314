"""Canonical bytes: the one way the product writes JSON, hashes and instants where the bytes must not vary.

Used by eligibility snapshots (their payload and digests), the audit chain (each event's hash), the API's
timestamps and the exports' digests. Pure standard library.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime, timezone
from typing import Any


def canonical_json(value: Any) -> str:
    """Sorted keys, compact separators, UTF-8 text (not ASCII escapes), no NaN: equal values, equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(data: str | bytes) -> str:
    """SHA-256 of bytes, or of text encoded as UTF-8, in lower-case hex."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def hmac_hex(key: bytes, data: str | bytes) -> str:
    """HMAC-SHA-256 of bytes, or of text encoded as UTF-8, under ``key``, in lower-case hex."""
    return hmac.new(key, data.encode("utf-8") if isinstance(data, str) else data, hashlib.sha256).hexdigest()


def iso_utc(value: datetime, *, timespec: str = "auto", suffix: str = "Z") -> str:
    """An instant in UTC as ISO 8601: ``2026-11-16T02:00:00Z`` (a naive value is taken to be UTC already).

    ``suffix="+00:00"`` and ``timespec="microseconds"`` give the audit chain's fixed form."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    text = value.astimezone(timezone.utc).isoformat(timespec=timespec)
    return text.replace("+00:00", suffix) if suffix != "+00:00" else text


def iso(value: Any) -> Any:
    """Instants as `iso_utc`, dates as ISO dates, anything else unchanged (for JSON answers)."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
