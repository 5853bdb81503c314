"""Read side of gates: gate reviews (history, pending queue) and gate templates."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from ..domain.gates import DEFAULT_GATE_TEMPLATES, Stage
from ..errors import NotFound
from ..i18n import in_both
from ..models import GateReview, GateTemplateItem, Platform, Project
from .projects import user_names


def get_gate_review_or_404(session: Session, review_id: int) -> GateReview:
    review = session.get(GateReview, review_id)
    if review is None:
        raise NotFound(_l("No such gate review."))
    return review


def pending_review(session: Session, project_id: int) -> GateReview | None:
    return session.exec(select(GateReview).where(GateReview.project_id == project_id,
                                                 GateReview.decision.is_(None))).first()


def stage_entries(reviews: list[GateReview], current_stage: str) -> dict[str, Any]:
    """When the project entered each stage by a passing gate (its current stage: None when not by one),
    from its gate history (newest first, as `list_gate_reviews` gives it)."""
    entered: dict[str, Any] = {current_stage: None}
    for r in reversed(reviews):  # oldest first
        if r.decision in ("go", "conditional_go") and r.to_stage:
            entered[r.to_stage] = r.decided_at
    return entered


def list_gate_reviews(session: Session, project_id: int) -> tuple[list[GateReview], dict[int, str]]:
    """A project's gate history, newest first, and the names of the people in it (two queries)."""
    rows = list(session.exec(select(GateReview).where(GateReview.project_id == project_id)
                             .order_by(GateReview.requested_at.desc(), GateReview.id.desc())).all())
    names = user_names(session, [r.requested_by_id for r in rows] + [r.decided_by_id for r in rows])
    return rows, names


def pending_for_platform(session: Session, platform_id: int, *, limit: int = 50):
    """Pending gate reviews of a platform with their projects (one query)."""
    return list(session.exec(
        select(GateReview, Project).join(Project, Project.id == GateReview.project_id)
        .where(Project.platform_id == platform_id, GateReview.decision.is_(None))
        .order_by(GateReview.requested_at, GateReview.id).limit(limit)).all())


def list_pending_reviews(session: Session, *, platform_ids=None, page: int = 1, per_page: int = 25):
    """The gate-review queue: pending reviews with project and platform, oldest request first.

    ``platform_ids`` None means every platform (admins). Three queries whatever the size:
    count, the page joined to its projects and platforms, and the requesters' names.
    """
    conds = [GateReview.decision.is_(None)]
    if platform_ids is not None:
        if not platform_ids:
            return [], {}, 0
        conds.append(Project.platform_id.in_(platform_ids))
    total = session.exec(select(func.count()).select_from(GateReview)
                         .join(Project, Project.id == GateReview.project_id).where(*conds)).one()
    rows = list(session.exec(
        select(GateReview, Project, Platform).join(Project, Project.id == GateReview.project_id)
        .join(Platform, Platform.id == Project.platform_id).where(*conds)
        .order_by(GateReview.requested_at, GateReview.id).offset((page - 1) * per_page).limit(per_page)).all())
    names = user_names(session, [r.requested_by_id for r, _p, _pl in rows])
    return rows, names, total


# --- gate templates ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TemplateEntry:
    """One must-meet milestone of a stage's template, whether stored or the built-in default."""

    stage: str
    title_zh: str
    title_en: str
    deliverable_zh: str
    deliverable_en: str
    due_days: int
    id: int | None = None
    platform_id: int | None = None
    position: int = 0


def _entry(row: GateTemplateItem) -> TemplateEntry:
    return TemplateEntry(stage=row.stage, title_zh=row.title_zh, title_en=row.title_en,
                         deliverable_zh=row.deliverable_zh, deliverable_en=row.deliverable_en, due_days=row.due_days,
                         id=row.id, platform_id=row.platform_id, position=row.position)


def builtin_template_texts(item) -> dict[str, str]:
    """A built-in default must-meet milestone (DESIGN §3) in both languages, as template rows store it."""
    title_zh, title_en = in_both(item.title)
    deliverable_zh, deliverable_en = in_both(item.deliverable)
    return {"title_zh": title_zh, "title_en": title_en, "deliverable_zh": deliverable_zh,
            "deliverable_en": deliverable_en}


def _builtin(stage: str) -> list[TemplateEntry]:
    return [TemplateEntry(stage=stage, due_days=90, position=pos, **builtin_template_texts(i))
            for pos, i in enumerate(DEFAULT_GATE_TEMPLATES[Stage(stage)])]


def template_rows(session: Session, platform_id: int | None) -> list[GateTemplateItem]:
    """The stored template rows of a platform (or the programme defaults when None), in order."""
    cond = GateTemplateItem.platform_id.is_(None) if platform_id is None else GateTemplateItem.platform_id == platform_id
    return list(session.exec(select(GateTemplateItem).where(cond)
                             .order_by(GateTemplateItem.stage, GateTemplateItem.position, GateTemplateItem.id)).all())


def effective_templates(session: Session, platform_id: int | None) -> dict[str, tuple[str, list[TemplateEntry]]]:
    """For each stage: where its template comes from ("platform", "programme" or "builtin") and its items.

    A platform's own rows for a stage replace the programme defaults for that stage. When the programme
    has no default rows at all (a database never seeded), the built-in DESIGN §3 defaults apply.
    Two queries.
    """
    own = template_rows(session, platform_id) if platform_id is not None else []
    defaults = template_rows(session, None)
    result: dict[str, tuple[str, list[TemplateEntry]]] = {}
    for stage in (s.value for s in Stage):
        mine = [_entry(r) for r in own if r.stage == stage]
        if mine:
            result[stage] = ("platform", mine)
            continue
        programme = [_entry(r) for r in defaults if r.stage == stage]
        if programme or defaults:
            result[stage] = ("programme", programme)
        else:
            result[stage] = ("builtin", _builtin(stage))
    return result


def stage_template(session: Session, platform_id: int, stage: str) -> list[TemplateEntry]:
    """The template items a project of ``platform_id`` receives on entering ``stage``."""
    return effective_templates(session, platform_id)[str(stage)][1]


def get_template_item_or_404(session: Session, item_id: int) -> GateTemplateItem:
    item = session.get(GateTemplateItem, item_id)
    if item is None:
        raise NotFound(_l("No such template item."))
    return item
