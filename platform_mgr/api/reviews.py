"""The caller's own review of a platform, and the operator's self-assessment (DESIGN §4, §7)."""
from __future__ import annotations

from flask import jsonify, request, send_file
from flask_babel import lazy_gettext as _l

from .. import permissions
from ..db import get_session
from ..errors import Invalid, NotFound
from ..i18n import shanghai_today
from ..models import utcnow
from ..queries import cycles as q
from ..queries.evidence_panel import evidence_panel
from ..queries.platforms import get_platform_or_404
from ..services import reviews as svc
from ..services.evidence import CONTENT_TYPES as UPLOAD_CONTENT_TYPES
from ..services import self_assessments as sa_svc
from . import serialise
from .core import commit, current_actor, current_user_obj, int_arg, parse_body, require, route
from .cycles import criterion_json
from .cycles_schemas import ReviewOut, ReviewPut, SelfAssessmentOut, SelfAssessmentPut


def self_assessment_json(session, cycle, platform) -> dict:
    sa = q.get_self_assessment(session, cycle.id, platform.id)
    files = q.self_assessment_files(session, sa.id if sa else None)
    return {
        "cycle_id": cycle.id, "platform_id": platform.id,
        "verification": sa.verification if sa else "", "service": sa.service if sa else "",
        "operating": sa.operating if sa else "",
        "updated_at": serialise.iso(sa.updated_at) if sa else None, "version": sa.version if sa else 0,
        "attachments": [{"id": f.id, "name": f.original_name, "size": f.size_bytes, "content_type": f.content_type,
                         "sha256": f.sha256, "uploaded_at": serialise.iso(f.uploaded_at)} for f in files],
    }


def _others(session, cycle, platform_id: int, own_assignment_id: int, criteria) -> list[dict]:
    """The other submitted reviews of the platform, anonymised (only asked for once the cycle is closed)."""
    out = []
    label = 0
    for a, scores in q.platform_review_scores(session, cycle.id, platform_id):
        if a.id == own_assignment_id or a.review_state != "submitted":
            continue
        label += 1
        out.append({"reviewer": chr(ord("A") + (label - 1) % 26) + ("" if label <= 26 else str(label)),
                    "conflict": a.conflict_declared, "counted": not a.conflict_declared,
                    "scores": {code: t / 10 for code, t in scores.items()},
                    "total": sum(scores.values()) / 10 if scores else None, "comment": a.comment})
    return out


def review_json(session, cycle, platform, assignment, actor) -> dict:
    criteria = q.rubric_criteria(session, cycle.rubric_id)
    scores = q.review_scores(session, assignment.id)
    data = serialise.fields(assignment, ("cycle_id", "platform_id", "reviewer_id", "review_state", "conflict_note",
                                         "comment", "submitted_at", "version"))
    data.update(
        assignment_id=assignment.id, conflict=assignment.conflict_declared,
        scores={code: t / 10 for code, t in scores.items()},
        total=(sum(scores.values()) / 10) if scores else None,
        criteria=[criterion_json(c) for c in criteria],
        evidence=evidence_panel(session, platform.id, cycle.window_start, cycle.window_end, shanghai_today()),
        self_assessment=self_assessment_json(session, cycle, platform),
        others=None,
    )
    if cycle.state in ("closed", "published") and permissions.can_view_review(actor, cycle, assignment):
        data["others"] = _others(session, cycle, platform.id, assignment.id, criteria)
    return data


def _load(cycle_id: int, platform_id: int):
    session = get_session()
    cycle = q.get_cycle_or_404(session, cycle_id)
    platform = get_platform_or_404(session, platform_id)
    return session, cycle, platform


@route("/cycles/<int:cycle_id>/reviews/<int:platform_id>", ["GET"],
       summary="The caller's own review of a platform with the criteria, the evidence panel and the self-assessment "
               "(admins: ?reviewer_id=); the other reviewers' scores only once the cycle is closed",
       response=ReviewOut, query={"reviewer_id": "admins: whose review"})
def reviews_get(cycle_id: int, platform_id: int):
    session, cycle, platform = _load(cycle_id, platform_id)
    a = current_actor()
    if a.is_admin:
        reviewer_id = int_arg("reviewer_id", required=True)
    else:
        require(a.is_reviewer)
        reviewer_id = a.id
    assignment = q.get_assignment(session, cycle.id, reviewer_id, platform.id)
    if assignment is None:
        if a.is_admin:
            raise NotFound(_l("This reviewer is not assigned to this platform in this cycle."))
        require(False)  # a reviewer not assigned to this platform in this cycle
    require(permissions.can_view_review(a, cycle, assignment))
    return jsonify(review_json(session, cycle, platform, assignment, a))


