"""Event-space inquiries as JSON (the staff /api/v1 inquiry endpoints)."""

from __future__ import annotations

from typing import Any

from storefront.inquiries.models import EventInquiry


def inquiry_json(inquiry: EventInquiry, *, with_history: bool = False) -> dict[str, Any]:
    """The staff API shape of an inquiry."""
    body: dict[str, Any] = {
        "tracking_id": inquiry.tracking_id,
        "status": inquiry.status,
        "name": inquiry.name,
        "email": inquiry.email,
        "phone": inquiry.phone or None,
        "event_type": inquiry.event_type,
        "preferred_date": inquiry.preferred_date.isoformat(),
        "attendee_count": inquiry.attendee_count,
        "message": inquiry.message,
        "created_at": inquiry.created_at.isoformat(),
        "updated_at": inquiry.updated_at.isoformat(),
    }
    if with_history:
        body["history"] = [{"at": c.at.isoformat(), "by": c.actor_label, "from": c.from_status,
                            "to": c.to_status, "note": c.note or None} for c in inquiry.history]
    return body
