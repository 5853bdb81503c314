"""The caller: who they are and the platforms they are bound to."""
from __future__ import annotations

from sqlmodel import select

from ..db import get_session
from ..models import Platform
from .core import current_actor, current_user_obj
from .schemas import MeOut, MyPlatform
from .spec import endpoint


@endpoint("/me", resp=MeOut)
def me():
    """The caller"""
    user = current_user_obj()
    actor = current_actor()
    ids = set(actor.operator_platform_ids | actor.gatekeeper_platform_ids | actor.assigned_platform_ids)
    platforms = []
    if ids:
        for p in get_session().exec(select(Platform).where(Platform.id.in_(ids)).order_by(Platform.code)).all():
            relation = [name for name, bound in (("operator", p.id in actor.operator_platform_ids),
                                                 ("gatekeeper", p.id in actor.gatekeeper_platform_ids),
                                                 ("reviewer", p.id in actor.assigned_platform_ids)) if bound]
            platforms.append(MyPlatform(id=p.id, code=p.code, name_zh=p.name_zh, name_en=p.name_en,
                                        relation=relation))
    return MeOut(id=user.id, email=user.email, display_name=user.display_name, role=user.role,
                 affiliation=user.affiliation, preferred_lang=user.preferred_lang, platforms=platforms)
