from flask import jsonify

from .. import permissions
from ..db import get_session
from ..queries import platforms as q
from ..services import platforms as svc
from . import serialise
from .core import commit, current_actor, current_user_obj, page_params, paginated, parse_body, require, route
from .schemas import PlatformCreate, PlatformOut, PlatformUpdate


@route("/platforms", ["GET"], summary="List platforms", response=PlatformOut, paginated=True,
       query={"status": "active|suspended|delisted", "field": "platform field"})
def platforms_list():
    from flask import request

    require(permissions.can_list_platforms(current_actor()))
    page, per_page = page_params()
    rows, counts, total = q.list_platforms(get_session(), page=page, per_page=per_page,
                                           status=request.args.get("status") or None,
                                           field=request.args.get("field") or None)
    return paginated([serialise.platform(p, counts.get(p.id, 0)) for p in rows], page, per_page, total)


@route("/platforms", ["POST"], summary="Create a platform (admin)", body=PlatformCreate, response=PlatformOut,
       endpoint="platforms_create")
def platforms_create():
    require(permissions.can_manage_platforms(current_actor()))
    body = parse_body(PlatformCreate)
    platform = svc.create_platform(get_session(), current_user_obj(), body.model_dump())
    commit()
    return jsonify(serialise.platform(platform, 0)), 201


@route("/platforms/<int:platform_id>", ["GET"], summary="A platform", response=PlatformOut)
def platforms_detail(platform_id: int):
    session = get_session()
    platform = q.get_platform_or_404(session, platform_id)
    require(permissions.can_view_platform(current_actor(), platform))
    return jsonify(serialise.platform(platform, q.project_counts(session, [platform.id]).get(platform.id, 0)))


@route("/platforms/<int:platform_id>", ["PATCH"], summary="Update a platform (admin)", body=PlatformUpdate,
       response=PlatformOut, endpoint="platforms_update")
def platforms_update(platform_id: int):
    session = get_session()
    platform = q.get_platform_or_404(session, platform_id)
    require(permissions.can_manage_platforms(current_actor()))
    body = parse_body(PlatformUpdate)
    svc.update_platform(session, current_user_obj(), platform, body.model_dump(exclude_unset=True))
    commit()
    return jsonify(serialise.platform(platform, q.project_counts(session, [platform.id]).get(platform.id, 0)))
