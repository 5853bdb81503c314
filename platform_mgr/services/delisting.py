"""Delisting review (DESIGN §4): two consecutive Fails mark a platform for delisting review at the close of the
second cycle; the admins are notified; an admin resolves it — delist (the same change as the admin pages'
delist button) or clear the mark with a reason. Every change is audited. Services flush; the view commits."""
from __future__ import annotations

import json
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from ..domain.scoring import delisting_review
from ..enums import DelistingResolution, PlatformStatus
from ..errors import Conflict
from ..inputs.platforms import DelistingReviewResolution, PlatformStatusChange
from ..models import EligibilitySnapshot, Platform, ReviewCycle
from ..queries.jobs import active_admin_ids
from . import audit
from .eligibility import verified_snapshot
from .platforms import change_status

FIELDS = ("delisting_review", "delisting_review_cycle_id")
MAIL_KINDS = ("delisting_review",)  # texts: templates/mail/delisting_review.txt


def _grades(snapshot: EligibilitySnapshot | None) -> dict[int, str | None]:
    if snapshot is None:
        return {}
    return {row["platform_id"]: row.get("grade") for row in json.loads(snapshot.payload)["rows"]}


def previous_cycle(session: Session, cycle: ReviewCycle) -> ReviewCycle | None:
    """The frozen cycle before `cycle` (the latest closed or published one that closes earlier)."""
    return session.exec(
        select(ReviewCycle).where(ReviewCycle.id != cycle.id, ReviewCycle.state.in_(("closed", "published")),
                                  ReviewCycle.closes_at < cycle.closes_at)
        .order_by(ReviewCycle.closes_at.desc(), ReviewCycle.id.desc()).limit(1)).first()


def mark_at_close(session: Session, cycle: ReviewCycle, snapshot: EligibilitySnapshot, *, now: datetime) -> list[int]:
    """Mark every platform that failed this cycle and the previous frozen one (called by close_cycle, after the
    snapshot is frozen); notify the admins. Returns the ids of the platforms marked now."""
    prev = previous_cycle(session, cycle)
    if prev is None:
        return []
    before = session.exec(select(EligibilitySnapshot).where(EligibilitySnapshot.cycle_id == prev.id)).first()
    before_grades = _grades(verified_snapshot(before, prev.name) if before is not None else None)
    ids = [pid for pid, grade in _grades(snapshot).items() if delisting_review(before_grades.get(pid), grade)]
    if not ids:
        return []
    platforms = session.exec(select(Platform).where(Platform.id.in_(ids)).order_by(Platform.code)).all()
    marked = []
    for platform in platforms:
        if platform.delisting_review or platform.status == PlatformStatus.DELISTED:
            continue
        before = audit.snapshot(platform, FIELDS)
        platform.delisting_review, platform.delisting_review_cycle_id = True, cycle.id
        session.add(platform)
        session.flush()
        audit.record(session, None, "platform", platform.id, "delisting_review_mark", before,
                     {**audit.snapshot(platform, FIELDS), "previous_cycle_id": prev.id}, at=now)
        marked.append(platform)
    _notify_admins(session, cycle, marked, now=now)
    return [p.id for p in marked]


def _notify_admins(session: Session, cycle: ReviewCycle, platforms: list[Platform], *, now: datetime) -> None:
    from . import notifications

    if not platforms:
        return
    admins = active_admin_ids(session)
    notifications.notify(session, [
        notifications.Message(MAIL_KINDS[0], uid, f"delisting_review:platform={p.id}:cycle={cycle.id}:user={uid}",
                              {"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en, "cycle_name": cycle.name},
                              link=f"/admin/platforms/{p.id}")
        for p in platforms for uid in admins], now=now)


def resolve(session: Session, actor, platform: Platform, data: DelistingReviewResolution) -> Platform:
    """Delist the platform, or clear the mark, with the reason (audited); 409 when it is not under review."""
    if not platform.delisting_review:
        raise Conflict(_l("The platform is not under delisting review."), code="no_delisting_review")
    if data.decision is DelistingResolution.DELIST:
        change_status(session, actor, platform, PlatformStatusChange(status=PlatformStatus.DELISTED,
                                                                     reason=data.reason))
    before = audit.snapshot(platform, FIELDS)
    platform.delisting_review, platform.delisting_review_cycle_id = False, None
    session.add(platform)
    session.flush()
    audit.record(session, actor, "platform", platform.id, "delisting_review_resolve", before,
                 {**audit.snapshot(platform, FIELDS), "decision": str(data.decision), "reason": data.reason})
    return platform
