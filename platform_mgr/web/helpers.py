"""Small helpers every blueprint uses: the current actor, permission checks, form errors."""
from __future__ import annotations

from flask import abort, flash, g, request
from flask_babel import gettext as _
from flask_login import current_user

from ..db import get_session
from ..errors import AppError
from ..permissions import ANONYMOUS, Actor
from ..queries.access import load_actor


def actor() -> Actor:
    """The permissions Actor of the current request (web session or API token)."""
    if "actor" not in g:
        user = getattr(g, "api_user", None)
        if user is None and current_user and current_user.is_authenticated:
            user = current_user._get_current_object()
        g.actor = load_actor(get_session(), user) if user is not None else ANONYMOUS
    return g.actor


def require(allowed: bool) -> None:
    """Stop with 401 (anonymous) or 403 unless the permission holds."""
    if not allowed:
        abort(401 if not actor().authenticated else 403)


def apply_errors(form, error: AppError) -> None:
    """Put a service's field errors onto a WTForms form, and flash the summary."""
    unplaced = []
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            errors = list(field.errors) if field.errors else []
            errors.append(str(message))
            field.errors = errors
        else:
            unplaced.append(f"{name}: {message}")
    flash(str(error.message) if error.message else _("Please correct the marked fields."), "danger")
    for text in unplaced:
        flash(text, "danger")


MAX_PAGE = 1_000_000  # keeps OFFSET within the database's integers


def page_args(default_per_page: int = 25, max_per_page: int = 100) -> tuple[int, int]:
    try:
        page = min(MAX_PAGE, max(1, int(request.args.get("page", 1))))
    except (TypeError, ValueError):
        page = 1
    try:
        per_page = min(max_per_page, max(1, int(request.args.get("per_page", default_per_page))))
    except (TypeError, ValueError):
        per_page = default_per_page
    return page, per_page
