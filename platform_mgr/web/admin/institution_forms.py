"""The admin's forms for institutions: rendering and CSRF; `inputs.institutions` checks what they send."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField

from ..projects.forms import to_int_or_none


class InstitutionForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese)"))
    name_en = StringField(_l("Name (English)"))
    aliases = TextAreaField(_l("Other names"), description=_l("One name a line: former names, abbreviations."))
    parent_id = SelectField(_l("Parent institution"), coerce=to_int_or_none, validate_choice=False)
    credit_code = StringField(_l("Unified social credit code"), description=_l("18 digits and capital letters."))
    submit = SubmitField(_l("Save"))


class MergeForm(FlaskForm):
    into_id = SelectField(_l("Merge into"), coerce=to_int_or_none, validate_choice=False)


def alias_lines(text: str | None) -> list[str]:
    """The aliases of the text area: one a line, blank lines left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
