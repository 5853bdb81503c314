"""Build the permissions Actor for a user: two small indexed queries, once per request."""
from __future__ import annotations

from sqlmodel import Session, select

from ..models import Assignment, Gatekeeper, OperatorPlatform, ReviewCycle, User
from ..permissions import ANONYMOUS, Actor, grants_platform_access


def load_actor(session: Session, user: User | None) -> Actor:
    if user is None or not getattr(user, "is_authenticated", False) or user.id is None:
        return ANONYMOUS
    operator_ids: frozenset[int] = frozenset()
    gatekeeper_ids: frozenset[int] = frozenset()
    assigned_ids: frozenset[int] = frozenset()
    if user.role == "operator":
        operator_ids = frozenset(session.exec(
            select(OperatorPlatform.platform_id).where(OperatorPlatform.user_id == user.id)).all())
    elif user.role == "reviewer":
        gatekeeper_ids = frozenset(session.exec(
            select(Gatekeeper.platform_id).where(Gatekeeper.user_id == user.id)).all())
        # a reviewer's assignments with their cycle's state (tens, bounded by the load caps of the cycles):
        # which of them still open the platform to the reviewer is the permissions module's question
        rows = session.exec(select(Assignment, ReviewCycle.state)
                            .join(ReviewCycle, ReviewCycle.id == Assignment.cycle_id)
                            .where(Assignment.reviewer_id == user.id)).all()
        assigned_ids = frozenset(a.platform_id for a, state in rows if grants_platform_access(a, state))
    return Actor(id=user.id, role=user.role, active=user.active, operator_platform_ids=operator_ids,
                 gatekeeper_platform_ids=gatekeeper_ids, assigned_platform_ids=assigned_ids)
