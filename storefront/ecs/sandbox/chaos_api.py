"""Control API for webhooks and faults: delivery config, event bursts, delivery log, fault rules."""

from __future__ import annotations

import random
from typing import Any

from flask import Blueprint, Response, request

from storefront.ecs.sandbox import events
from storefront.ecs.sandbox.context import Sandbox, current_sandbox
from storefront.ecs.sandbox.control_api import ControlError, control_body, int_field
from storefront.ecs.sandbox.faults import FaultRuleError
from storefront.ecs.sandbox.wire import json_response

bp = Blueprint("sandbox_chaos", __name__, url_prefix="/_sandbox")
MAX_BURST = 100_000


def _ratio(body: dict[str, Any], name: str) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ControlError(f"`{name}` must be a number between 0 and 1")
    return float(value)


def _config_json(sandbox: Sandbox) -> dict[str, Any]:
    cfg = sandbox.webhooks.config
    return {"urls": list(cfg.urls), "signature_key": cfg.signature_key, "max_attempts": cfg.max_attempts,
            "retry_base_ms": round(cfg.retry_base_seconds * 1000), "timeout_ms": round(cfg.timeout_seconds * 1000),
            "duplicate_ratio": cfg.duplicate_ratio, "reorder_window_ms": round(cfg.reorder_window_seconds * 1000)}


@bp.get("/webhooks/config")
def get_webhook_config() -> Response:
    return json_response(_config_json(current_sandbox()))


@bp.post("/webhooks/config")
def set_webhook_config() -> Response:
    """Set any of: url or urls, signature_key, max_attempts, retry_base_ms, timeout_ms, duplicate_ratio,
    reorder_window_ms."""
    body = control_body()
    sandbox = current_sandbox()
    changes: dict[str, Any] = {}
    if "urls" in body or "url" in body:
        urls = body.get("urls") if "urls" in body else ([body["url"]] if body.get("url") else [])
        if not isinstance(urls, list) or not all(isinstance(u, str) and u.startswith(("http://", "https://"))
                                                 for u in urls):
            raise ControlError("`url`/`urls` must be http(s) URLs")
        changes["urls"] = list(urls)
    if "signature_key" in body:
        if not isinstance(body["signature_key"], str) or not body["signature_key"]:
            raise ControlError("`signature_key` must be a non-empty string")
        changes["signature_key"] = body["signature_key"]
    if "max_attempts" in body:
        changes["max_attempts"] = int_field(body, "max_attempts", low=1, high=50)
    for name, target in (("retry_base_ms", "retry_base_seconds"), ("timeout_ms", "timeout_seconds"),
                         ("reorder_window_ms", "reorder_window_seconds")):
        if name in body:
            changes[target] = int_field(body, name, low=0, high=3_600_000) / 1000
    if "duplicate_ratio" in body:
        changes["duplicate_ratio"] = _ratio(body, "duplicate_ratio")
    sandbox.webhooks.configure(**changes)
    return json_response(_config_json(sandbox))


def _burst(sandbox: Sandbox, event_type: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """``count`` real changes of the kind ``event_type`` reports, and the events they produced."""
    store = sandbox.store
    if event_type == "inventory.count.updated":
        ids = store.variation_ids()
        if not ids:
            raise ControlError("no stock-tracked variations", 409)
        with store.captured_events() as captured:
            for _ in range(count):
                store.set_stock(rng.choice(ids), rng.randint(0, 10))
        return captured
    if event_type == "catalog.version.updated":
        ids = store.variation_ids(tracked_only=False)
        if not ids:
            raise ControlError("no variations", 409)
        with store.captured_events() as captured:
            for _ in range(count):
                store.edit_catalog("set_price", rng.choice(ids), amount=rng.randint(5, 49) * 100 + 99)
        return captured
    with store.lock:  # order/payment events re-announce current state, as Square's redeliveries do
        if event_type.startswith("order."):
            orders = list(store.book.orders.values())
            source = [events.order_event(store.merchant_id, rng.choice(orders), created=event_type == "order.created")
                      for _ in range(count)] if orders else []
        else:
            payments = list(store.book.payments.values())
            source = [events.payment_event(store.merchant_id, rng.choice(payments),
                                           created=event_type == "payment.created")
                      for _ in range(count)] if payments else []
    if not source:
        raise ControlError(f"nothing to announce for {event_type}: create an order first", 409)
    return source


@bp.post("/webhooks/emit")
def emit() -> Response:
    """Make ``count`` changes of ``type`` and deliver their events (optionally shuffled / duplicated)."""
    body = control_body()
    sandbox = current_sandbox()
    event_type = body.get("type")
    if event_type not in events.EVENT_TYPES:
        raise ControlError(f"`type` must be one of {sorted(events.EVENT_TYPES)}")
    count = int_field(body, "count", 1, low=1, high=MAX_BURST)
    seed = body.get("seed")
    rng = random.Random(seed if isinstance(seed, int) else None)
    batch = _burst(sandbox, event_type, count, rng)
    queued = sandbox.webhooks.enqueue_many(batch, shuffle=bool(body.get("shuffle")),
                                           duplicate_ratio=_ratio(body, "duplicate_ratio"))
    # ``events`` counts the asked type; the changes may cause others (a count reaching zero marks its
    # variation sold out: catalog.version.updated), which are delivered too and counted in ``events_total``.
    asked = sum(1 for e in batch if e["type"] == event_type)
    return json_response({"events": asked, "events_total": len(batch), "deliveries_queued": queued,
                          "event_ids": [e["event_id"] for e in batch][:1000]})


@bp.post("/webhooks/drain")
def drain() -> Response:
    """Wait (up to ``timeout`` seconds) until no delivery is queued, in flight or waiting to retry."""
    body = control_body()
    timeout = body.get("timeout", 10)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not 0 <= timeout <= 300:
        raise ControlError("`timeout` must be between 0 and 300 seconds")
    sandbox = current_sandbox()
    idle = sandbox.webhooks.drain(float(timeout))
    return json_response({"idle": idle, "stats": sandbox.webhooks.stats()})


@bp.get("/deliveries")
def deliveries() -> Response:
    args = request.args
    ok = {"true": True, "false": False}.get(args.get("ok", "").lower())
    limit = args.get("limit", "1000")
    if not (limit.isascii() and limit.isdigit()):
        raise ControlError("`limit` must be a whole number")
    webhooks = current_sandbox().webhooks
    rows = webhooks.deliveries(event_id=args.get("event_id"), event_type=args.get("type"), ok=ok, limit=int(limit))
    return json_response({"deliveries": rows, "stats": webhooks.stats()})


@bp.delete("/deliveries")
def clear_deliveries() -> Response:
    current_sandbox().webhooks.clear()
    return json_response({"cleared": True})


@bp.get("/faults")
def list_faults() -> Response:
    return json_response({"rules": current_sandbox().faults.describe()})


@bp.post("/faults")
def set_faults() -> Response:
    body = control_body()
    rules = body.get("rules")
    if not isinstance(rules, list):
        raise ControlError("send {\"rules\": [...]}")
    try:
        described = current_sandbox().faults.replace(rules)
    except (FaultRuleError, TypeError) as exc:
        raise ControlError(str(exc)) from None
    return json_response({"rules": described})


@bp.delete("/faults")
def clear_faults() -> Response:
    current_sandbox().faults.clear()
    return json_response({"rules": []})
