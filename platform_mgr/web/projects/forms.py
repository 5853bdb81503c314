"""Forms of the project pages: rendering and CSRF. What they send is checked by the input models of
`inputs.projects` (`web.helpers.submit`); ``Optional()`` only lets an empty typed field read as None."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Optional

from ...domain.trl import TRL_LEVELS
from ...enums import MilestoneStatus, OutcomeKind, SelectionMode, Stage
from ...i18n import enum_choices, trl_text

BAD_DATE = _l("Enter a date as YYYY-MM-DD.")
BAD_INT = _l("Enter a whole number.")
BAD_CHOICE = _l("This value is not one of the allowed choices.")


def trl_choice_label(level: int) -> str:
    """Wherever a TRL is chosen, in the reader's language: 'TRL 3 · 关键功能…' or 'TRL 3 · Analytical and …'."""
    return f"TRL {level} · {trl_text(level)}"


def trl_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = [("", str(blank))] if blank is not None else []
    return choices + [(str(level), trl_choice_label(level)) for level in TRL_LEVELS]


def to_int_or_none(value):
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


class ProjectForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"))
    title_en = StringField(_l("Title (English, optional)"))
    lead = StringField(_l("Project lead"))
    source_institution = StringField(_l("Source institution"))
    demand_owner = StringField(_l("Demand owner (company setting the challenge)"))
    selection_mode = SelectField(_l("Selection mode"), choices=enum_choices(SelectionMode),
                                 invalid_choice_message=BAD_CHOICE)
    stage = SelectField(_l("Stage"), choices=enum_choices(Stage), invalid_choice_message=BAD_CHOICE)
    trl_entry = SelectField(_l("TRL at entry"), coerce=to_int_or_none, invalid_choice_message=BAD_CHOICE)
    budget = IntegerField(_l("Budget (yuan)"), default=0, invalid_value_message=BAD_INT, validators=[Optional()])
    started_on = DateField(_l("Started on"), validators=[Optional()], invalid_value_message=BAD_DATE)
    apply_template = BooleanField(_l("Add the stage's template must-meet milestones"), default=True)
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trl_entry.choices = trl_choices(_l("— not assessed —"))


class MilestoneForm(FlaskForm):
    title = StringField(_l("Milestone"))
    stage = SelectField(_l("Stage"), choices=enum_choices(Stage), invalid_choice_message=BAD_CHOICE)
    due_on = DateField(_l("Due on"), validators=[Optional()], invalid_value_message=BAD_DATE)
    deliverable = TextAreaField(_l("Deliverable"))
    is_gate_criterion = BooleanField(_l("Must-meet for the stage's gate"))
    status = SelectField(_l("Status"), choices=enum_choices(MilestoneStatus, [m for m in MilestoneStatus
                                                                             if m is not MilestoneStatus.WAIVED]),
                         invalid_choice_message=BAD_CHOICE)
    completed_on = DateField(_l("Completed on"), validators=[Optional()], invalid_value_message=BAD_DATE)
    trl_claimed = SelectField(_l("TRL claimed"), coerce=to_int_or_none, invalid_choice_message=BAD_CHOICE)
    version = HiddenField()
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trl_claimed.choices = trl_choices(_l("— none —"))


class CompleteForm(FlaskForm):
    completed_on = DateField(_l("Completed on"), validators=[Optional()], invalid_value_message=BAD_DATE)
    trl_claimed = SelectField(_l("TRL claimed"), coerce=to_int_or_none, invalid_choice_message=BAD_CHOICE)
    file = MultipleFileField(_l("Evidence files"))
    version = HiddenField()
    submit = SubmitField(_l("Mark as done"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trl_claimed.choices = trl_choices(_l("— none —"))


class WaiveForm(FlaskForm):
    waived_reason = TextAreaField(_l("Reason for the waiver"))
    version = HiddenField()
    submit = SubmitField(_l("Waive"))


class EvidenceForm(FlaskForm):
    file = FileField(_l("File"))
    submit = SubmitField(_l("Upload"))


class OutcomeForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=enum_choices(OutcomeKind), invalid_choice_message=BAD_CHOICE)
    counterparty = StringField(_l("Counterparty"))
    amount = IntegerField(_l("Amount (yuan)"), default=0, invalid_value_message=BAD_INT, validators=[Optional()])
    occurred_on = DateField(_l("Date"), validators=[Optional()], invalid_value_message=BAD_DATE)
    note = TextAreaField(_l("Note"))
    file = FileField(_l("Evidence file (optional)"))
    submit = SubmitField(_l("Record the outcome"))


class GateRequestForm(FlaskForm):
    note = TextAreaField(_l("Note to the gatekeeper"))
    submit = SubmitField(_l("Request the gate review"))


class ConfirmForm(FlaskForm):
    """A bare CSRF-protected POST (resume)."""

    version = HiddenField()
    submit = SubmitField(_l("Confirm"))
