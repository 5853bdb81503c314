"""The caller's own review of a platform, and the operator's self-assessment (DESIGN §4, §7)."""
from __future__ import annotations

from typing import Optional

from flask import send_file
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict

from .. import clock, permissions
from ..canonical import iso_utc
from ..db import get_session
from ..errors import Invalid, NotFound
from ..inputs import DbInt
from ..inputs.cycles import ReviewPut, SelfAssessmentPut
from ..inputs.uploads import Upload
from ..loaders import load_attachment, load_cycle_and_platform, require, require_self_assessment_reader
from ..models import utcnow
from ..queries import cycles as q
from ..queries.evidence_panel import evidence_panel
from ..services import reviews as svc
from ..services import self_assessments as sa_svc
from ..services.evidence import CONTENT_TYPES as UPLOAD_CONTENT_TYPES
from .core import commit, current_actor, current_user_obj
from .cycles import criterion_out
from .cycles_schemas import ReviewOut, SelfAssessmentOut
from .spec import endpoint


class ReviewQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reviewer_id: Optional[DbInt] = None  # admins: whose review


def self_assessment_out(session, cycle, platform) -> SelfAssessmentOut:
    sa = q.get_self_assessment(session, cycle.id, platform.id)
    files = q.self_assessment_files(session, sa.id if sa else None)
    return SelfAssessmentOut(
        cycle_id=cycle.id, platform_id=platform.id, verification=sa.verification if sa else "",
        service=sa.service if sa else "", operating=sa.operating if sa else "",
        updated_at=sa.updated_at if sa else None, version=sa.version if sa else 0,
        attachments=[{"id": f.id, "name": f.original_name, "size": f.size_bytes, "content_type": f.content_type,
                      "sha256": f.sha256, "uploaded_at": iso_utc(f.uploaded_at)}
                     for f in files])


def _others(session, cycle, platform_id: int, own_assignment_id: int) -> list[dict]:
    """The other submitted reviews of the platform, anonymised (only asked for once the cycle is closed)."""
    out = []
    label = 0
    for a, scores in q.platform_review_scores(session, cycle.id, platform_id):
        if a.id == own_assignment_id or a.review_state != "submitted":
            continue
        label += 1
        out.append({"reviewer": chr(ord("A") + (label - 1) % 26) + ("" if label <= 26 else str(label)),
                    "conflict": a.conflicted, "counted": not a.conflicted,
                    "scores": {code: t / 10 for code, t in scores.items()},
                    "total": sum(scores.values()) / 10 if scores else None, "comment": a.comment})
    return out


def review_out(session, cycle, platform, assignment, actor) -> ReviewOut:
    criteria = q.rubric_criteria(session, cycle.rubric_id)
    scores = q.review_scores(session, assignment.id)
    others = None
    if permissions.can_view_other_reviews(actor, cycle, assignment):
        others = _others(session, cycle, platform.id, assignment.id)
    return ReviewOut(
        cycle_id=assignment.cycle_id, platform_id=assignment.platform_id, reviewer_id=assignment.reviewer_id,
        review_state=assignment.review_state, conflict_note=assignment.conflict_note, comment=assignment.comment,
        submitted_at=assignment.submitted_at, version=assignment.version, assignment_id=assignment.id,
        conflict=assignment.conflict_declared, scores={code: t / 10 for code, t in scores.items()},
        total=(sum(scores.values()) / 10) if scores else None, criteria=[criterion_out(c) for c in criteria],
        evidence=evidence_panel(session, platform.id, cycle.window_start, cycle.window_end, clock.today()),
        self_assessment=None if actor.is_reviewer and permissions.is_conflicted(assignment)  # DESIGN §10
        else self_assessment_out(session, cycle, platform).model_dump(mode="json"), others=others)


def _cycle_and_platform(cycle_id: int, platform_id: int) -> dict:
    cycle, platform = load_cycle_and_platform(cycle_id, platform_id)
    return {"cycle": cycle, "platform": platform}


def _own_assignment(cycle_id: int, platform_id: int) -> dict:
    loaded = _cycle_and_platform(cycle_id, platform_id)
    a = current_actor()
    require(a.is_reviewer, a)
    assignment = q.get_assignment(get_session(), loaded["cycle"].id, a.id, loaded["platform"].id)
    require(assignment is not None, a)
    return {**loaded, "assignment": assignment}


