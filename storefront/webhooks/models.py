"""The webhook inbox: one ``WebhookEvent`` row per verified ECS event (unique ``event_id``).

The row is committed before the ECS gets its 2xx, so the database, not Redis, is the record
of truth. ``status`` moves received → processing → processed | ignored | failed (retrying at
``next_attempt_at``) → dead (the DLQ) → discarded (by staff).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

RECEIVED = "received"
PROCESSING = "processing"
PROCESSED = "processed"
IGNORED = "ignored"
FAILED = "failed"
DEAD = "dead"
DISCARDED = "discarded"

STATUSES = (RECEIVED, PROCESSING, PROCESSED, IGNORED, FAILED, DEAD, DISCARDED)
TERMINAL = frozenset({PROCESSED, IGNORED, DEAD, DISCARDED})
CLAIMABLE = (RECEIVED, FAILED)


class WebhookEvent(db.Model):
    """One incoming ECS event and everything that happened to it."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        Index("ix_webhook_events_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_events_type_status", "event_type", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    merchant_id: Mapped[str | None] = mapped_column(String(64))
    # data.type / data.id, and a version when the object carries one: for ordering and lookups.
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(128), index=True)
    object_version: Mapped[int | None] = mapped_column(BigInteger)
    event_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)

    status: Mapped[str] = mapped_column(String(16), default=RECEIVED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(255), default="")
    # Who holds the current attempt (lease): a worker's claim token and "host:pid".
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    requeues: Mapped[int] = mapped_column(default=0)  # re-enqueues by the reconciler / staff
    replays: Mapped[int] = mapped_column(default=0)  # staff retries out of the DLQ

    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def __repr__(self) -> str:
        return f"<WebhookEvent {self.id} {self.event_type} {self.event_id} {self.status}>"
