"""A platform's projects, milestones and outcomes as tables, read live and streamed.

Each row source is one query read in batches (`yield_per`), so an export of any size is written
row by row without loading the platform's data at once.  ``platform`` None means every platform
(the programme-wide export, ``?platform=all``, for the commission).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import true
from sqlmodel import Session, select

from .. import clock
from ..enums import MilestoneStatus, OutcomeKind, ProjectStatus, SelectionMode, Stage
from ..models import Milestone, Outcome, Platform, Project
from .columns import Column, label
from .table import Table

BATCH = 500

PROJECT_COLUMNS = (
    Column("id", "项目编号", "Project id", "int", 10),
    Column("title_zh", "项目名称", "Title (Chinese)", "text", 32),
    Column("title_en", "项目英文名称", "Title (English)", "text", 32),
    Column("lead", "负责人", "Lead", "text", 12),
    Column("source_institution", "技术来源单位", "Source institution", "text", 20),
    Column("demand_owner", "企业出题人", "Demand owner", "text", 20),
    Column("selection_mode", "立项方式", "Selection mode", "text", 18),
    Column("stage", "阶段", "Stage", "text", 22),
    Column("status", "状态", "Status", "text", 16),
    Column("trl_entry", "入库 TRL", "TRL at entry", "int", 10),
    Column("trl_current", "当前 TRL", "Current TRL", "int", 10),
    Column("budget", "预算（元）", "Budget (yuan)", "yuan", 14),
    Column("budget_wan", "预算（万元）", "Budget (10,000 yuan)", "wan", 14),
    Column("started_on", "启动日期", "Started on", "date", 12),
)

MILESTONE_COLUMNS = (
    Column("id", "里程碑编号", "Milestone id", "int", 10),
    Column("project_id", "项目编号", "Project id", "int", 10),
    Column("project_title", "项目名称", "Project", "text", 28),
    Column("stage", "阶段", "Stage", "text", 22),
    Column("title", "里程碑", "Milestone", "text", 28),
    Column("deliverable", "交付物", "Deliverable", "text", 30),
    Column("is_gate_criterion", "必达", "Must-meet", "bool", 10),
    Column("due_on", "计划完成日期", "Due on", "date", 12),
    Column("status", "状态", "Status", "text", 16),
    Column("completed_on", "实际完成日期", "Completed on", "date", 12),
    Column("days_overdue", "逾期天数", "Days overdue", "int", 10),
    Column("trl_claimed", "声明 TRL", "TRL claimed", "int", 10),
)

OUTCOME_COLUMNS = (
    Column("id", "成果编号", "Outcome id", "int", 10),
    Column("project_id", "项目编号", "Project id", "int", 10),
    Column("project_title", "项目名称", "Project", "text", 28),
    Column("kind", "类型", "Kind", "text", 22),
    Column("counterparty", "交易对方", "Counterparty", "text", 24),
    Column("amount", "金额（元）", "Amount (yuan)", "yuan", 14),
    Column("amount_wan", "金额（万元）", "Amount (10,000 yuan)", "wan", 14),
    Column("occurred_on", "日期", "Date", "date", 12),
    Column("note", "备注", "Note", "text", 30),
)


def _of(project, platform_id: int | None):
    return true() if platform_id is None else project.platform_id == platform_id


def project_rows(session: Session, platform_id: int | None) -> Iterator[list[Any]]:
    stmt = (select(Project.id, Project.title_zh, Project.title_en, Project.lead, Project.source_institution,
                   Project.demand_owner, Project.selection_mode, Project.stage, Project.status, Project.trl_entry,
                   Project.trl_current, Project.budget, Project.started_on)
            .where(_of(Project, platform_id)).order_by(Project.id)
            .execution_options(yield_per=BATCH))
    for r in session.exec(stmt):
        yield [r.id, r.title_zh, r.title_en, r.lead, r.source_institution, r.demand_owner,
               label(SelectionMode, r.selection_mode), label(Stage, r.stage), label(ProjectStatus, r.status),
               r.trl_entry, r.trl_current, r.budget, r.budget, r.started_on]


def milestone_rows(session: Session, platform_id: int | None, today: date) -> Iterator[list[Any]]:
    stmt = (select(Milestone.id, Milestone.project_id, Project.title_zh, Milestone.stage, Milestone.title,
                   Milestone.deliverable, Milestone.is_gate_criterion, Milestone.due_on, Milestone.status,
                   Milestone.completed_on, Milestone.trl_claimed)
            .join(Project, Project.id == Milestone.project_id)
            .where(_of(Project, platform_id))
            .order_by(Milestone.project_id, Milestone.due_on, Milestone.id)
            .execution_options(yield_per=BATCH))
    for r in session.exec(stmt):
        overdue = (today - r.due_on).days if r.status not in ("done", "waived") and r.due_on < today else 0
        yield [r.id, r.project_id, r.title_zh, label(Stage, r.stage), r.title, r.deliverable,
               bool(r.is_gate_criterion), r.due_on, label(MilestoneStatus, r.status), r.completed_on, overdue,
               r.trl_claimed]


def outcome_rows(session: Session, platform_id: int | None) -> Iterator[list[Any]]:
    stmt = (select(Outcome.id, Outcome.project_id, Project.title_zh, Outcome.kind, Outcome.counterparty,
                   Outcome.amount, Outcome.occurred_on, Outcome.note)
            .join(Project, Project.id == Outcome.project_id)
            .where(_of(Project, platform_id))
            .order_by(Outcome.occurred_on, Outcome.id)
            .execution_options(yield_per=BATCH))
    for r in session.exec(stmt):
        yield [r.id, r.project_id, r.title_zh, label(OutcomeKind, r.kind), r.counterparty, r.amount, r.amount,
               r.occurred_on, r.note]


def _table(name: str, sheet: str, platform: Platform | None, columns, rows) -> Table:
    suffix = platform.code if platform is not None else "all"
    return Table(name=name, filename=f"{name}-{suffix}", sheet=sheet, columns=columns, rows=rows,
                 created=clock.now())


def projects_table(session: Session, platform: Platform | None) -> Table:
    pid = platform.id if platform is not None else None
    return _table("projects", "项目", platform, PROJECT_COLUMNS, lambda: project_rows(session, pid))


def milestones_table(session: Session, platform: Platform | None, today: date) -> Table:
    pid = platform.id if platform is not None else None
    return _table("milestones", "里程碑", platform, MILESTONE_COLUMNS, lambda: milestone_rows(session, pid, today))


def outcomes_table(session: Session, platform: Platform | None) -> Table:
    pid = platform.id if platform is not None else None
    return _table("outcomes", "成果", platform, OUTCOME_COLUMNS, lambda: outcome_rows(session, pid))