@endpoint("/cycles/<int:cycle_id>/reviews/<int:platform_id>", resp=ReviewOut, authorise=_cycle_and_platform)
def reviews_get(cycle_id: int, platform_id: int, cycle, platform, query: ReviewQuery):
    """The caller's own review of a platform with the criteria, the evidence panel and the self-assessment (admins: ?reviewer_id=); the other reviewers' scores only once the cycle is closed, and never beside a conflicted review"""  # noqa: E501
    session = get_session()
    a = current_actor()
    if a.is_admin:
        if query.reviewer_id is None:
            raise Invalid(_l("Please correct the marked fields."), fields={"reviewer_id": _l("This field is required.")})
        reviewer_id = query.reviewer_id
    else:
        require(a.is_reviewer)
        reviewer_id = a.id
    assignment = q.get_assignment(session, cycle.id, reviewer_id, platform.id)
    if assignment is None:
        if a.is_admin:
            raise NotFound(_l("This reviewer is not assigned to this platform in this cycle."))
        require(False)  # a reviewer not assigned to this platform in this cycle
    require(permissions.can_view_review(a, cycle, assignment))
    return review_out(session, cycle, platform, assignment, a)


@endpoint("/cycles/<int:cycle_id>/reviews/<int:platform_id>", "PUT", resp=ReviewOut, name="reviews_put",
          authorise=_own_assignment)
def reviews_put(cycle_id: int, platform_id: int, cycle, platform, assignment, json: ReviewPut):
    """Save the caller's review: the whole set of scores, comment, conflict declaration; "submit": true locks it. Carries "version" (the one read; missing → 422, stale → 409). Points outside 0..max or unknown criteria → 422 naming the code; not open, or already submitted → 409"""  # noqa: E501
    session = get_session()
    svc.save_review(session, current_user_obj(), cycle, assignment, json, now=utcnow())
    commit()
    return review_out(session, cycle, platform, assignment, current_actor())


# --- self-assessments ----------------------------------------------------------------------------

def _readable(cycle_id: int, platform_id: int) -> dict:
    loaded = _cycle_and_platform(cycle_id, platform_id)
    require_self_assessment_reader(loaded["cycle"], loaded["platform"])
    return loaded


def _authored(cycle_id: int, platform_id: int, **_more) -> dict:
    loaded = _cycle_and_platform(cycle_id, platform_id)
    require(permissions.can_author_self_assessment(current_actor(), loaded["platform"]))
    return loaded


@endpoint("/cycles/<int:cycle_id>/self-assessments/<int:platform_id>", resp=SelfAssessmentOut, authorise=_readable)
def self_assessment_get(cycle_id: int, platform_id: int, cycle, platform):
    """A platform's self-assessment in a cycle (its operators, admins, its reviewers in the cycle)"""
    return self_assessment_out(get_session(), cycle, platform)


@endpoint("/cycles/<int:cycle_id>/self-assessments/<int:platform_id>", "PUT", resp=SelfAssessmentOut,
          name="self_assessment_put", authorise=_authored)
def self_assessment_put(cycle_id: int, platform_id: int, cycle, platform, json: SelfAssessmentPut):
    """Write the self-assessment narratives (operators of the platform, admins) while the cycle is a draft or open. Carries "version" (the one read, 0 while none exists; missing → 422, stale → 409)"""  # noqa: E501
    session = get_session()
    sa_svc.save_self_assessment(session, current_user_obj(), cycle, platform, json, now=utcnow())
    commit()
    return self_assessment_out(session, cycle, platform)


@endpoint("/cycles/<int:cycle_id>/self-assessments/<int:platform_id>/attachments", "POST", resp=SelfAssessmentOut,
          status=201, name="self_assessment_attach", authorise=_authored)
def self_assessment_attach(cycle_id: int, platform_id: int, cycle, platform, form: Upload):
    """Attach a file to the self-assessment (multipart "file"; pdf, images, office documents, text)"""
    session = get_session()
    upload = form.file
    sa_svc.add_attachment(session, current_user_obj(), cycle, platform, upload.stream, upload.filename or "")
    commit()
    return self_assessment_out(session, cycle, platform), 201


@endpoint("/cycles/<int:cycle_id>/self-assessments/<int:platform_id>/attachments/<int:file_id>", "DELETE",
          resp=SelfAssessmentOut, name="self_assessment_detach", authorise=_authored)
def self_assessment_detach(cycle_id: int, platform_id: int, file_id: int, cycle, platform):
    """Remove an attachment (operators of the platform, admins; draft or open cycle)"""
    session = get_session()
    f, sa = q.get_attachment_or_404(session, file_id)
    if sa.cycle_id != cycle.id or sa.platform_id != platform.id:
        raise NotFound(_l("No such file."))
    sa_svc.remove_attachment(session, current_user_obj(), cycle, f)
    commit()
    return self_assessment_out(session, cycle, platform)


@endpoint("/self-assessment-files/<int:file_id>", binary=UPLOAD_CONTENT_TYPES)
def self_assessment_file(file_id: int):
    """Download a self-assessment attachment"""
    file, path = load_attachment(file_id)
    return send_file(path, mimetype=file.content_type, as_attachment=True, download_name=file.original_name,
                     max_age=0)
