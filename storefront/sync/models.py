"""Sync bookkeeping: one row per run, and the singleton sync state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

ACTIVE_STATUSES = ("queued", "running")


class SyncRun(db.Model):
    """A catalog sync run: kind, dry run, status, totals, failures, cursor, who, timings.

    ``active`` is 1 while the run is queued or running and NULL afterwards; its unique
    constraint is how the database (not hope) guarantees at most one sync at a time.
    """

    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # full | incremental | remap
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|succeeded|failed|aborted
    active: Mapped[int | None] = mapped_column(unique=True)
    started_by: Mapped[str] = mapped_column(String(255), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pages: Mapped[int] = mapped_column(default=0)
    objects_seen: Mapped[int] = mapped_column(default=0)
    items_seen: Mapped[int] = mapped_column(default=0)
    items_created: Mapped[int] = mapped_column(default=0)
    items_updated: Mapped[int] = mapped_column(default=0)
    items_unchanged: Mapped[int] = mapped_column(default=0)
    items_deleted: Mapped[int] = mapped_column(default=0)
    stock_updates: Mapped[int] = mapped_column(default=0)
    failures_count: Mapped[int] = mapped_column(default=0)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    expected_items: Mapped[int | None]
    cursor: Mapped[str | None] = mapped_column(Text)
    latest_time: Mapped[str | None] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text, default="")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def elapsed_seconds(self) -> float | None:
        if not self.started_at:
            return None
        end = self.finished_at or utcnow()
        return max(0.0, (end - self.started_at).total_seconds())

    @property
    def rate_per_second(self) -> float | None:
        elapsed = self.elapsed_seconds
        return round(self.items_seen / elapsed, 1) if elapsed else None


class SyncState(db.Model):
    """The singleton (id 1) remembering where incremental sync resumes and what is pending."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    latest_time: Mapped[str | None] = mapped_column(String(40))
    incremental_requested: Mapped[bool] = mapped_column(default=False)
    # The field mapping (or the options, definitions and categories it reads) changed while a sync
    # was running: re-map the stored catalog when it ends.
    remap_requested: Mapped[bool] = mapped_column(default=False, server_default=false())
    catalog_revision: Mapped[int] = mapped_column(default=0)
    last_full_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CatalogMapping(db.Model):
    """The singleton (id 1) field mapping staff chose (see :mod:`storefront.sync.fields`).

    No row means "not chosen yet": the sync then detects one from the catalog and saves it."""

    __tablename__ = "catalog_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255), default="system")


class EcsReference(db.Model):
    """A catalog object the mapping reads items through — CATEGORY, ITEM_OPTION or
    CUSTOM_ATTRIBUTE_DEFINITION — as the ECS last sent it, so a re-map needs no download."""

    __tablename__ = "ecs_references"

    ecs_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
