"""The JSON API under /api/v1: bearer tokens, one error format, pagination, OpenAPI.

Routes are declared with :func:`route`, which registers the Flask view and records
the request/response models so ``/api/openapi.json`` is generated from the code.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
docs_bp = Blueprint("api_docs", __name__, url_prefix="/api")

from . import core  # noqa: E402,F401  (auth, errors, registry)
from . import me, platforms  # noqa: E402,F401
from . import openapi  # noqa: E402,F401
