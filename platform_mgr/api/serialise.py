"""Model → JSON dictionaries for API responses (dates ISO 8601, amounts integer yuan)."""
from __future__ import annotations

from typing import Any, Iterable

from ..canonical import iso  # noqa: F401  (re-exported: serialise.iso)


def fields(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: iso(getattr(obj, name)) for name in names}


PLATFORM_FIELDS = ("id", "code", "name_zh", "name_en", "field", "origin", "host_institution", "status", "founded_on",
                   "integrity_flag", "integrity_note")


def platform(p, project_count: int | None = None) -> dict[str, Any]:
    data = fields(p, PLATFORM_FIELDS)
    if project_count is not None:
        data["project_count"] = project_count
    return data
