from flask import Blueprint, render_template
from flask_login import login_required

from ... import permissions
from ...db import get_session
from ...queries import platforms as pq
from ...queries import projects as prq
from ..helpers import actor, require

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.route("/<int:project_id>")
@login_required
def detail(project_id: int):
    session = get_session()
    project = prq.get_project_or_404(session, project_id)
    require(permissions.can_view_project(actor(), project))
    platform = pq.get_platform_or_404(session, project.platform_id)
    milestones = prq.list_milestones(session, project.id)
    return render_template("projects/detail.html", project=project, platform=platform, milestones=milestones)
