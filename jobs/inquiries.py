"""Inquiry jobs."""

from __future__ import annotations

from jobs.runtime import job
from storefront.inquiries.notify import notify_staff


@job
def notify_staff_of_inquiry(inquiry_id: int) -> list[str]:
    """Queue the staff email, Slack message and CRM forward for inquiry ``inquiry_id``."""
    return notify_staff(inquiry_id)
