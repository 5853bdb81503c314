"""The audit log (admin): ``GET /api/v1/audit?entity_type=&entity_id=``.

``entity_type=project&entity_id=N`` answers the project's whole history: its own events and those of
its milestones, gate reviews, outcomes and evidence files (``related=false`` keeps only the project's
own). Oldest first unless ``order=desc``.
"""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from .. import permissions
from ..db import get_session
from ..errors import Invalid
from ..queries import audit as q
from .core import current_actor, int_arg, page_params, paginated, require, route
from .projects_schemas import AuditEventOut
from .serialise import fields

EVENT_FIELDS = ("id", "occurred_at", "actor_id", "actor_label", "entity_type", "entity_id", "action", "before",
                "after", "prev_hash", "hash")


@route("/audit", ["GET"], summary="Audit events (admin); a project's history includes its milestones, gate "
       "reviews, outcomes and evidence", response=AuditEventOut, paginated=True,
       query={"entity_type": "project|milestone|gate_review|outcome|evidence_file|platform|user|…",
              "entity_id": "integer", "related": "true|false (projects: include child rows; default true)",
              "order": "asc|desc (default asc)"})
def audit_list():
    require(permissions.can_view_audit(current_actor()))
    page, per_page = page_params(default=50)
    entity_type = (request.args.get("entity_type") or "").strip() or None
    entity_id = int_arg("entity_id")
    related_raw = (request.args.get("related") or "true").lower()
    order = (request.args.get("order") or "asc").lower()
    errors = {}
    if related_raw not in ("true", "false", "1", "0"):
        errors["related"] = _l("Enter true or false.")
    if order not in ("asc", "desc"):
        errors["order"] = _l("This value is not one of the allowed choices.")
    if entity_type is not None and (len(entity_type) > 40 or not entity_type.replace("_", "").isalnum()):
        errors["entity_type"] = _l("This value is not valid.")
    if errors:
        raise Invalid(_l("Please correct the marked fields."), fields=errors)
    rows, total = q.list_events(get_session(), entity_type=entity_type, entity_id=entity_id,
                                related=related_raw in ("true", "1"), newest_first=order == "desc", page=page,
                                per_page=per_page)
    return paginated([fields(ev, EVENT_FIELDS) for ev in rows], page, per_page, total)
