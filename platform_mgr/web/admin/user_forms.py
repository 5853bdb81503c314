"""The admin's forms for people: invite and edit (the input models `inputs.accounts` hold the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Optional

from ...enums import Language, PlatformField, Role
from ...i18n import enum_choices


class UserForm(FlaskForm):
    display_name = StringField(_l("Name"))
    role = SelectField(_l("Role"), choices=enum_choices(Role))
    affiliation = StringField(_l("Institution"))
    operator_platforms = SelectMultipleField(_l("Operator of the platforms"), coerce=int, validators=[Optional()],
                                             description=_l("Operators only."))
    gatekeeper_platforms = SelectMultipleField(_l("Gatekeeper of the platforms"), coerce=int, validators=[Optional()],
                                               description=_l("Reviewers only: they decide the platform's gate reviews."))
    expertise = SelectMultipleField(_l("Fields of expertise"), choices=enum_choices(PlatformField),
                                    validate_choice=False, validators=[Optional()],
                                    description=_l("Reviewers only: the balanced assignment prefers these fields."))
    max_load = StringField(_l("Maximum assignments per cycle"),
                           description=_l("Reviewers only: empty means no cap."),
                           render_kw={"type": "number", "min": 1, "step": 1})
    submit = SubmitField(_l("Save"))


class InviteForm(UserForm):
    email = StringField(_l("E-mail"))
    preferred_lang = SelectField(_l("Language of the mails"), choices=enum_choices(Language))
    submit = SubmitField(_l("Invite"))
