"""The admin's forms for platforms: rendering and CSRF. What they send is checked by the input models of
`inputs.platforms` (the choices are not checked here: an unknown one is refused by the model, in words)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from ...enums import PlatformField, PlatformOrigin
from ...i18n import enum_choices
from ..projects.forms import BAD_DATE, to_int_or_none


class PlatformForm(FlaskForm):
    code = StringField(_l("Code"), description=_l("Letters, digits, “-” and “_”; stored in capitals."))
    name_zh = StringField(_l("Name (Chinese)"))
    name_en = StringField(_l("Name (English)"))
    field = SelectField(_l("Field"), choices=enum_choices(PlatformField), validate_choice=False)
    origin = SelectField(_l("Origin"), choices=enum_choices(PlatformOrigin), validate_choice=False)
    host_institution = StringField(_l("Host institution"))
    founded_on = DateField(_l("Founded"), validators=[Optional()], invalid_value_message=BAD_DATE)
    submit = SubmitField(_l("Save"))


class StatusForm(FlaskForm):
    """Suspend, reactivate or delist: one reason, a button for each change the status allows."""

    reason = TextAreaField(_l("Reason"))


class IntegrityForm(FlaskForm):
    note = TextAreaField(_l("Note"))


class DelistingReviewForm(FlaskForm):
    """Resolve a delisting review: delist, or clear the mark (the decision is the button's route)."""

    reason = TextAreaField(_l("Reason"))


class BindingForm(FlaskForm):
    """Bind one person (the choices: the active people of the binding's role not bound yet)."""

    user_id = SelectField(_l("Person"), coerce=to_int_or_none, validate_choice=False)
