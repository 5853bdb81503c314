from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class SignInForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(_l("This field is required.")),
                                                  Regexp(EMAIL_PATTERN, message=_l("Enter a valid e-mail address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("This field is required.")),
                                                         Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(_l("This field is required."))])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("This field is required.")),
                                                                 Length(max=1024)])
    confirm = PasswordField(_l("Repeat the new password"), validators=[
        DataRequired(_l("This field is required.")), EqualTo("new_password", _l("The two passwords differ."))])
    submit = SubmitField(_l("Change password"))


class NewPasswordForm(FlaskForm):
    """Choose a password (invitation, reset); the rules are the input model's and the policy's."""

    password = PasswordField(_l("New password"))
    confirm = PasswordField(_l("Repeat the new password"))
    submit = SubmitField(_l("Save the password"))


class ForgotPasswordForm(FlaskForm):
    email = StringField(_l("E-mail"))
    submit = SubmitField(_l("Send me a link"))


class TokenForm(FlaskForm):
    label = StringField(_l("What it is for"))
    days = IntegerField(_l("Days until it expires"), default=90, validators=[Optional()])
    submit = SubmitField(_l("Create token"))


class DirectorySignInForm(FlaskForm):
    """LDAP: the directory account (a user id or an e-mail, as the directory's filter takes it) and its password."""

    login = StringField(_l("Directory account"), validators=[DataRequired(_l("This field is required.")),
                                                             Length(max=254)])
    password = PasswordField(_l("Directory password"), validators=[DataRequired(_l("This field is required.")),
                                                                   Length(max=1024)])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in with the directory"))
