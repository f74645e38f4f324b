"""A staff photo: one row per picture of an item (or of one copy, a variation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

# Where a photo stands with the ECS: waiting to be sent, sent (ecs_image_id set), failed (retried
# by the job's retries, then left for staff), or not sent (pushing is switched off, or a Discogs image).
ECS_PENDING, ECS_PUSHED, ECS_FAILED, ECS_OFF = "pending", "pushed", "failed", "off"


class ItemPhoto(db.Model):
    __tablename__ = "item_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    variation_id: Mapped[int | None] = mapped_column(ForeignKey("item_variations.id", ondelete="SET NULL"))
    # The stored files' name: random, so a URL reveals nothing and a new upload never reuses one.
    key: Mapped[str] = mapped_column(String(32), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    caption: Mapped[str] = mapped_column(String(255), default="")
    position: Mapped[int] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(String(16), default="upload")  # upload | discogs
    source_url: Mapped[str] = mapped_column(String(500), default="")
    ecs_status: Mapped[str] = mapped_column(String(16), default=ECS_PENDING)
    ecs_image_id: Mapped[str | None] = mapped_column(String(64))
    ecs_error: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255), default="")
