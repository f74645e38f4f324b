"""Inquiry jobs: tell staff about a new event-space inquiry."""

from __future__ import annotations

from jobs.runtime import job


@job
def notify_staff_of_inquiry(inquiry_id: int) -> list[str]:
    """Queue the staff email, Slack message and CRM forward for inquiry ``inquiry_id``."""
    from storefront.inquiries.notify import notify_staff

    return notify_staff(inquiry_id)
