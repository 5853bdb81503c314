from flask import jsonify
from sqlmodel import select

from ..db import get_session
from ..models import Platform
from .core import current_actor, current_user_obj, route
from .schemas import MeOut


@route("/me", ["GET"], summary="The caller", response=MeOut)
def me():
    user = current_user_obj()
    actor = current_actor()
    ids = set(actor.operator_platform_ids | actor.gatekeeper_platform_ids | actor.assigned_platform_ids)
    platforms = []
    if ids:
        rows = get_session().exec(select(Platform).where(Platform.id.in_(ids)).order_by(Platform.code)).all()
        for p in rows:
            relation = []
            if p.id in actor.operator_platform_ids:
                relation.append("operator")
            if p.id in actor.gatekeeper_platform_ids:
                relation.append("gatekeeper")
            if p.id in actor.assigned_platform_ids:
                relation.append("reviewer")
            platforms.append({"id": p.id, "code": p.code, "name_zh": p.name_zh, "name_en": p.name_en,
                              "relation": relation})
    return jsonify({"id": user.id, "email": user.email, "display_name": user.display_name, "role": user.role,
                    "affiliation": user.affiliation, "preferred_lang": user.preferred_lang, "platforms": platforms})
