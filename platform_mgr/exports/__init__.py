"""The one export registry (STYLE.md): a view asks `EXPORTS[name]` for a table and writes it.

    EXPORTS = {"eligibility": …, "results": …, "projects": …, "milestones": …, "outcomes": …}

Each entry has a `scope` — "cycle" (eligibility, results: ``?cycle=``) or "platform" (projects,
milestones, outcomes: ``?platform=``) — and `table(session, subject, public=…, today=…)` giving a
`Table`, which writes itself as CSV (`csv_chunks`, a generator) or XLSX (`xlsx_bytes`).  Nothing in
this package knows about HTTP; the download views (web/exports, api/exports) do.

The eligibility list and the results of a closed cycle are built from the frozen snapshot only, so
they are byte-for-byte reproducible; `snapshot_digests` gives the SHA-256 of each of them, which
the snapshot records when it is frozen.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .cycle_lists import eligibility_table, results_table
from .platform_lists import milestones_table, outcomes_table, projects_table
from .table import FORMATS, MIMETYPES, Table

__all__ = ["EXPORTS", "FORMATS", "MIMETYPES", "Table", "snapshot_digests"]


@dataclass(frozen=True)
class CycleExport:
    """An export of a review cycle: a table made from its eligibility result (the caller computes the result)."""

    name: str
    title_zh: str
    title_en: str
    build: Callable[..., Table]
    has_public_variant: bool = False
    scope: str = "cycle"

    def from_result(self, result, *, public: bool = False) -> Table:
        """The table of an eligibility result the caller computed (`services.eligibility.get_eligibility`)."""
        if self.has_public_variant:
            return self.build(result, public=public)
        return self.build(result)


@dataclass(frozen=True)
class PlatformExport:
    """An export of one platform's live data."""

    name: str
    title_zh: str
    title_en: str
    build: Callable[..., Table]
    needs_today: bool = False
    scope: str = "platform"

    def table(self, session, platform, *, today: date) -> Table:
        """The table of one platform's rows (every platform's when None), read live as it is written."""
        if self.needs_today:
            return self.build(session, platform, today)
        return self.build(session, platform)


EXPORTS: dict[str, Any] = {
    "eligibility": CycleExport("eligibility", "资助资格名单", "Funding eligibility list", eligibility_table,
                               has_public_variant=True),
    "results": CycleExport("results", "评审结果", "Review results", results_table),
    "projects": PlatformExport("projects", "项目清单", "Projects", projects_table),
    "milestones": PlatformExport("milestones", "里程碑清单", "Milestones", milestones_table, needs_today=True),
    "outcomes": PlatformExport("outcomes", "成果清单", "Outcomes", outcomes_table),
}


def snapshot_digests(result) -> dict[str, str]:
    """SHA-256 (hex) of every export of a frozen eligibility result, keyed "eligibility.csv", …"""
    tables = [EXPORTS["eligibility"].from_result(result, public=False),
              EXPORTS["eligibility"].from_result(result, public=True),
              EXPORTS["results"].from_result(result)]
    digests: dict[str, str] = {}
    for table in tables:
        for fmt in FORMATS:
            digests[table.key(fmt)] = table.sha256(fmt)
    return digests
