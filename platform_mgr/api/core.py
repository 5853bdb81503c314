"""Bearer authentication and the one error format of the API."""
from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from .. import incidents
from ..db import SAFE_METHODS, get_session, new_session
from ..errors import AppError, Unauthorized
from ..permissions import Actor
from ..queries.access import load_actor
from ..services.users import touch_token, user_for_token
from .blueprint import bp


def current_actor() -> Actor:
    return g.actor


def current_user_obj():
    return g.api_user


@bp.before_request
def authenticate_bearer():
    """Every API call carries ``Authorization: Bearer <token>``; cookies are ignored."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(_l("Missing bearer token."))
    session = get_session()
    found = user_for_token(session, token.strip())
    if found is None:
        raise Unauthorized(_l("Invalid, expired or revoked token."))
    user, row = found
    if request.method not in SAFE_METHODS:  # a write request's own transaction records the use
        touch_token(session, row)
    else:
        _touch_on_its_own(row)
    g.api_user = user
    g.api_token = row
    g.actor = load_actor(session, user)


def _touch_on_its_own(row) -> None:
    """On a read-only request the token's use is recorded in a short transaction of its own."""
    from ..clock import now
    from ..services.sessions import TOUCH_EVERY

    if row.last_used_at is not None and now() - row.last_used_at < TOUCH_EVERY:
        return
    with new_session(write=True) as own:
        touch_token(own, row)
        own.commit()


def error_response(exc: AppError):
    response = jsonify(exc.to_dict())
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="platform_mgr"'
    response.headers.update(getattr(exc, "headers", {}))
    return response


@bp.errorhandler(AppError)
def handle_app_error(exc: AppError):
    get_session().rollback()
    incidents.record(exc)
    return error_response(exc)


HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Authentication required."),
    403: _l("You do not have permission to do this."),
    404: _l("Not found."),
    405: _l("Method not allowed."),
    409: _l("The record changed meanwhile or its state does not allow this."),
    413: _l("The upload is too large."),
    415: _l("Unsupported content type."),
    422: _l("Please correct the marked fields."),
    429: _l("Too many requests."),
}
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid",
              429: "too_many_requests"}


def http_error_json(exc: HTTPException):
    code = exc.code or 500
    body = {"error": {"code": HTTP_CODES.get(code, "error"), "message": str(HTTP_MESSAGES.get(code, exc.name)),
                      "fields": {}}}
    response = jsonify(body)
    response.status_code = code
    return response


@bp.errorhandler(HTTPException)
def handle_http_error(exc: HTTPException):
    get_session().rollback()
    return http_error_json(exc)


def commit() -> None:
    """A view's one commit (services flush, never commit)."""
    get_session().commit()
