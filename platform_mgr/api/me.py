"""The caller: who they are and the platforms they are bound to."""
from __future__ import annotations

from sqlmodel import select

from ..db import get_session
from ..inputs.accounts import TokenCreate
from ..loaders import load_token
from ..models import Platform
from ..queries import accounts as aq
from ..services import users
from .core import commit, current_actor, current_user_obj
from .schemas import MeOut, MyPlatform, TokenCreated, TokenOut
from .spec import PageQuery, endpoint, page_of


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
                 affiliation=user.affiliation, institution_id=user.institution_id, preferred_lang=user.preferred_lang,
                 platforms=platforms)


# --- the caller's API tokens (DESIGN §9, §17) ----------------------------------------------------------------

@endpoint("/me/tokens", resp=TokenOut, paginated=True)
def me_tokens(query: PageQuery):
    """The caller's API tokens, newest first (revoked and expired ones included)"""
    rows, total = aq.tokens(get_session(), user_id=current_user_obj().id, page=query.page, per_page=query.per_page)
    return page_of((TokenOut.model_validate(r.token) for r in rows), query, total)


@endpoint("/me/tokens", "POST", resp=TokenCreated, status=201)
def me_tokens_create(json: TokenCreate):
    """Create an API token for the caller; the answer holds the secret, this once"""
    user = current_user_obj()
    row, secret = users.issue_token(get_session(), user, user, json)
    commit()
    return TokenCreated(**TokenOut.model_validate(row).model_dump(), token=secret), 201


@endpoint("/me/tokens/<int:token_id>", "DELETE", resp=TokenOut)
def me_tokens_revoke(token_id: int):
    """Revoke one of the caller's tokens (someone else's is not found); it answers 401 from now on"""
    row = load_token(token_id, need=lambda who, token: token.user_id == who.id)
    users.revoke_token(get_session(), current_user_obj(), row)
    commit()
    return TokenOut.model_validate(row)
