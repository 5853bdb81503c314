"""The audit log (admin): ``GET /api/v1/audit?entity_type=&entity_id=``.

``entity_type=project&entity_id=N`` answers the project's whole history: its own events and those of
its milestones, gate reviews, outcomes and evidence files (``related=false`` keeps only the project's
own). Oldest first unless ``order=desc``.
"""
from __future__ import annotations

from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .. import permissions
from ..db import get_session
from ..inputs import DbInt, Text
from ..loaders import require
from ..queries import audit as q
from .core import current_actor
from .schemas import Instant
from .spec import LongPageQuery, Order, endpoint, page_of


class AuditQuery(LongPageQuery):
    model_config = ConfigDict(extra="ignore")

    entity_type: Optional[Annotated[Text(40), StringConstraints(pattern=r"^[A-Za-z0-9_]+$")]] = Field(
        default=None, description="project|milestone|gate_review|outcome|evidence_file|platform|user|…")
    entity_id: Optional[DbInt] = None
    related: bool = Field(default=True, description="projects: include the events of their child rows")
    order: Order = Order.ASC


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: Instant
    actor_id: Optional[int]
    actor_label: str
    entity_type: str
    entity_id: Optional[int]
    action: str
    before: Optional[dict[str, Any]]
    after: Optional[dict[str, Any]]
    prev_hash: str
    hash: str


@endpoint("/audit", resp=AuditEventOut, paginated=True)
def audit_list(query: AuditQuery):
    """Audit events (admin); a project's history includes its milestones, gate reviews, outcomes and evidence"""
    require(permissions.can_view_audit(current_actor()))
    rows, total = q.list_events(get_session(), entity_type=query.entity_type, entity_id=query.entity_id,
                                related=query.related, newest_first=query.order is Order.DESC, page=query.page,
                                per_page=query.per_page)
    return page_of((AuditEventOut.model_validate(ev) for ev in rows), query, total)
