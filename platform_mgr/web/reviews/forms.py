from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from ...domain.rubric import format_tenths
from ...enums import ConflictKind
from ...i18n import enum_choices, pick


def review_form_class(criteria):
    """A form with one points field per criterion of the cycle's rubric (field name = criterion code)."""

    class ReviewForm(FlaskForm):
        comment = TextAreaField(_l("Overall comment"))
        conflict = BooleanField(_l("I declare a conflict of interest with this platform"))
        conflict_kind = SelectField(_l("Relationship"), choices=[("", "—")] + enum_choices(ConflictKind),
                                    validate_choice=False)
        conflict_note = StringField(_l("Reason for the conflict"))
        version = HiddenField(_l("Version"))  # the assignment's, as the page read it: a stale one is refused

    for c in criteria:
        setattr(ReviewForm, c.code, StringField(
            f"{c.code} {pick(c.name_zh, c.name_en)}",
            render_kw={"inputmode": "decimal", "autocomplete": "off", "data-max": format_tenths(c.max_tenths)}))
    return ReviewForm


class SelfAssessmentForm(FlaskForm):
    verification = TextAreaField(_l("Verification capability"))
    service = TextAreaField(_l("Service effectiveness"))
    operating = TextAreaField(_l("Operating model"))
    version = HiddenField(_l("Version"))  # as the page read it (0 while none exists): a stale one is refused


class AttachmentForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
