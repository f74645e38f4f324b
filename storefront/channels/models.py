"""Channel connectors and what they track: listings per copy, sync jobs, conflicts and sales."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

CHANNEL_TYPES = ("discogs", "shopify", "google_feed")
CONNECTOR_STATUSES = ("active", "disabled", "error")
JOB_ACTIVE_STATUSES = ("queued", "running")


class ChannelConnector(db.Model):
    """One sales channel the shop sells on; ``credentials`` is Fernet ciphertext, never shown."""

    __tablename__ = "channel_connectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    channel_type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    credentials: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    mappings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sales_cursor: Mapped[str | None] = mapped_column(String(64))
    synced_revision: Mapped[int | None]  # the catalog revision its last incremental sync started from
    feed_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    last_test_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_test_ok: Mapped[bool | None]
    last_test_message: Mapped[str] = mapped_column(String(255), default="")
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def is_enabled(self) -> bool:
        return self.status != "disabled"


class ChannelListing(db.Model):
    """One physical copy (``offer_key``) on one connector, and where it is on the channel."""

    __tablename__ = "channel_listings"
    __table_args__ = (
        UniqueConstraint("connector_id", "offer_key", name="uq_channel_listings_connector_offer"),
        Index("ix_channel_listings_variation", "variation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("channel_connectors.id", ondelete="CASCADE"))
    offer_key: Mapped[str] = mapped_column(String(128))
    item_id: Mapped[int | None]
    variation_id: Mapped[int | None]
    listing_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|listed|withdrawn|sold|failed
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    fingerprint: Mapped[str] = mapped_column(String(64), default="")  # of the offer last published
    published: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the fields we last sent
    last_error_code: Mapped[str | None] = mapped_column(String(8))
    last_error: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ChannelSyncJob(db.Model):
    """A sync of one connector: full, incremental, single products or a retry of failed ones.

    ``active`` is the connector id while queued or running and NULL afterwards: its unique
    constraint is how the database guarantees one sync per connector at a time (CHN-090)."""

    __tablename__ = "channel_sync_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(36), unique=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("channel_connectors.id", ondelete="CASCADE"), index=True)
    active: Mapped[int | None] = mapped_column(unique=True)
    sync_type: Mapped[str] = mapped_column(String(16))  # full | incremental | products | retry
    status: Mapped[str] = mapped_column(String(24), default="queued")
    product_keys: Mapped[list[str] | None] = mapped_column(JSON)  # what a products/retry job covers
    retry_of: Mapped[int | None]
    estimated_products: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    withdrawn_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    conflicts_count: Mapped[int] = mapped_column(default=0)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    started_by: Mapped[str] = mapped_column(String(255), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_active(self) -> bool:
        return self.status in JOB_ACTIVE_STATUSES


class ChannelConflict(db.Model):
    """A listing whose channel-side fields were edited there since we last published them."""

    __tablename__ = "channel_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("channel_connectors.id", ondelete="CASCADE"), index=True)
    listing_pk: Mapped[int] = mapped_column(ForeignKey("channel_listings.id", ondelete="CASCADE"), index=True)
    offer_key: Mapped[str] = mapped_column(String(128))
    # {field: {"pim": ours, "channel": theirs, "locale": "en"}}
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    resolution: Mapped[str | None] = mapped_column(String(16))       # pim_wins | channel_wins | merged
    resolved_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ChannelSaleRecord(db.Model):
    """A copy sold on a channel; unique per (connector, order, copy) so a replayed order sells once."""

    __tablename__ = "channel_sales"
    __table_args__ = (UniqueConstraint("connector_id", "order_id", "offer_key", name="uq_channel_sales_order_offer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("channel_connectors.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str] = mapped_column(String(64))
    offer_key: Mapped[str] = mapped_column(String(128))
    variation_id: Mapped[int | None]
    quantity: Mapped[int] = mapped_column(default=1)
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    ecs_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16), default="recorded")  # recorded | unknown_copy
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
