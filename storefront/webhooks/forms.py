"""Back-office forms of the webhooks domain."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from storefront.audit.services import MAX_REASON


class ReasonForm(FlaskForm):
    """Why staff retry or discard a dead event (kept in the audit log)."""

    reason = TextAreaField("Reason", validators=[DataRequired(message="A reason is required."),
                                                 Length(max=MAX_REASON)])
