"""The JSON API under /api/v1: bearer tokens, one error format, pagination, OpenAPI.

Routes are declared with :func:`route`, which registers the Flask view and records
the request/response models so ``/api/openapi.json`` is generated from the code.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
docs_bp = Blueprint("api_docs", __name__, url_prefix="/api")

import importlib  # noqa: E402
import importlib.util  # noqa: E402

from . import core  # noqa: E402,F401  (auth, errors, registry)

# API modules, one per area; each registers its routes with core.route when imported
API_AREAS = ("me", "platforms", "projects", "audit", "cycles", "reviews", "eligibility", "exports", "notifications",
             "admin")
for _area in API_AREAS:
    if importlib.util.find_spec(f"{__name__}.{_area}") is not None:
        importlib.import_module(f"{__name__}.{_area}")

from . import openapi  # noqa: E402,F401
