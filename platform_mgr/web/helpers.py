"""What every blueprint shares: the current actor and permission checks (`loaders`), and the form ceremony.

A page that changes something follows one path, `submit`: the form checks what only a form can (CSRF, the
types of its fields), the use case's input model checks the rest (the same model the API validates its JSON
with), the service acts, the view commits once and redirects; a refusal rolls back and shows the form again
with every field's error in the reader's language and the status that says why (422, 409, 413).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from pydantic import BaseModel
from wtforms import HiddenField

from ..bounds import takes_uploads  # noqa: F401  (a view whose form carries files)
from ..db import get_session
from ..errors import AppError, Conflict, Invalid, TooLarge
from ..inputs import validated
from ..loaders import actor, require  # noqa: F401  (the one load-and-authorise, shared with the API)

#: refusals a form shows again (anything else goes to the error page)
REFUSED = (Invalid, Conflict, TooLarge)


def apply_errors(form, error: AppError, field_for: Callable[[str], str] | None = None, *,
                 summary_on_page: bool = False) -> None:
    """Put a refusal's field errors onto a WTForms form (``field_for`` maps an input's field name to the
    form's), and flash the summary — unless the page draws the same one (``summary_on_page``: the form's
    template calls ``form_errors``) and every message found a visible field: one summary, never two."""
    unplaced = []
    placed = hidden = False
    for name, message in error.fields.items():
        field = getattr(form, (field_for(name) if field_for else name).split(".", 1)[0], None)
        if field is not None and hasattr(field, "errors"):
            errors = list(field.errors) if field.errors else []
            errors.append(str(message))
            field.errors = errors
            placed = True
            hidden = hidden or isinstance(field, HiddenField)  # a hidden field cannot show it
        else:
            unplaced.append(f"{name}: {message}")
    generic = _("Please correct the marked fields.")
    summary = str(error.message) if error.message else generic
    # the page's form_errors(form) already says the generic summary; a specific one is said unless a field says it
    said = {str(m) for m in error.fields.values()}
    if not (summary_on_page and placed and not hidden and not unplaced and (summary == generic or summary in said)):
        flash(summary, "danger")
    for text in unplaced:
        flash(text, "danger")


def mark_required(form, model: type[BaseModel]) -> None:
    """Show as required (label, ``required`` attribute) the form fields the input model requires."""
    for name, info in model.model_fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "flags") and info.is_required():
            field.flags.required = True


def form_input(form, model: type[BaseModel], data: Mapping[str, Any] | None = None) -> BaseModel:
    """The input model from a form: the form fields the model has, then ``data`` (what the page adds)."""
    values = {}
    for name in model.model_fields:
        field = getattr(form, name, None)
        if field is not None:  # a hidden field left empty (no version yet) reads as None
            values[name] = None if isinstance(field, HiddenField) and field.data == "" else field.data
    values.update(data or {})
    return validated(model, values)


def submit(form, action: Callable[[Any], Any], *, render: Callable[[], Any], message: str = "",
           then: Callable[[Any], str] | None = None, model: type[BaseModel] | None = None,
           data: Mapping[str, Any] | None = None, field_for: Callable[[str], str] | None = None,
           done: Callable[[Any], Any] | None = None):
    """The form ceremony. GET: the page (200). POST: the form's own checks, the input ``model`` made from it
    (plus ``data``), ``action(input)`` (a service call), one commit, the ``message`` flashed and a redirect to
    ``then(result)``; a refusal: roll back, the errors on the form, the page again with the refusal's status.
    ``render()`` draws the page as it stands when it is called. Without a ``model``, ``action(None)`` makes its
    own input (``inputs.validated``); ``field_for`` names the form field of an input's field. ``done(result)``,
    when given, answers instead of the message and the redirect (a page that shows a secret once)."""
    if model is not None:
        mark_required(form, model)
    if request.method != "POST":
        return render(), 200
    if not (request.form or request.files) or not form.validate_on_submit():
        # nothing sent (the form would read its defaults from the row), or the form's own checks failed
        return render(), 422
    session = get_session()
    try:
        result = action(form_input(form, model, data) if model is not None else None)
        session.commit()
    except REFUSED as exc:
        session.rollback()
        # every page drawn through here shows form_errors(form), the one summary above the field messages
        apply_errors(form, exc, field_for, summary_on_page=True)
        return render(), exc.status
    if done is not None:
        return done(result)
    flash(message, "success")
    return redirect(then(result))


def act(action: Callable[[], Any], *, message: str, back: str, form=None):
    """A button that changes something (a CSRF-checked POST, its ``form`` a bare one by default): act, commit
    once, say so and go ``back``; a refusal rolls back and says why on the page it goes back to."""
    if (form or FlaskForm()).validate_on_submit():
        session = get_session()
        try:
            action()
            session.commit()
        except AppError as exc:
            session.rollback()
            for text in (exc.message, *exc.fields.values()):
                if text:
                    flash(str(text), "danger")
        else:
            flash(message, "success")
    elif form is not None:
        for errors in form.errors.values():
            for text in errors:
                flash(str(text), "danger")
    return redirect(back)


MAX_PAGE = 1_000_000  # keeps OFFSET within the database's integers


def page_args(default_per_page: int = 25, max_per_page: int = 100) -> tuple[int, int]:
    """A list page's ``?page=&per_page=``: out-of-range or malformed values fall back (a page never fails)."""
    try:
        page = min(MAX_PAGE, max(1, int(request.args.get("page", 1))))
    except (TypeError, ValueError):
        page = 1
    try:
        per_page = min(max_per_page, max(1, int(request.args.get("per_page", default_per_page))))
    except (TypeError, ValueError):
        per_page = default_per_page
    return page, per_page
