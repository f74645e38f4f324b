"""Telling staff about a new inquiry: email, Slack and the CRM forward — each queued as its own job."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.inquiries.models import EventInquiry
from storefront.notifications.services import post_json_webhook, post_slack, queue_email
from storefront.web.urls import public_url

log = logging.getLogger(__name__)


def staff_link(inquiry: EventInquiry) -> str:
    """The back-office page of the inquiry, on PUBLIC_BASE_URL (never the request's Host header)."""
    return public_url("staff_inquiries.detail", tracking_id=inquiry.tracking_id)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(inquiry: EventInquiry, link: str) -> str:
    guests = f", {inquiry.attendee_count} guests" if inquiry.attendee_count else ""
    return (f"New event-space inquiry {inquiry.tracking_id}: {_slack_escape(inquiry.event_type_label)} on "
            f"{inquiry.preferred_date.isoformat()}{guests}, from {_slack_escape(inquiry.name)}. {link}")


def crm_payload(inquiry: EventInquiry) -> dict[str, Any]:
    """What the CRM forward sends (camelCase, like the public API's submission)."""
    return {
        "type": "event_inquiry.created",
        "trackingId": inquiry.tracking_id,
        "name": inquiry.name,
        "email": inquiry.email,
        "phone": inquiry.phone or None,
        "eventType": inquiry.event_type,
        "preferredDate": inquiry.preferred_date.isoformat(),
        "attendeeCount": inquiry.attendee_count,
        "message": inquiry.message,
        "status": inquiry.status,
        "createdAt": inquiry.created_at.isoformat(),
    }


def notify_staff(inquiry_id: int) -> list[str]:
    """Queue every configured notification once; returns the channels used. Raises if queueing fails."""
    inquiry = db.session.get(EventInquiry, inquiry_id)
    if inquiry is None or inquiry.notified_at is not None:
        return []  # gone, or a duplicate/retried job after a complete run
    config = current_app.config
    link = staff_link(inquiry)
    channels: list[str] = []
    if config["INQUIRY_NOTIFY_EMAIL"]:
        queue_email(config["INQUIRY_NOTIFY_EMAIL"], f"New event inquiry {inquiry.tracking_id}: "
                    f"{inquiry.event_type_label} on {inquiry.preferred_date.isoformat()}",
                    "inquiries/new_inquiry", inquiry=inquiry, link=link)
        channels.append("email")
    if post_slack(slack_text(inquiry, link)):
        channels.append("slack")
    if config["INQUIRY_CRM_WEBHOOK_URL"]:
        post_json_webhook(config["INQUIRY_CRM_WEBHOOK_URL"], crm_payload(inquiry))
        channels.append("crm")
    inquiry.notified_at = utcnow()
    db.session.commit()
    log.info("inquiry %s: staff notified via %s", inquiry.tracking_id, ", ".join(channels) or "nothing configured")
    return channels
