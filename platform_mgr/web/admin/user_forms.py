"""The admin's forms for people: invite and edit (the input models `inputs.accounts` hold the rules)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Optional

from ...enums import Language, Role
from ...i18n import enum_choices


class UserForm(FlaskForm):
    display_name = StringField(_l("Name"))
    role = SelectField(_l("Role"), choices=enum_choices(Role))
    affiliation = StringField(_l("Institution"))
    operator_platforms = SelectMultipleField(_l("Operator of the platforms"), coerce=int, validators=[Optional()],
                                             description=_l("Operators only."))
    gatekeeper_platforms = SelectMultipleField(_l("Gatekeeper of the platforms"), coerce=int, validators=[Optional()],
                                               description=_l("Reviewers only: they decide the platform's gate reviews."))
    submit = SubmitField(_l("Save"))


class InviteForm(UserForm):
    email = StringField(_l("E-mail"))
    preferred_lang = SelectField(_l("Language of the mails"), choices=enum_choices(Language))
    submit = SubmitField(_l("Invite"))
