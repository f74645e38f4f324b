"""Back-office forms (CSRF via Flask-WTF); the services do the real validation."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from storefront.staff.models import ROLES

ROLE_CHOICES = list(ROLES)  # value = label (tuples are deprecated in WTForms 3.3)


class StaffLoginForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


class CodeForm(FlaskForm):
    """A 6-digit authenticator code (login step two, enrolment, turning two-factor off)."""

    code = StringField("Authenticator code", validators=[DataRequired(), Length(min=6, max=10)])


class StaffCreateForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="staff")
    password = PasswordField("Initial password", validators=[DataRequired(), Length(max=256)])


class StaffEditForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    is_active = BooleanField("Active", validators=[Optional()])


class PasswordResetForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=256)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
