"""Per-event-type webhook handlers and the registry other domains add to.

A handler takes the claimed :class:`WebhookEvent` and returns a :class:`HandlerResult` (or a
short note string, meaning "processed"). It must be idempotent — the same event can arrive twice,
late, or be replayed from the DLQ — and converge on the ECS's state (compare versions or
timestamps, or re-fetch). It raises to fail: the attempt is retried with backoff and, after
WEBHOOK_MAX_ATTEMPTS, the event is dead. It may commit.

Each domain registers its own handlers from a ``register()`` in its ``webhooks.py``, called by
``create_app`` (catalog: inventory counts; sync: catalog versions; orders: orders and payments)::

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
from typing import Any

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

def event_object(event: WebhookEvent) -> dict[str, Any]:
    """The event's ``data.object`` (an empty dict when the payload has none)."""
    data = event.payload.get("data") if isinstance(event.payload, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def record_only(event: WebhookEvent) -> HandlerResult:
    """Keep the event in the inbox for the orders domain (no handler registered yet)."""
    return HandlerResult(PROCESSED, "recorded")


def register_fallbacks() -> None:
    """Record-only fallbacks for order/payment events (until the orders domain registers its own)."""
    for family in ("order.*", "payment.*"):
        _HANDLERS.setdefault(family, record_only)


register_fallbacks()
