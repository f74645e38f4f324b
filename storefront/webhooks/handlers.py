"""Per-event-type webhook handlers and the registry other domains add to.

A handler takes the claimed :class:`WebhookEvent` and returns a :class:`HandlerResult` (or a
short note string, meaning "processed"). It must be idempotent — the same event can arrive twice,
late, or be replayed from the DLQ — and converge on the ECS's state (compare versions or
timestamps, or re-fetch). It raises to fail: the attempt is retried with backoff and, after
WEBHOOK_MAX_ATTEMPTS, the event is dead. It may commit.

Register exact types or families, at import of a module ``create_app`` imports::

    from storefront.webhooks.handlers import register_handler

    register_handler("payment.updated", on_payment_updated)
    register_handler("order.*", on_order_event)   # every order.… type without an exact handler

Until the orders domain registers its own, ``order.*`` and ``payment.*`` are *recorded*
(processed with note "recorded"; the payload stays in the inbox). Types with no handler at all
are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app
from sqlalchemy import select

from storefront.extensions import db
from storefront.webhooks.models import IGNORED, PROCESSED, WebhookEvent


@dataclass(frozen=True)
class HandlerResult:
    """What a handler did: ``status`` processed | ignored, and a short note for staff."""

    status: str = PROCESSED
    note: str = ""


class PoisonEvent(Exception):
    """Raised by a handler when the event itself is bad (retrying cannot help): it goes straight to the DLQ."""


Handler = Callable[[WebhookEvent], "HandlerResult | str | None"]

_HANDLERS: dict[str, Handler] = {}


def register_handler(event_type: str, handler: Handler) -> None:
    """Handle ``event_type`` (exact, e.g. ``order.updated``) or a family (``order.*``); replaces any previous."""
    if not event_type or (event_type.endswith("*") and not event_type.endswith(".*")):
        raise ValueError("register an exact type (order.updated) or a family ending in .* (order.*)")
    _HANDLERS[event_type] = handler


def unregister_handler(event_type: str) -> None:
    _HANDLERS.pop(event_type, None)


def handler_for(event_type: str) -> Handler | None:
    """The exact handler, else the most specific family (``a.b.*`` before ``a.*``), else None."""
    if event_type in _HANDLERS:
        return _HANDLERS[event_type]
    parts = event_type.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        family = ".".join(parts[:cut]) + ".*"
        if family in _HANDLERS:
            return _HANDLERS[family]
    return None


def registered_types() -> list[str]:
    return sorted(_HANDLERS)


def dispatch(event: WebhookEvent) -> HandlerResult:
    """Run the handler for ``event``; no handler → ignored. Raises what the handler raises."""
    handler = handler_for(event.event_type)
    if handler is None:
        return HandlerResult(IGNORED, f"no handler for {event.event_type}"[:255])
    result = handler(event)
    if isinstance(result, HandlerResult):
        return result
    return HandlerResult(PROCESSED, (result or "")[:255])


# --- built-in handlers --------------------------------------------------------------------------

def _object(event: WebhookEvent) -> dict[str, Any]:
    data = event.payload.get("data") if isinstance(event.payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


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
    from storefront.catalog.models import Item, ItemVariation
    from storefront.catalog.stock import apply_inventory_counts, refresh_item_stock
    from storefront.ecs.provider import shop_location_id

    counts = [c for c in _object(event).get("inventory_counts") or [] if isinstance(c, dict)]
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


def handle_catalog_version_updated(event: WebhookEvent) -> HandlerResult:
    """The event carries only a timestamp: ask for the (coalesced) incremental sync."""
    from storefront.sync.services import request_incremental_sync

    # Release our write lock first: in inline job mode the sync runs right here, in its own session.
    db.session.commit()
    request_incremental_sync()
    return HandlerResult(PROCESSED, "incremental sync requested")


def record_only(event: WebhookEvent) -> HandlerResult:
    """Keep the event in the inbox for the orders domain (no handler registered yet)."""
    return HandlerResult(PROCESSED, "recorded")


def register_builtin_handlers() -> None:
    """The catalog handlers, and record-only fallbacks for order/payment events."""
    register_handler("inventory.count.updated", handle_inventory_count_updated)
    register_handler("catalog.version.updated", handle_catalog_version_updated)
    for family in ("order.*", "payment.*"):
        _HANDLERS.setdefault(family, record_only)


register_builtin_handlers()
