from flask import Blueprint, render_template, request
from flask_login import login_required

from ... import permissions
from ...db import get_session
from ...loaders import load_platform
from ...queries import platforms as pq
from ...queries import projects as prq
from ..helpers import actor, page_args, require

bp = Blueprint("platforms", __name__, url_prefix="/platforms")


@bp.route("/")
@login_required
def index():
    require(permissions.can_list_platforms(actor()))
    page, per_page = page_args(50)
    rows, counts, total = pq.list_platforms(get_session(), page=page, per_page=per_page,
                                            status=request.args.get("status") or None,
                                            field=request.args.get("field") or None)
    return render_template("platforms/index.html", platforms=rows, counts=counts, total=total, page=page,
                           per_page=per_page)


@bp.route("/<int:platform_id>")
@login_required
def detail(platform_id: int):
    session = get_session()
    platform = load_platform(platform_id, need=permissions.can_view_platform)
    can_projects = permissions.can_view_projects_of(actor(), platform)
    projects, total = ([], 0)
    page, per_page = page_args(25)
    if can_projects:
        projects, total = prq.list_projects(session, platform_id=platform.id, page=page, per_page=per_page,
                                            stage=request.args.get("stage") or None,
                                            status=request.args.get("status") or None,
                                            sort=request.args.get("sort", "id"))
    return render_template("platforms/detail.html", platform=platform, projects=projects, total=total, page=page,
                           per_page=per_page, can_projects=can_projects)
