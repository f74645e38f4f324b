"""JSON shapes of inbox rows: a redacted, trimmed summary for lists and the full event for staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storefront.webhooks.models import WebhookEvent
from storefront.webhooks.redaction import redact, redacted_summary


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def event_summary(row: WebhookEvent) -> dict[str, Any]:
    """List entry: metadata, last error and the payload with customer personal data redacted."""
    return {
        "id": row.id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "replays": row.replays,
        "last_error": row.last_error,
        "note": row.note or None,
        "object": {"type": row.object_type, "id": row.object_id, "version": row.object_version},
        "timestamps": {
            "event_created_at": _iso(row.event_created_at),
            "received_at": _iso(row.received_at),
            "last_attempt_at": _iso(row.claimed_at),
            "next_attempt_at": _iso(row.next_attempt_at),
            "finished_at": _iso(row.finished_at),
            "updated_at": _iso(row.updated_at),
        },
        "payload": redacted_summary(row.payload),
    }


def event_detail(row: WebhookEvent, *, full: bool = True) -> dict[str, Any]:
    """One event for authorised staff: the summary plus the whole payload (redacted unless ``full``)."""
    body = event_summary(row)
    body.update(payload=row.payload if full else redact(row.payload), payload_redacted=not full,
                merchant_id=row.merchant_id, claimed_by=row.claimed_by)
    return body
