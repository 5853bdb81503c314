"""Download routes of every export (the buttons on every list point here)."""
from flask import Blueprint, request
from flask_login import login_required

from ...db import get_session
from ..helpers import actor
from .download import resolve_table, send_table

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.route("/<name>.csv", defaults={"fmt": "csv"})
@bp.route("/<name>.xlsx", defaults={"fmt": "xlsx"})
@login_required
def download(name: str, fmt: str):
    table = resolve_table(get_session(), actor(), name, fmt, cycle=request.args.get("cycle"),
                          platform=request.args.get("platform"))
    return send_table(table, fmt)
