"""Dated events: they leave the shop once they have happened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Item
from storefront.db.timestamps import utcnow
from storefront.extensions import db


def retire_past_events(now: datetime | None = None) -> int:
    """Take dated events that have started off the listings (scheduled every 5 minutes); how many."""
    result = db.session.execute(
        update(Item).where(Item.kind == "event", Item.starts_at < (now or utcnow()), Item.is_deleted.is_(False))
        .values(is_deleted=True), execution_options={"synchronize_session": False})
    if result.rowcount:
        catalog_revision.bump()
    db.session.commit()
    return int(result.rowcount or 0)
