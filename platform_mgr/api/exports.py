"""GET /api/v1/exports/{name}.{csv|xlsx}: the export registry over the API (DESIGN §7)."""
from flask import request

from ..db import get_session
from ..exports import MIMETYPES
from ..web.exports.download import resolve_table, send_table
from .core import current_actor, route

_QUERY = {"cycle": "cycle id (eligibility, results)", "platform": "platform id or code, or \"all\" for every platform (admin) (projects, milestones, outcomes)"}
_SUMMARY = ("Download an export: eligibility|results (?cycle=), projects|milestones|outcomes (?platform=). "
            "A closed cycle's lists are byte-for-byte reproducible and carry X-Content-SHA256.")


def _download(name: str, fmt: str):
    table = resolve_table(get_session(), current_actor(), name, fmt, cycle=request.args.get("cycle"),
                          platform=request.args.get("platform"))
    return send_table(table, fmt)


@route("/exports/<name>.csv", ["GET"], summary=_SUMMARY + " CSV: UTF-8 with BOM, streamed.", query=_QUERY,
       binary="text/csv", endpoint="exports_csv")
def exports_csv(name: str):
    return _download(name, "csv")


@route("/exports/<name>.xlsx", ["GET"], summary=_SUMMARY, query=_QUERY, binary=MIMETYPES["xlsx"],
       endpoint="exports_xlsx")
def exports_xlsx(name: str):
    return _download(name, "xlsx")
