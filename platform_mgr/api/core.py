"""Bearer authentication, JSON errors, body parsing and pagination for the API."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from ..db import get_session
from ..errors import AppError, Forbidden, Invalid, Unauthorized
from ..permissions import Actor
from ..queries.access import load_actor
from ..services.users import user_for_token
from . import bp


@dataclass
class RouteDoc:
    rule: str
    methods: list[str]
    endpoint: str
    summary: str
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    paginated: bool = False
    query: dict[str, str] = field(default_factory=dict)
    multipart: bool = False
    binary: str | tuple[str, ...] | None = None  # content type(s) of a file response
    auth: bool = True
    tag: str = ""
    status: int | tuple[int, ...] | None = None  # the success status(es) when the usual rule (POST creating → 201) does not hold


REGISTRY: list[RouteDoc] = []


def route(rule: str, methods: list[str] | None = None, *, summary: str, body: type[BaseModel] | None = None,
          response: type[BaseModel] | None = None, paginated: bool = False, query: dict[str, str] | None = None,
          multipart: bool = False, binary: str | tuple[str, ...] | None = None, tag: str = "", endpoint: str | None = None,
          status: int | tuple[int, ...] | None = None):
    """Register an API view and its documentation."""
    methods = methods or ["GET"]

    def decorator(view: Callable):
        name = endpoint or view.__name__
        bp.add_url_rule(rule, endpoint=name, view_func=view, methods=methods)
        REGISTRY.append(RouteDoc(rule=bp.url_prefix + rule, methods=methods, endpoint=f"api.{name}", summary=summary,
                                 body=body, response=response, paginated=paginated, query=query or {},
                                 multipart=multipart, binary=binary, tag=tag or rule.strip("/").split("/")[0],
                                 status=status))
        return view

    return decorator


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
    user = user_for_token(session, token.strip())
    if user is None:
        raise Unauthorized(_l("Invalid or revoked token."))
    g.api_user = user
    g.actor = load_actor(session, user)


def error_response(exc: AppError):
    response = jsonify(exc.to_dict())
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="platform_mgr"'
    return response


@bp.errorhandler(AppError)
def handle_app_error(exc: AppError):
    get_session().rollback()
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


def http_error_json(exc: HTTPException):
    code = exc.code or 500
    names = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid",
             429: "too_many_requests"}
    body = {"error": {"code": names.get(code, "error"), "message": str(HTTP_MESSAGES.get(code, exc.name)),
                      "fields": {}}}
    response = jsonify(body)
    response.status_code = code
    return response


@bp.errorhandler(HTTPException)
def handle_http_error(exc: HTTPException):
    get_session().rollback()
    return http_error_json(exc)


def require(allowed: bool) -> None:
    if not allowed:
        raise Forbidden(_l("You do not have permission to do this."))


PYDANTIC_MESSAGES = {
    "missing": _l("This field is required."),
    "string_too_short": _l("This field must not be empty."),
    "string_too_long": _l("This value is too long."),
    "int_parsing": _l("Enter a whole number."),
    "int_type": _l("Enter a whole number."),
    "int_from_float": _l("Enter a whole number."),
    "float_parsing": _l("Enter a number."),
    "float_type": _l("Enter a number."),
    "bool_parsing": _l("Enter true or false."),
    "bool_type": _l("Enter true or false."),
    "date_from_datetime_parsing": _l("Enter a date as YYYY-MM-DD."),
    "date_parsing": _l("Enter a date as YYYY-MM-DD."),
    "date_type": _l("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": _l("Enter a date and time in ISO 8601."),
    "datetime_from_date_parsing": _l("Enter a date and time in ISO 8601."),
    "datetime_type": _l("Enter a date and time in ISO 8601."),
    "timezone_aware": _l("Give the time with its time zone offset."),
    "literal_error": _l("This value is not one of the allowed choices."),
    "enum": _l("This value is not one of the allowed choices."),
    "greater_than_equal": _l("This value is too small."),
    "greater_than": _l("This value is too small."),
    "less_than_equal": _l("This value is too large."),
    "less_than": _l("This value is too large."),
    "extra_forbidden": _l("Unknown field."),
    "string_type": _l("Enter text."),
    "list_type": _l("Enter a list."),
    "dict_type": _l("Enter an object."),
    "model_type": _l("Enter an object."),
    "too_long": _l("Too many items."),
    "value_error": _l("This value is not valid."),
}


def validation_fields(exc: ValidationError) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ())) or "body"
        if loc not in fields:
            fields[loc] = PYDANTIC_MESSAGES.get(err.get("type", ""), _l("This value is not valid."))
    return fields


def parse_body(model: type[BaseModel]) -> BaseModel:
    """Validate the JSON body against a model; 422 naming each bad field."""
    data = request.get_json(silent=True)
    if data is None:
        if request.data and request.data.strip():
            raise Invalid(_l("The body is not valid JSON."), fields={"body": _l("Send a JSON object.")})
        data = {}
    if not isinstance(data, dict):
        raise Invalid(_l("The body must be a JSON object."), fields={"body": _l("Send a JSON object.")})
    too_big = _oversized_ints(data)
    if too_big:  # no column holds them: refuse before they reach the database
        raise Invalid(_l("Please correct the marked fields."),
                      fields={name: _l("Enter a whole number from %(low)d to %(high)d.", low=-MAX_INT, high=MAX_INT)
                              for name in too_big})
    with_nul = _nul_strings(data)
    if with_nul:  # PostgreSQL text cannot hold NUL characters
        raise Invalid(_l("Please correct the marked fields."),
                      fields={name: _l("Text may not contain NUL characters.") for name in with_nul})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(_l("Please correct the marked fields."), fields=validation_fields(exc)) from None


def _nul_strings(value: Any, path: str = "") -> list[str]:
    """Dotted paths of the strings (values or keys) in a JSON value that contain a NUL character."""
    if isinstance(value, str):
        return [path or "body"] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items()
                for p in ([f"{path}.{k}" if path else str(k)] if "\x00" in str(k) else [])
                + _nul_strings(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nul_strings(v, f"{path}.{i}" if path else str(i))]
    return []


def _oversized_ints(value: Any, path: str = "") -> list[str]:
    """Dotted paths of the integers in a JSON value that no integer column holds (beyond ±MAX_INT)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [path or "body"] if not -MAX_INT <= value <= MAX_INT else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _oversized_ints(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _oversized_ints(v, f"{path}.{i}" if path else str(i))]
    return []


