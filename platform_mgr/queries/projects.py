from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..errors import NotFound
from ..models import EvidenceFile, Milestone, Outcome, Project, User


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


# --- single rows -------------------------------------------------------------------------------

def get_milestone_or_404(session: Session, milestone_id: int) -> Milestone:
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound(_l("No such milestone."))
    return milestone


def get_outcome_or_404(session: Session, outcome_id: int) -> Outcome:
    outcome = session.get(Outcome, outcome_id)
    if outcome is None:
        raise NotFound(_l("No such outcome."))
    return outcome


def get_evidence_or_404(session: Session, evidence_id: int) -> EvidenceFile:
    evidence = session.get(EvidenceFile, evidence_id)
    if evidence is None or (evidence.milestone_id is None and evidence.outcome_id is None):
        raise NotFound(_l("No such file."))
    return evidence


def evidence_project_id(session: Session, evidence: EvidenceFile) -> int:
    """The project an evidence file belongs to (through its milestone or its outcome)."""
    if evidence.milestone_id is not None:
        return session.exec(select(Milestone.project_id).where(Milestone.id == evidence.milestone_id)).one()
    return session.exec(select(Outcome.project_id).where(Outcome.id == evidence.outcome_id)).one()


# --- a project's rows, each in one query ------------------------------------------------------------

def list_milestones_page(session: Session, project_id: int, *, page: int = 1, per_page: int = 50,
                         stage: str | None = None):
    q = select(Milestone).where(Milestone.project_id == project_id)
    count_q = select(func.count()).select_from(Milestone).where(Milestone.project_id == project_id)
    if stage:
        q = q.where(Milestone.stage == stage)
        count_q = count_q.where(Milestone.stage == stage)
    total = session.exec(count_q).one()
    rows = session.exec(q.order_by(Milestone.stage, Milestone.due_on, Milestone.id)
                        .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def list_outcomes(session: Session, project_id: int, *, page: int = 1, per_page: int = 100):
    count_q = select(func.count()).select_from(Outcome).where(Outcome.project_id == project_id)
    total = session.exec(count_q).one()
    rows = session.exec(select(Outcome).where(Outcome.project_id == project_id)
                        .order_by(Outcome.occurred_on.desc(), Outcome.id.desc())
                        .offset((page - 1) * per_page).limit(per_page)).all()
    return list(rows), total


def evidence_count(session: Session, milestone_id: int) -> int:
    """How many evidence files a milestone has (flushed rows of this transaction included)."""
    return session.exec(select(func.count()).select_from(EvidenceFile)
                        .where(EvidenceFile.milestone_id == milestone_id)).one()


def evidence_for(session: Session, *, milestone_ids=(), outcome_ids=()) -> tuple[dict, dict]:
    """Evidence files of many milestones and outcomes in one query: (by milestone id, by outcome id)."""
    by_milestone: dict[int, list[EvidenceFile]] = {}
    by_outcome: dict[int, list[EvidenceFile]] = {}
    milestone_ids, outcome_ids = list(milestone_ids), list(outcome_ids)
    if not milestone_ids and not outcome_ids:
        return by_milestone, by_outcome
    conds = []
    if milestone_ids:
        conds.append(EvidenceFile.milestone_id.in_(milestone_ids))
    if outcome_ids:
        conds.append(EvidenceFile.outcome_id.in_(outcome_ids))
    rows = session.exec(select(EvidenceFile).where(or_(*conds)).order_by(EvidenceFile.id)).all()
    for ev in rows:
        if ev.milestone_id is not None and ev.milestone_id in milestone_ids:
            by_milestone.setdefault(ev.milestone_id, []).append(ev)
        if ev.outcome_id is not None and ev.outcome_id in outcome_ids:
            by_outcome.setdefault(ev.outcome_id, []).append(ev)
    return by_milestone, by_outcome


def user_names(session: Session, user_ids) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {uid: name for uid, name in session.exec(select(User.id, User.display_name).where(User.id.in_(ids))).all()}


# --- the operator's platform dashboard: a fixed number of queries whatever the size -----------------

OPEN_MILESTONE_STATUSES = ("planned", "in_progress")


def stage_counts(session: Session, platform_id: int) -> dict[tuple[str, str], int]:
    """(stage, status) → number of projects of a platform."""
    rows = session.exec(select(Project.stage, Project.status, func.count()).where(Project.platform_id == platform_id)
                        .group_by(Project.stage, Project.status)).all()
    return {(stage, status): n for stage, status, n in rows}


def _open_milestones_q(platform_id: int):
    return (select(Milestone, Project.title_zh, Project.title_en)
            .join(Project, Project.id == Milestone.project_id)
            .where(Project.platform_id == platform_id, Project.status == "active",
                   Milestone.status.in_(OPEN_MILESTONE_STATUSES)))


def overdue_milestones(session: Session, platform_id: int, today: date, *, limit: int = 20):
    """The most overdue open milestones of a platform's active projects, and how many there are in all."""
    total = session.exec(
        select(func.count()).select_from(Milestone).join(Project, Project.id == Milestone.project_id)
        .where(Project.platform_id == platform_id, Project.status == "active",
               Milestone.status.in_(OPEN_MILESTONE_STATUSES), Milestone.due_on < today)).one()
    rows = session.exec(_open_milestones_q(platform_id).where(Milestone.due_on < today)
                        .order_by(Milestone.due_on, Milestone.id).limit(limit)).all()
    return list(rows), total


def next_due_milestones(session: Session, platform_id: int, today: date, *, limit: int = 20):
    """The open milestones due next (today or later) on a platform's active projects."""
    rows = session.exec(_open_milestones_q(platform_id).where(Milestone.due_on >= today)
                        .order_by(Milestone.due_on, Milestone.id).limit(limit)).all()
    return list(rows)
