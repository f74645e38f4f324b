"""Notification jobs: send one stored email, post to Slack, post a JSON webhook. Each raises on failure."""

from __future__ import annotations

from typing import Any

from jobs.runtime import job
from storefront.notifications.services import deliver_email, deliver_json_webhook, deliver_slack


@job
def send_email(email_id: int) -> str:
    """Send (or, without SMTP, log) the OutboundEmail ``email_id``; returns its status."""
    email = deliver_email(email_id)
    return email.status if email is not None else "missing"


@job
def post_slack(text: str) -> bool:
    """Post ``text`` to the configured Slack incoming webhook."""
    return deliver_slack(text)


@job
def post_json_webhook(url: str, payload: dict[str, Any]) -> int:
    """POST ``payload`` as JSON to ``url``; returns the HTTP status."""
    return deliver_json_webhook(url, payload)
