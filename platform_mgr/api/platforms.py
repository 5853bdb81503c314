"""Platforms: list and read (anyone who may see them), create and edit (admin)."""
from __future__ import annotations

from typing import Optional

from pydantic import ConfigDict

from .. import permissions
from ..db import get_session
from ..enums import PlatformField, PlatformStatus
from ..inputs.platforms import DelistingReviewResolution, PlatformCreate, PlatformUpdate
from ..loaders import load_platform, require
from ..queries import platforms as q
from ..services import delisting
from ..services import platforms as svc
from .core import commit, current_actor, current_user_obj
from .schemas import PlatformOut
from .spec import PageQuery, endpoint, page_of


class PlatformQuery(PageQuery):
    model_config = ConfigDict(extra="ignore")

    status: Optional[PlatformStatus] = None
    field: Optional[PlatformField] = None


def _out(session, platform) -> PlatformOut:
    return PlatformOut.of(platform, q.project_counts(session, [platform.id]).get(platform.id, 0))


@endpoint("/platforms", resp=PlatformOut, paginated=True)
def platforms_list(query: PlatformQuery):
    """List platforms"""
    require(permissions.can_list_platforms(current_actor()))
    rows, counts, total = q.list_platforms(get_session(), page=query.page, per_page=query.per_page,
                                           status=query.status, field=query.field)
    return page_of((PlatformOut.of(p, counts.get(p.id, 0)) for p in rows), query, total)


@endpoint("/platforms", "POST", resp=PlatformOut, status=201, name="platforms_create",
          authorise=lambda: require(permissions.can_manage_platforms(current_actor())))
def platforms_create(json: PlatformCreate):
    """Create a platform (admin)"""
    platform = svc.create_platform(get_session(), current_user_obj(), json)
    commit()
    return PlatformOut.of(platform, 0), 201


@endpoint("/platforms/<int:platform_id>", resp=PlatformOut)
def platforms_detail(platform_id: int):
    """A platform"""
    session = get_session()
    return _out(session, load_platform(platform_id))


def _may_manage(platform_id: int) -> dict:
    return {"platform": load_platform(platform_id, need=permissions.can_manage_platform)}


@endpoint("/platforms/<int:platform_id>", "PATCH", resp=PlatformOut, name="platforms_update", authorise=_may_manage)
def platforms_update(platform_id: int, platform, json: PlatformUpdate):
    """Update a platform (admin)"""
    session = get_session()
    svc.update_platform(session, current_user_obj(), platform, json)
    commit()
    return _out(session, platform)


@endpoint("/platforms/<int:platform_id>/delisting-review", "POST", resp=PlatformOut,
          name="platforms_delisting_review", authorise=_may_manage)
def platforms_delisting_review(platform_id: int, platform, json: DelistingReviewResolution):
    """Resolve a platform's delisting review (admin): {"decision": "delist"|"clear", "reason"}; not under review → 409"""  # noqa: E501
    session = get_session()
    delisting.resolve(session, current_user_obj(), platform, json)
    commit()
    return _out(session, platform)
