"""The OpenAPI 3 document, generated from the route registry and the pydantic models."""
from __future__ import annotations

import re
from typing import Any

from flask import jsonify

from . import docs_bp
from .core import MAX_INT, REGISTRY
from .schemas import Error

_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for conv, name in _PARAM.findall(rule):
        params.append({"name": name, "in": "path", "required": True,
                       "schema": {"type": "integer", "minimum": 0, "maximum": MAX_INT} if conv == "int"
                       else {"type": "string"}})
    return _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule), params


def _schema_ref(model, components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def build_document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    error_ref = _schema_ref(Error, components)
    paths: dict[str, Any] = {}
    for doc in REGISTRY:
        path, params = _path(doc.rule)
        for method in doc.methods:
            op: dict[str, Any] = {
                "operationId": f"{doc.endpoint.split('.', 1)[1]}_{method.lower()}",
                "summary": doc.summary,
                "tags": [doc.tag],
                "parameters": list(params),
                "responses": {},
            }
            for name, description in doc.query.items():
                op["parameters"].append({"name": name, "in": "query", "required": False,
                                         "description": description, "schema": {"type": "string"}})
            if doc.paginated:
                op["parameters"] += [
                    {"name": "page", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000}},
                    {"name": "per_page", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                ]
            if doc.body is not None:
                op["requestBody"] = {"required": True,
                                     "content": {"application/json": {"schema": _schema_ref(doc.body, components)}}}
            if doc.multipart:
                op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"]}}}}
            ok = "201" if method == "POST" and (doc.body is not None or doc.multipart) and not doc.rule.endswith(
                ("decision", "open", "close", "publish")) else "200"
            also = []
            if doc.status:  # declared by the route: one status, or several (the first is the main one)
                codes = [str(s) for s in (doc.status if isinstance(doc.status, (list, tuple)) else [doc.status])]
                ok, also = codes[0], codes[1:]
            if doc.binary:
                kinds = (doc.binary,) if isinstance(doc.binary, str) else doc.binary  # one type or several
                op["responses"][ok] = {"description": "file", "content": {kind: {"schema": {
                    "type": "string", "format": "binary"}} for kind in kinds}}
            elif doc.response is not None:
                item = _schema_ref(doc.response, components)
                schema = item
                if doc.paginated:
                    schema = {"type": "object", "required": ["items", "page", "per_page", "total"], "properties": {
                        "items": {"type": "array", "items": item}, "page": {"type": "integer"},
                        "per_page": {"type": "integer"}, "total": {"type": "integer"}}}
                op["responses"][ok] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
            else:
                op["responses"][ok] = {"description": "OK", "content": {"application/json": {"schema": {
                    "type": "object"}}}}
            for status in also:
                op["responses"][status] = op["responses"][ok]
            for status in ("400", "401", "403", "404", "409", "413", "422"):
                op["responses"][status] = {"description": "error",
                                           "content": {"application/json": {"schema": error_ref}}}
            if doc.auth:
                op["security"] = [{"bearerAuth": []}]
            paths.setdefault(path, {})[method.lower()] = op
    _bound_integers(components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "platform_mgr API", "version": "1.0.0",
                 "description": "Concept-verification platform programme: projects, gates, reviews, eligibility."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components,
                       "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
    }


def _bound_integers(node: Any) -> None:
    """Every integer fits a 32-bit column (the API answers 422 beyond that): say so where a model gives no
    narrower bounds."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("minimum", -MAX_INT)
            node.setdefault("maximum", MAX_INT)
        for value in node.values():
            _bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            _bound_integers(value)


@docs_bp.route("/openapi.json")
def openapi_json():
    return jsonify(build_document())
