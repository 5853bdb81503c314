from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, DecimalField, FieldList, Form, FormField
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import Optional

from ...domain.eligibility import PARAMETER_RANGES, RuleSet
from ...enums import Dimension
from ...i18n import SHANGHAI, enum_choices, to_local
from ...messages import RULE_PARAMETERS

RULE_NAMES = tuple(PARAMETER_RANGES)
_DEFAULTS = RuleSet().to_dict()


def rule_field_name(name: str) -> str:
    return "rule_" + name.rstrip("_")


class CycleForm(FlaskForm):
    name = StringField(_l("Name"))
    window_start = DateField(_l("Data window from"), validators=[Optional()])
    window_end = DateField(_l("Data window to"), validators=[Optional()])
    opens_at = DateTimeLocalField(_l("Scoring opens (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                  validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Scoring closes (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])
    budget = IntegerField(_l("Budget (yuan)"), default=0, validators=[Optional()])
    version = HiddenField()
    submit = SubmitField(_l("Save"))


for _name, (_low, _high) in PARAMETER_RANGES.items():
    setattr(CycleForm, rule_field_name(_name), IntegerField(
        RULE_PARAMETERS[_name], validators=[Optional()],
        render_kw={"placeholder": str(_DEFAULTS[_name]), "min": _low, "max": _high}))


def local_naive(value: datetime | None) -> datetime | None:
    """A stored UTC time as the naive Beijing time a datetime-local input shows."""
    local = to_local(value)
    return local.replace(tzinfo=None, second=0, microsecond=0) if local else None


def aware_utc(value: datetime | None) -> datetime | None:
    """A datetime-local value (Beijing time) as aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)


def fill_cycle_form(form: CycleForm, cycle) -> None:
    form.name.data = cycle.name
    form.window_start.data = cycle.window_start
    form.window_end.data = cycle.window_end
    form.opens_at.data = local_naive(cycle.opens_at)
    form.closes_at.data = local_naive(cycle.closes_at)
    form.budget.data = cycle.budget
    form.version.data = str(cycle.version)
    for name in RULE_NAMES:
        getattr(form, rule_field_name(name)).data = (cycle.rules or {}).get(name)


def cycle_form_data(form: CycleForm) -> dict:
    rules = {}
    for name in RULE_NAMES:
        value = getattr(form, rule_field_name(name)).data
        if value is not None:
            rules[name] = value
    return {"name": form.name.data, "window_start": form.window_start.data, "window_end": form.window_end.data,
            "opens_at": aware_utc(form.opens_at.data), "closes_at": aware_utc(form.closes_at.data),
            "budget": form.budget.data, "rules": rules}


def form_field_for(key: str) -> str:
    """A service's field name (``rules.min_reviews``) as the form's field name."""
    if key.startswith("rules."):
        return rule_field_name(key.split(".", 1)[1])
    return key


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class CloseForm(FlaskForm):
    """Closing by hand; the reason is required when the closing guard applies (DESIGN §10)."""

    reason = TextAreaField(_l("Reason for closing now"))


class AssignForm(FlaskForm):
    reviewer_id = SelectField(_l("Reviewer"), coerce=int, validators=[Optional()])
    platform_id = SelectField(_l("Platform"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Assign"))


class BalancedForm(FlaskForm):
    min_per_platform = IntegerField(_l("Reviewers per platform (at least)"), default=3, validators=[Optional()])
    preview = SubmitField(_l("Show the suggestion"))
    apply = SubmitField(_l("Create these assignments"))


class CriterionForm(Form):
    code = StringField(_l("Code"))
    dimension = SelectField(_l("Dimension"), choices=enum_choices(Dimension))
    max_points = DecimalField(_l("Maximum points"), places=1, validators=[Optional()])
    name_zh = StringField(_l("Name (Chinese)"))
    name_en = StringField(_l("Name (English)"))
    guidance_zh = TextAreaField(_l("Guidance (Chinese)"))
    guidance_en = TextAreaField(_l("Guidance (English)"))


class RubricForm(FlaskForm):
    name = StringField(_l("Name of the version"))
    criteria = FieldList(FormField(CriterionForm), min_entries=1, max_entries=40)
    submit = SubmitField(_l("Create the new version"))
