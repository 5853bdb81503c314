"""Gate reviews: an operator requests the gate out of the current stage, a gatekeeper decides it.

The state machine itself is ``domain/gates.py``; this module loads the rows, calls it and writes what
it returns: the decision, the project's new stage/status/TRL, the condition or rework milestones, and
the entered stage's template milestones. It also edits the gate templates (admin).
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..domain import gates as dg
from ..errors import Conflict, Forbidden, Invalid, StateConflict
from ..i18n import LazyLabel, in_both
from ..inputs.projects import GateDecision, GateRequest
from ..inputs.projects import GateTemplateItem as TemplateItemInput
from ..messages import gate_check_message
from ..models import GateReview, GateTemplateItem, Milestone, Platform, Project, utcnow
from ..queries import gates as gq
from ..queries.jobs import active_admin_ids
from . import audit
from .milestones import AUDIT_FIELDS as MILESTONE_AUDIT_FIELDS
from .milestones import FIX, apply_stage_template, audit_child, domain_error
from .projects import AUDIT_FIELDS as PROJECT_AUDIT_FIELDS

CONDITION_DUE_DAYS = 90  # default due date of a conditional go's conditions
REVIEW_AUDIT_FIELDS = ("project_id", "from_stage", "to_stage", "requested_by_id", "note", "decision", "rationale",
                       "conditions", "rework_due_on", "decided_by_id", "decided_at")


def gate_check(session: Session, project: Project) -> dg.GateCheck:
    """Whether the gate out of the project's current stage may be requested now (two small queries)."""
    milestones = session.exec(
        select(Milestone.id, Milestone.stage, Milestone.is_gate_criterion, Milestone.status, Milestone.title)
        .where(Milestone.project_id == project.id, Milestone.stage == project.stage)
        .order_by(Milestone.due_on, Milestone.id)).all()
    pending = gq.pending_review(session, project.id) is not None
    return dg.can_request_gate(project.status, project.stage, [tuple(m) for m in milestones], pending)


def request_gate_review(session: Session, user, project: Project, data: GateRequest) -> GateReview:
    """Ask for the gate out of the current stage; refused (409) while must-meet milestones are open,
    a review is pending, or the project is not active."""
    check = gate_check(session, project)
    if not check.ok:
        raise Conflict(gate_check_message(check))
    target = dg.gate_target(project.stage)
    review = GateReview(project_id=project.id, from_stage=project.stage, to_stage=str(target) if target else None,
                        requested_by_id=getattr(user, "id", None), note=data.note)
    session.add(review)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request won: one pending review per project
        raise Conflict(_l("A gate review for this project is already pending.")) from None
    audit_child(session, user, "gate_review", review.id, "request", project.id, None,
                audit.snapshot(review, REVIEW_AUDIT_FIELDS))
    _notify_requested(session, user, project, review)
    return review


# --- telling people -------------------------------------------------------------------------------------

def _recipients(session: Session, model, platform_id: int, role: str) -> list[int]:
    from ..models import User

    return list(session.exec(select(User.id).join(model, model.user_id == User.id)
                             .where(model.platform_id == platform_id, User.active.is_(True), User.role == role)).all())


def _notify_requested(session: Session, user, project: Project, review: GateReview) -> None:
    """The platform's gatekeepers and the admins hear of a new gate request (never the requester)."""
    from ..models import Gatekeeper
    from . import notifications

    admins = active_admin_ids(session)
    recipients = set(_recipients(session, Gatekeeper, project.platform_id, "reviewer")) | set(admins)
    recipients.discard(getattr(user, "id", None))
    context = {"project_title_zh": project.title_zh, "project_title_en": project.title_en,
               "stage": dg.Stage(project.stage)}  # texts: templates/mail/gate_requested.txt
    notifications.notify(session, [
        notifications.Message("gate_requested", uid, f"gate_requested:review={review.id}:user={uid}", context,
                              link=f"/projects/{project.id}")
        for uid in sorted(recipients)])


def _notify_decided(session: Session, user, project: Project, review: GateReview) -> None:
    """The platform's operators (and the requester) hear of the decision."""
    from ..models import OperatorPlatform
    from . import notifications

    recipients = set(_recipients(session, OperatorPlatform, project.platform_id, "operator"))
    if review.requested_by_id:
        recipients.add(review.requested_by_id)
    recipients.discard(getattr(user, "id", None))
    context = {"project_title_zh": project.title_zh, "project_title_en": project.title_en,
               "stage": dg.Stage(review.from_stage), "decision": dg.Decision(review.decision),
               "rationale": review.rationale or ""}  # texts: templates/mail/gate_decided.txt
    notifications.notify(session, [
        notifications.Message("gate_decided", uid, f"gate_decided:review={review.id}:user={uid}", context,
                              link=f"/projects/{project.id}")
        for uid in sorted(recipients)])


