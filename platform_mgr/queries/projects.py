from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from ..errors import NotFound
from ..models import Milestone, Project


def get_project_or_404(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(_l("No such project."))
    return project


def list_projects(session: Session, *, platform_id: int | None = None, platform_ids=None, stage: str | None = None,
                  status: str | None = None, page: int = 1, per_page: int = 25, sort: str = "id"):
    q = select(Project)
    count_q = select(func.count()).select_from(Project)
    conds = []
    if platform_id is not None:
        conds.append(Project.platform_id == platform_id)
    if platform_ids is not None:
        conds.append(Project.platform_id.in_(platform_ids))
    if stage:
        conds.append(Project.stage == stage)
    if status:
        conds.append(Project.status == status)
    for cond in conds:
        q = q.where(cond)
        count_q = count_q.where(cond)
    order = {
        "id": Project.id.desc(), "title": Project.title_zh.asc(), "stage": Project.stage.asc(),
        "status": Project.status.asc(), "trl": Project.trl_current.desc(), "budget": Project.budget.desc(),
    }.get(sort, Project.id.desc())
    total = session.exec(count_q).one()
    rows = session.exec(q.order_by(order, Project.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    return rows, total


def list_milestones(session: Session, project_id: int) -> list[Milestone]:
    return list(session.exec(
        select(Milestone).where(Milestone.project_id == project_id)
        .order_by(Milestone.stage, Milestone.due_on, Milestone.id)).all())
