"""The catalog's ECS events: ``inventory.count.updated`` writes the new counts and the items' stock."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select

from storefront.catalog.models import Item, ItemVariation
from storefront.catalog.stock import apply_inventory_counts, refresh_item_stock
from storefront.ecs.provider import shop_location_id
from storefront.extensions import db
from storefront.webhooks.handlers import HandlerResult, PoisonEvent, event_object, register_handler
from storefront.webhooks.models import IGNORED, PROCESSED, WebhookEvent


def valid_quantity(raw: object) -> bool:
    """A count Square could send: a non-negative finite decimal (string or number), not a bool."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float) or (isinstance(raw, str) and len(raw) > 40):
        return False
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return False
    return value.is_finite() and value >= 0


def handle_inventory_count_updated(event: WebhookEvent) -> HandlerResult:
    """Write the counts (older than what we hold: ignored), then recompute the items' stock."""
    counts = [c for c in event_object(event).get("inventory_counts") or [] if isinstance(c, dict)]
    if not counts:
        return HandlerResult(IGNORED, "no inventory counts in the event")
    bad = [c for c in counts if not valid_quantity(c.get("quantity"))]
    if bad:  # never let a negative or non-numeric count touch stock
        raise PoisonEvent(f"{len(bad)} inventory count(s) with a quantity that is not a non-negative number: "
                          + ", ".join(repr(c.get("quantity"))[:40] for c in bad[:3]))
    location_id = shop_location_id(current_app._get_current_object())  # type: ignore[attr-defined]
    # Lock the items first (id order, so two workers cannot deadlock): concurrent events for the
    # same item then apply one after the other and a stale count can never overwrite a newer one.
    ecs_ids = {str(c.get("catalog_object_id")) for c in counts if c.get("catalog_object_id")}
    item_ids = select(ItemVariation.item_id).where(ItemVariation.ecs_id.in_(ecs_ids))
    db.session.execute(select(Item.id).where(Item.id.in_(item_ids)).order_by(Item.id).with_for_update()).all()
    outcome = apply_inventory_counts(counts)
    refresh_item_stock(location_id, outcome.item_ids)
    note = f"{outcome.updated} count(s) updated"
    if outcome.ignored_stale:
        note += f", {outcome.ignored_stale} older than ours ignored"
    if outcome.unknown:
        note += f", {outcome.unknown} for unknown variations skipped"
    return HandlerResult(PROCESSED, note)


def register() -> None:
    """Handle inventory count changes."""
    register_handler("inventory.count.updated", handle_inventory_count_updated)
