"""Institutions (DESIGN §10, §17): list (searched), read, create, edit; admins."""
from __future__ import annotations

from typing import Optional

from pydantic import ConfigDict

from .. import permissions
from ..db import get_session
from ..inputs.institutions import InstitutionCreate, InstitutionUpdate
from ..loaders import require
from ..queries import institutions as q
from ..services import institutions as svc
from .core import commit, current_actor, current_user_obj
from .schemas import InstitutionOut
from .spec import PageQuery, endpoint, page_of


class InstitutionQuery(PageQuery):
    model_config = ConfigDict(extra="ignore")

    q: Optional[str] = None


def _may_manage(**_kwargs) -> None:
    require(permissions.can_manage_institutions(current_actor()))


@endpoint("/institutions", resp=InstitutionOut, paginated=True, authorise=_may_manage)
def institutions_list(query: InstitutionQuery):
    """List institutions (admin); ``q`` searches the names, any spelling of them, and the credit code"""
    rows, _counts, total = q.list_institutions(get_session(), page=query.page, per_page=query.per_page,
                                               q=(query.q or "")[:100])
    return page_of((InstitutionOut.model_validate(i) for i in rows), query, total)


@endpoint("/institutions", "POST", resp=InstitutionOut, status=201, name="institutions_create",
          authorise=_may_manage)
def institutions_create(json: InstitutionCreate):
    """Create an institution (admin)"""
    institution = svc.create_institution(get_session(), current_user_obj(), json)
    commit()
    return InstitutionOut.model_validate(institution), 201


def _load(institution_id: int) -> dict:
    _may_manage()
    return {"institution": q.get_institution_or_404(get_session(), institution_id)}


@endpoint("/institutions/<int:institution_id>", resp=InstitutionOut, authorise=_load)
def institutions_detail(institution_id: int, institution):
    """An institution (admin)"""
    return InstitutionOut.model_validate(institution)


@endpoint("/institutions/<int:institution_id>", "PATCH", resp=InstitutionOut, name="institutions_update",
          authorise=_load)
def institutions_update(institution_id: int, institution, json: InstitutionUpdate):
    """Edit an institution (admin): its names, aliases, parent, credit code"""
    svc.update_institution(get_session(), current_user_obj(), institution, json)
    commit()
    return InstitutionOut.model_validate(institution)
