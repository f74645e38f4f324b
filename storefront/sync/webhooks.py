"""The sync's ECS events: ``catalog.version.updated`` asks for the coalesced incremental sync."""

from __future__ import annotations

from storefront.extensions import db
from storefront.sync.services import request_incremental_sync
from storefront.webhooks.handlers import HandlerResult, register_handler
from storefront.webhooks.models import PROCESSED, WebhookEvent


def handle_catalog_version_updated(event: WebhookEvent) -> HandlerResult:
    """The event carries only a timestamp: ask for the (coalesced) incremental sync."""
    # Release our write lock first: in inline job mode the sync runs right here, in its own session.
    db.session.commit()
    request_incremental_sync()
    return HandlerResult(PROCESSED, "incremental sync requested")


def register() -> None:
    """Handle catalog changes."""
    register_handler("catalog.version.updated", handle_catalog_version_updated)