MAX_PAGE = 1_000_000  # keeps OFFSET within the database's integers
MAX_INT = 2**31 - 1  # integer columns (ids, yuan, versions) are 32-bit on PostgreSQL: nothing larger is stored


def page_params(default: int = 25, maximum: int = 200) -> tuple[int, int]:
    errors = {}
    try:
        page = int(request.args.get("page", 1))
        if not 1 <= page <= MAX_PAGE:
            raise ValueError
    except (TypeError, ValueError):
        errors["page"] = _l("Enter a whole number from 1 to %(n)d.", n=MAX_PAGE)
        page = 1
    try:
        per_page = int(request.args.get("per_page", default))
        if not 1 <= per_page <= maximum:
            raise ValueError
    except (TypeError, ValueError):
        errors["per_page"] = _l("Enter a whole number from 1 to %(n)d.", n=maximum)
        per_page = default
    if errors:
        raise Invalid(_l("Please correct the marked fields."), fields=errors)
    return page, per_page


def int_arg(name: str, required: bool = False) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        if required:
            raise Invalid(_l("Please correct the marked fields."), fields={name: _l("This field is required.")})
        return None
    try:
        value = int(raw)
        if not -MAX_INT <= value <= MAX_INT:
            raise ValueError
        return value
    except ValueError:
        raise Invalid(_l("Please correct the marked fields."), fields={name: _l("Enter a whole number.")}) from None


def paginated(items: list[Any], page: int, per_page: int, total: int):
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


def commit():
    get_session().commit()
