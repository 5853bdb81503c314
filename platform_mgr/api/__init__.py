"""The JSON API under /api/v1: bearer tokens, one error format, pagination, OpenAPI at /api/openapi.json.

Each view is declared once with `spec.endpoint` (spectree): its rule, query and body models and its answer;
the OpenAPI document is generated from those declarations (`spec.spec`).
"""
from __future__ import annotations

import importlib
import importlib.util

from .blueprint import bp  # noqa: F401  (api.bp)

# API modules, one per area; each declares its views with spec.endpoint when imported
API_AREAS = ("me", "platforms", "projects", "audit", "cycles", "reviews", "eligibility", "exports", "notifications",
             "admin", "institutions")


def load_areas() -> None:
    from . import core  # noqa: F401  (authentication and the error format)

    for area in API_AREAS:
        if importlib.util.find_spec(f"{__name__}.{area}") is not None:
            importlib.import_module(f"{__name__}.{area}")


def register(app) -> None:
    """The blueprint and the document route on the app (after every area has declared its views)."""
    from .spec import spec

    load_areas()
    app.register_blueprint(bp)
    spec.register(app)