def check_decidable(review: GateReview, project: Project) -> None:
    """A gate review is decided once, while its project is active and still in the stage it was requested from:
    otherwise 409 naming what stands in the way (``gate_review_decided``, ``project_<status>``)."""
    if review.decision is not None:
        raise StateConflict(_l("This gate review has already been decided."), subject="gate_review", state="decided")
    if project.status != "active":
        raise StateConflict(_l("The project's status is “%(status)s”; no gate can be decided.",
                               status=LazyLabel(dg.ProjectStatus(project.status))), subject="project",
                            state=project.status)
    if review.project_id != project.id or review.from_stage != project.stage:
        raise Conflict(_l("The project has moved on since this gate review was requested."))


def decide_gate(session: Session, user, review: GateReview, project: Project, data: GateDecision, *,
                today: date) -> dg.GateOutcome:
    """Record a gate decision and move the project as DESIGN §3 says.

    go / conditional_go advance one stage (S4: transferred), conditions become must-meet milestones of
    the next stage (due ``conditions_due_on``, default today + 90 days), the entered stage's template is
    copied; hold → on_hold; recycle → a rework milestone due ``rework_due_on``; kill → killed.
    A second decision on the same review (even a concurrent one) answers 409.
    """
    if getattr(user, "id", None) is not None and user.id == review.requested_by_id:
        raise Forbidden(_l("The person who requested a gate review may not decide it."))
    check_decidable(review, project)

    dec, rework_due_on = data.decision, data.rework_due_on
    errors: dict[str, Any] = {}
    if dec is not dg.Decision.GO and not data.rationale:
        errors["rationale"] = _l("This field is required.")
    if dec is dg.Decision.RECYCLE and rework_due_on is not None and rework_due_on < today:
        errors["rework_due_on"] = _l("The rework due date may not lie in the past.")
    if errors:
        raise Invalid(FIX, fields=errors)

    claimed = session.exec(select(Milestone.trl_claimed).where(
        Milestone.project_id == project.id, Milestone.stage == review.from_stage, Milestone.status == "done",
        Milestone.trl_claimed.is_not(None))).all()
    try:
        outcome = dg.apply_decision(project.stage, project.status, dec, conditions=data.conditions,
                                    rework_due_on=rework_due_on if dec is dg.Decision.RECYCLE else None,
                                    current_trl=project.trl_current, claimed_trls=list(claimed))
    except dg.GateError as exc:
        raise domain_error(exc) from None

    now = utcnow()
    kept_conditions = [m.title for m in outcome.milestones_to_create if m.reason == "condition"]
    # conditional UPDATE: of two concurrent deciders only one finds the review still pending
    result = session.execute(
        update(GateReview).where(GateReview.id == review.id, GateReview.decision.is_(None))
        .values(decision=str(dec), rationale=data.rationale, conditions=kept_conditions,
                rework_due_on=rework_due_on if dec is dg.Decision.RECYCLE else None,
                decided_by_id=getattr(user, "id", None), gatekeeper_id=getattr(user, "id", None), decided_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise StateConflict(_l("This gate review has already been decided."), subject="gate_review", state="decided")
    session.refresh(review)

    before = audit.snapshot(project, PROJECT_AUDIT_FIELDS)
    project.stage = str(outcome.new_stage)
    project.status = str(outcome.new_status)
    project.trl_current = outcome.new_trl
    session.add(project)
    session.flush()  # bumps the project's version: a concurrent change surfaces as 409

    audit_child(session, user, "gate_review", review.id, "decide", project.id, None,
                {**audit.snapshot(review, REVIEW_AUDIT_FIELDS), "to_stage": review.to_stage})
    audit.record(session, user, "project", project.id, f"gate_{dec}", before,
                 {**audit.snapshot(project, PROJECT_AUDIT_FIELDS), "gate_review_id": review.id})

    due_default = data.conditions_due_on or today + timedelta(days=CONDITION_DUE_DAYS)
    created = []
    for new in outcome.milestones_to_create:
        if new.reason == "rework":  # named in both languages: the title in Chinese, the English as deliverable
            title, deliverable = in_both("Rework: %(stage)s", stage=LazyLabel(new.stage))
        else:
            title, deliverable = new.title, ""
        milestone = Milestone(project_id=project.id, stage=str(new.stage), title=title,
                              due_on=new.due_on or due_default, status="planned",
                              is_gate_criterion=new.is_gate_criterion, deliverable=deliverable)
        session.add(milestone)
        created.append((milestone, new.reason))
    if created:
        session.flush()
        for milestone, reason in created:
            audit_child(session, user, "milestone", milestone.id, "create", project.id, None,
                        {**audit.snapshot(milestone, MILESTONE_AUDIT_FIELDS), "reason": reason,
                         "gate_review_id": review.id})
    if outcome.entered_stage is not None:
        apply_stage_template(session, user, project, str(outcome.entered_stage), today=today)
    _notify_decided(session, user, project, review)
    return outcome


# --- gate templates (admin) -----------------------------------------------------------------------------

TEMPLATE_FIELDS = ("stage", "title_zh", "title_en", "deliverable_zh", "deliverable_en", "due_days")
TEMPLATE_AUDIT_FIELDS = ("platform_id", "stage", "position") + TEMPLATE_FIELDS[1:]


def _next_position(session: Session, platform_id: int | None, stage: str) -> int:
    cond = GateTemplateItem.platform_id.is_(None) if platform_id is None else GateTemplateItem.platform_id == platform_id
    current = session.exec(select(func.max(GateTemplateItem.position)).where(cond, GateTemplateItem.stage == stage)).one()
    return 0 if current is None else current + 1


def add_template_item(session: Session, user, platform: Platform | None, data: TemplateItemInput) -> GateTemplateItem:
    """Add a must-meet item to the programme defaults (platform None) or to a platform's own template.

    A platform's first item for a stage starts its own template for that stage: the programme defaults
    of that stage are copied first, so adding never silently drops them.
    """
    clean = data.model_dump()
    platform_id = platform.id if platform is not None else None
    if platform_id is not None:
        _materialise_stage(session, user, platform, clean["stage"])
    item = GateTemplateItem(platform_id=platform_id, position=_next_position(session, platform_id, clean["stage"]),
                            **clean)
    session.add(item)
    session.flush()
    audit.record(session, user, "gate_template_item", item.id, "create", None,
                 audit.snapshot(item, TEMPLATE_AUDIT_FIELDS))
    return item


def _materialise_stage(session: Session, user, platform: Platform, stage: str) -> list[GateTemplateItem]:
    """Give a platform its own copy of a stage's effective template (no-op when it already has one)."""
    source, entries = gq.effective_templates(session, platform.id)[stage]
    if source == "platform":
        return []
    rows = []
    for pos, entry in enumerate(entries):
        row = GateTemplateItem(platform_id=platform.id, stage=stage, position=pos, title_zh=entry.title_zh,
                               title_en=entry.title_en, deliverable_zh=entry.deliverable_zh,
                               deliverable_en=entry.deliverable_en, due_days=entry.due_days)
        session.add(row)
        rows.append(row)
    if rows:
        session.flush()
        for row in rows:
            audit.record(session, user, "gate_template_item", row.id, "create", None,
                         {**audit.snapshot(row, TEMPLATE_AUDIT_FIELDS), "copied_from": source})
    return rows


def customise_platform_template(session: Session, user, platform: Platform) -> int:
    """Copy the programme template of every stage onto a platform, to be edited there."""
    return sum(len(_materialise_stage(session, user, platform, str(stage))) for stage in dg.Stage)


def reset_platform_template(session: Session, user, platform: Platform, stage: str | None = None) -> int:
    """Drop a platform's own template (of one stage, or all): the programme defaults apply again."""
    rows = [r for r in gq.template_rows(session, platform.id) if stage is None or r.stage == stage]
    for row in rows:
        audit.record(session, user, "gate_template_item", row.id, "delete",
                     audit.snapshot(row, TEMPLATE_AUDIT_FIELDS), None)
        session.delete(row)
    session.flush()
    return len(rows)


def update_template_item(session: Session, user, item: GateTemplateItem, data: TemplateItemInput) -> GateTemplateItem:
    clean = data.model_dump()
    before = audit.snapshot(item, TEMPLATE_AUDIT_FIELDS)
    if "stage" in clean and clean["stage"] != item.stage:
        item.position = _next_position(session, item.platform_id, clean["stage"])
    for key, value in clean.items():
        setattr(item, key, value)
    session.add(item)
    session.flush()
    audit.record(session, user, "gate_template_item", item.id, "update", before,
                 audit.snapshot(item, TEMPLATE_AUDIT_FIELDS))
    return item


def delete_template_item(session: Session, user, item: GateTemplateItem) -> None:
    audit.record(session, user, "gate_template_item", item.id, "delete", audit.snapshot(item, TEMPLATE_AUDIT_FIELDS),
                 None)
    session.delete(item)
    session.flush()
