"""Customer account forms (CSRF via Flask-WTF); the services do the real validation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)])
    email = EmailField("Email", validators=[Length(max=320)])
    password = PasswordField("Password", validators=[Length(max=1024)])


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


class EmailForm(FlaskForm):
    """Just an email address: resend the confirmation link, forgot password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[Length(max=1024)])


class ActionForm(FlaskForm):
    """A button that changes something (confirm, log out): only the CSRF token."""
