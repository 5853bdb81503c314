"""The API's declarations: one decorator per view names its path, its query/body models and its answer.

spectree (https://github.com/0b01001001/spectree) does the rest from that one declaration: it validates the
query and the JSON or form body against their models before the view runs (422 naming each field, in our
error format and the reader's language), serialises the view's answer through its response model, and
generates ``/api/openapi.json``. A view declares its body by a parameter ``json: Model`` (or ``query``,
``form``) and returns a response model instance (or ``(instance, 201)``).

What spectree does not know is added here, in one place: the bearer security of every operation, the
error answers every operation may give, binary answers (exports, evidence files), and the bounds of
integer path ids.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import wraps
from typing import Any, Generic, TypeVar, get_type_hints

from flask import request
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from spectree import Response, SpecTree
from spectree.models import SecurityScheme, SecuritySchemeData
from spectree.plugins.flask_plugin import FlaskPlugin

from ..errors import Invalid
from ..inputs import MAX_INT, field_errors
from .blueprint import bp

T = TypeVar("T")

MAX_PAGE = 1_000_000  # keeps OFFSET within the database's integers
#: what every operation may answer besides its success (DESIGN §7); each in the error format
ERROR_STATUSES = (400, 401, 403, 404, 409, 413, 422)
FIX = _l("Please correct the marked fields.")


# --- the shared answer and query models -------------------------------------------------------------------

class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str]


class Error(BaseModel):
    error: ErrorBody


class Page(BaseModel, Generic[T]):
    """A page of a list: ``{"items": [...], "page", "per_page", "total"}``."""

    items: list[T]
    page: int
    per_page: int
    total: int


class PageQuery(BaseModel):
    """``?page=&per_page=`` (other query parameters, such as ``lang``, are left to the app)."""

    model_config = ConfigDict(extra="ignore")

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    per_page: int = Field(default=25, ge=1, le=200)

    def slice(self, rows: list) -> list:
        return rows[(self.page - 1) * self.per_page: self.page * self.per_page]


class LongPageQuery(PageQuery):
    per_page: int = Field(default=50, ge=1, le=200)


class Order(StrEnum):
    ASC = "asc"
    DESC = "desc"


def page_of(items: Iterable[Any], query: PageQuery, total: int) -> dict[str, Any]:
    return {"items": list(items), "page": query.page, "per_page": query.per_page, "total": total}


# --- spectree, as this API uses it ------------------------------------------------------------------------

def _component_name(model: Any) -> str:
    """Component names OpenAPI accepts: ``Page[ProjectOut]`` → ``Page_ProjectOut_``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", getattr(model, "__name__", str(model)))


class _Plugin(FlaskPlugin):
    def find_routes(self):
        """Every rule of the app except the document itself (spectree's own skips all of ``/api/…``)."""
        for rule in self.get_current_app().url_map.iter_rules():
            if str(rule) != self.config.spec_url and not str(rule).startswith("/static"):
                yield rule


class ApiSpec(SpecTree):
    def _generate_spec(self) -> dict[str, Any]:
        document = super()._generate_spec()
        for route in self.backend.find_routes():
            for method, func in self.backend.parse_func(route):
                operation = document["paths"].get(self.backend.parse_path(route, None)[0], {}).get(method.lower())
                if operation is None:
                    continue
                for parameter in operation.get("parameters", []):
                    if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                        parameter["schema"].update(minimum=0, maximum=MAX_INT)  # what <int:…> matches
                kinds = getattr(func, "binary", None)
                if kinds:
                    operation["responses"][str(func.success_status)]["content"] = {
                        kind: {"schema": {"type": "string", "format": "binary"}} for kind in kinds}
        return document


def _before(req, resp, validation_error, instance, model_adapter) -> None:
    """Refusals in the API's own format: a body that is not JSON, then each field at fault."""
    if req.method not in ("GET", "DELETE", "HEAD") and req.mimetype not in _Plugin.FORM_MIMETYPE:
        raw = req.get_data(cache=True)
        if raw.strip() and req.get_json(silent=True) is None:
            raise Invalid(_l("The body is not valid JSON."), fields={"body": _l("Send a JSON object.")})
    if validation_error is not None:
        raise Invalid(FIX, fields=field_errors(validation_error))


def _validate_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise Invalid(FIX, fields=field_errors(exc)) from None


spec = ApiSpec(
    backend=_Plugin, mode="strict", path="api", filename="openapi.json", page_templates={},
    title="platform_mgr API", version="1.0.0", openapi_version="3.1.0",
    description="Concept-verification platform programme: projects, gates, reviews, eligibility.",
    naming_strategy=_component_name, nested_naming_strategy=lambda _parent, child: _component_name(child),
    before=_before, validation_error_status=422, validation_error_model=Error,
    security_schemes=[SecurityScheme(name="bearerAuth", data=SecuritySchemeData(type="http", scheme="bearer"))],
    security={"bearerAuth": []},
)


def endpoint(rule: str, method: str = "GET", *, resp: type[BaseModel] | None = None, status: int = 200,
             paginated: bool = False, also: Iterable[int] = (), binary: Iterable[str] | None = None,
             authorise: Callable[..., dict[str, Any] | None] | None = None, tags: Iterable[str] = (),
             name: str | None = None):
    """Declare an API view: its rule and method under /api/v1, its answer (``resp``, a page of them when
    ``paginated``, with ``status``; ``also``: other success statuses; ``binary``: the content types of a
    file answer) and an ``authorise(**path_args)`` that loads and checks before the body is read (so a caller
    who may not do this gets 403, not a validation error) and returns extra keyword arguments for the view.
    The view's parameters ``query``, ``json`` or ``form``, annotated with a model, declare what it reads."""
    codes: dict[str, Any] = {f"HTTP_{code}": Error for code in ERROR_STATUSES}
    answer = None if binary else (Page[resp] if paginated and resp is not None else resp)
    for code in (status, *also):
        codes[f"HTTP_{code}"] = answer

    def decorator(view: Callable):
        validated = spec.validate(resp=Response(**codes), tags=list(tags) or [rule.strip("/").split("/")[0]])(view)
        hints = get_type_hints(view)
        query_model = hints.get("query") if binary else None
        form_model = hints.get("form")

        @wraps(validated)
        def handler(*args: Any, **kwargs: Any):
            if authorise is not None:
                kwargs.update(authorise(**kwargs) or {})
            if form_model is not None and request.mimetype not in _Plugin.FORM_MIMETYPE:
                # a multipart body was not sent at all: name what it must carry
                raise Invalid(FIX, fields={name: _l("This field is required.")
                                           for name, info in form_model.model_fields.items() if info.is_required()})
            if not binary:
                return validated(*args, **kwargs)
            # a file answer is streamed as it is: spectree would read the whole body to check it, so the
            # query is validated here and spectree keeps only documenting the view
            if query_model is not None:
                kwargs["query"] = _validate_query(query_model)
            return view(*args, **kwargs)

        handler.binary = tuple(binary) if binary else None
        handler.success_status = status
        bp.add_url_rule(rule, endpoint=name or view.__name__, view_func=handler, methods=[method])
        return view

    return decorator