@route("/cycles/<int:cycle_id>/reviews/<int:platform_id>", ["PUT"],
       summary="Save the caller's review: the whole set of scores, comment, conflict declaration; \"submit\": true "
               "locks it. Points outside 0..max or unknown criteria → 422 naming the code; not open, or already "
               "submitted → 409", body=ReviewPut, response=ReviewOut, endpoint="reviews_put")
def reviews_put(cycle_id: int, platform_id: int):
    session, cycle, platform = _load(cycle_id, platform_id)
    a = current_actor()
    require(a.is_reviewer)
    assignment = q.get_assignment(session, cycle.id, a.id, platform.id)
    require(assignment is not None)
    body = parse_body(ReviewPut)
    svc.save_review(session, current_user_obj(), cycle, assignment, scores=body.scores, comment=body.comment,
                    conflict=body.conflict, conflict_note=body.conflict_note, submit=body.submit,
                    version=body.version, now=utcnow())
    commit()
    return jsonify(review_json(session, cycle, platform, assignment, a))


# --- self-assessments ----------------------------------------------------------------------------

def _can_read_self_assessment(session, actor, cycle, platform) -> bool:
    if not permissions.can_view_self_assessment(actor, cycle, platform):
        return False
    if actor.is_reviewer:  # assigned to this platform in *this* cycle
        return q.get_assignment(session, cycle.id, actor.id, platform.id) is not None
    return True


@route("/cycles/<int:cycle_id>/self-assessments/<int:platform_id>", ["GET"],
       summary="A platform's self-assessment in a cycle (its operators, admins, its reviewers in the cycle)",
       response=SelfAssessmentOut)
def self_assessment_get(cycle_id: int, platform_id: int):
    session, cycle, platform = _load(cycle_id, platform_id)
    require(_can_read_self_assessment(session, current_actor(), cycle, platform))
    return jsonify(self_assessment_json(session, cycle, platform))


@route("/cycles/<int:cycle_id>/self-assessments/<int:platform_id>", ["PUT"],
       summary="Write the self-assessment narratives (operators of the platform, admins) while the cycle is a "
               "draft or open; \"version\" guards against lost updates", body=SelfAssessmentPut,
       response=SelfAssessmentOut, endpoint="self_assessment_put")
def self_assessment_put(cycle_id: int, platform_id: int):
    session, cycle, platform = _load(cycle_id, platform_id)
    require(permissions.can_author_self_assessment(current_actor(), platform))
    body = parse_body(SelfAssessmentPut)
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    sa_svc.save_self_assessment(session, current_user_obj(), cycle, platform, data=data, version=version,
                                now=utcnow())
    commit()
    return jsonify(self_assessment_json(session, cycle, platform))


@route("/cycles/<int:cycle_id>/self-assessments/<int:platform_id>/attachments", ["POST"],
       summary="Attach a file to the self-assessment (multipart \"file\"; pdf, images, office documents, text)",
       response=SelfAssessmentOut, multipart=True, endpoint="self_assessment_attach")
def self_assessment_attach(cycle_id: int, platform_id: int):
    session, cycle, platform = _load(cycle_id, platform_id)
    require(permissions.can_author_self_assessment(current_actor(), platform))
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(_l("Choose a file to upload."), fields={"file": _l("This field is required.")})
    sa_svc.add_attachment(session, current_user_obj(), cycle, platform, upload.stream, upload.filename or "")
    commit()
    return jsonify(self_assessment_json(session, cycle, platform)), 201


@route("/cycles/<int:cycle_id>/self-assessments/<int:platform_id>/attachments/<int:file_id>", ["DELETE"],
       summary="Remove an attachment (operators of the platform, admins; draft or open cycle)",
       response=SelfAssessmentOut, endpoint="self_assessment_detach")
def self_assessment_detach(cycle_id: int, platform_id: int, file_id: int):
    session, cycle, platform = _load(cycle_id, platform_id)
    require(permissions.can_author_self_assessment(current_actor(), platform))
    f, sa = q.get_attachment_or_404(session, file_id)
    if sa.cycle_id != cycle.id or sa.platform_id != platform.id:
        raise NotFound(_l("No such file."))
    sa_svc.remove_attachment(session, current_user_obj(), cycle, f)
    commit()
    return jsonify(self_assessment_json(session, cycle, platform))


@route("/self-assessment-files/<int:file_id>", ["GET"], summary="Download a self-assessment attachment",
       binary=UPLOAD_CONTENT_TYPES)
def self_assessment_file(file_id: int):
    session = get_session()
    f, sa = q.get_attachment_or_404(session, file_id)
    cycle = q.get_cycle_or_404(session, sa.cycle_id)
    platform = get_platform_or_404(session, sa.platform_id)
    require(_can_read_self_assessment(session, current_actor(), cycle, platform))
    path = sa_svc.file_path(f)
    if not path.exists():
        raise NotFound(_l("No such file."))
    return send_file(path, mimetype=f.content_type, as_attachment=True, download_name=f.original_name,
                     max_age=0)
