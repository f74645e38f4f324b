"""The event-space inquiry form: fields, CSRF and the honeypot; the service does the validating."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateInput, EmailInput, NumberInput, TelInput

from storefront.core.errors import FieldError
from storefront.inquiries.models import EVENT_TYPES
from storefront.inquiries.services import MESSAGE_MAX, NAME_MAX


class InquiryForm(FlaskForm):
    """Fields keep the raw text the shopper typed, so a re-rendered form shows it back unchanged."""

    name = StringField("Your name", render_kw={"autocomplete": "name", "maxlength": NAME_MAX, "required": True})
    email = StringField("Email", widget=EmailInput(),
                        render_kw={"autocomplete": "email", "maxlength": 254, "required": True})
    phone = StringField("Phone (optional)", widget=TelInput(), render_kw={"autocomplete": "tel", "maxlength": 40})
    event_type = SelectField("Kind of event",
                             choices=[SelectChoice("", "Choose…"),
                                      *(SelectChoice(value, label) for value, label in EVENT_TYPES.items())],
                             validate_choice=False, render_kw={"required": True})
    preferred_date = StringField("Preferred date", widget=DateInput(), render_kw={"required": True})
    attendee_count = StringField("Number of guests (optional)", widget=NumberInput(min=1, step=1))
    message = TextAreaField("Tell us about your event",
                            render_kw={"rows": 6, "maxlength": MESSAGE_MAX, "required": True})
    # Honeypot: people never see it (the hp-field class moves it off-screen); form-filling bots do.
    website = StringField("Leave this empty", render_kw={"autocomplete": "off", "tabindex": "-1"})

    SUBMITTED = ("name", "email", "phone", "event_type", "preferred_date", "attendee_count", "message")

    def submitted_values(self) -> dict[str, Any]:
        """What the shopper typed, keyed as the service expects."""
        return {name: (getattr(self, name).data or "") for name in self.SUBMITTED}

    def show_errors(self, details: list[FieldError]) -> None:
        """Put the service's field errors on the matching fields."""
        for detail in details:
            field = getattr(self, detail.field, None)
            if field is not None:
                field.errors = [*list(field.errors or []), detail.message]
