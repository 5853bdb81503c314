"""GET /api/v1/exports/{name}.{csv|xlsx}: the export registry over the API (DESIGN §7)."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from ..db import get_session
from ..exports import MIMETYPES
from ..web.exports.download import resolve_table, send_table
from .core import current_actor
from .spec import endpoint


class ExportQuery(BaseModel):
    """Which cycle or platform (read by the same resolver as the web's download buttons)."""

    model_config = ConfigDict(extra="ignore")

    cycle: Optional[str] = Field(default=None, description="cycle id (eligibility, results)")
    platform: Optional[str] = Field(default=None, description="platform id or code, or \"all\" for every "
                                                              "platform (admin) (projects, milestones, outcomes)")


def _download(name: str, fmt: str, query: ExportQuery):
    table = resolve_table(get_session(), current_actor(), name, fmt, cycle=query.cycle, platform=query.platform)
    return send_table(table, fmt)


@endpoint("/exports/<name>.csv", binary=["text/csv"], name="exports_csv")
def exports_csv(name: str, query: ExportQuery):
    """Download an export as CSV (UTF-8 with BOM, streamed): eligibility|results (?cycle=), projects|milestones|outcomes (?platform=). A closed cycle's lists are byte-for-byte reproducible and carry X-Content-SHA256."""  # noqa: E501
    return _download(name, "csv", query)


@endpoint("/exports/<name>.xlsx", binary=[MIMETYPES["xlsx"]], name="exports_xlsx")
def exports_xlsx(name: str, query: ExportQuery):
    """Download an export as XLSX: eligibility|results (?cycle=), projects|milestones|outcomes (?platform=). A closed cycle's lists are byte-for-byte reproducible and carry X-Content-SHA256."""  # noqa: E501
    return _download(name, "xlsx", query)
