"""Forms of the gate pages: the gate decision and the gate-template items."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from ...enums import Decision, Stage
from ...i18n import enum_choices

BAD_DATE = _l("Enter a date as YYYY-MM-DD.")
BAD_CHOICE = _l("This value is not one of the allowed choices.")


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=enum_choices(Decision), validators=[Optional()],
                          invalid_choice_message=BAD_CHOICE)
    rationale = TextAreaField(_l("Rationale"))
    conditions = TextAreaField(_l("Conditions (conditional go: one per line)"))
    conditions_due_on = DateField(_l("Conditions due on"), validators=[Optional()], invalid_value_message=BAD_DATE)
    rework_due_on = DateField(_l("Rework due on (recycle)"), validators=[Optional()], invalid_value_message=BAD_DATE)
    submit = SubmitField(_l("Record the decision"))


class TemplateItemForm(FlaskForm):
    stage = SelectField(_l("Stage"), choices=enum_choices(Stage), invalid_choice_message=BAD_CHOICE)
    title_zh = StringField(_l("Title (Chinese)"))
    title_en = StringField(_l("Title (English)"))
    deliverable_zh = StringField(_l("Deliverable (Chinese)"))
    deliverable_en = StringField(_l("Deliverable (English)"))
    due_days = IntegerField(_l("Due after entering the stage (days)"), default=90,
                            invalid_value_message=_l("Enter a whole number."), validators=[Optional()])
    submit = SubmitField(_l("Save"))
