"""A local, wire-compatible Shopify shop (REST Admin API 2025-07) for development, the demo and tests.

Like Shopify: ``X-Shopify-Access-Token`` on every call (401 ``{"errors": "[API] Invalid API key or access
token …"}``), ``{"errors": {field: [..]}}`` with 422, numeric ids, one location's inventory levels,
and the leaky bucket (40 calls, leaking 2 a second; ``X-Shopify-Shop-Api-Call-Limit: n/40``; 429 with
``Retry-After`` beyond). Endpoints: ``shop.json``, ``products.json`` (POST), ``products/{id}.json``
(PUT, DELETE), ``variants/{id}.json`` (GET, PUT), ``inventory_levels.json`` (GET),
``inventory_levels/set.json`` (POST), ``orders.json`` (GET, ``since_id``).

Test mode (``/_sandbox``): ``POST /_sandbox/buy`` ``{"variant_id", "quantity"}`` makes an order, takes
the copies out of inventory and delivers the ``orders/create`` webhook (``X-Shopify-Topic``,
``X-Shopify-Hmac-Sha256``, ``X-Shopify-Webhook-Id``, ``X-Shopify-Shop-Domain``) to the URL set with
``PUT /_sandbox/webhook``; ``POST /_sandbox/variants/{id}`` edits a price as a merchant would;
``PUT|DELETE /_sandbox/faults``; ``GET /_sandbox/stats``.
"""

from __future__ import annotations

import hmac
import itertools
import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests
from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, render_template_string, request

from storefront.ecs.sandbox.faults import FaultInjector, FaultRuleError
from storefront.shopify.webhooks import signature

SANDBOX_TOKEN = "sandbox-shopify-token"  # noqa: S105 (the sandbox's own demo credentials)
SANDBOX_SECRET = "sandbox-shopify-secret"  # noqa: S105
api = Blueprint("shopify_api", __name__, url_prefix="/admin/api/<version>")
control = Blueprint("shopify_control", __name__, url_prefix="/_sandbox")


class Refusal(Exception):
    def __init__(self, status: int, errors: Any) -> None:
        super().__init__(str(errors))
        self.status, self.errors = status, errors


class Bucket:
    """Shopify's leaky bucket: ``size`` calls, leaking ``rate`` a second."""

    def __init__(self, size: int, rate: float) -> None:
        self.size, self.rate, self.level, self.at = size, rate, 0.0, time.monotonic()
        self.refused = self.served = 0

    def take(self) -> tuple[bool, int]:
        now = time.monotonic()
        self.level = max(0.0, self.level - (now - self.at) * self.rate)
        self.at = now
        if self.level + 1 > self.size:
            self.refused += 1
            return False, int(self.level)
        self.level += 1
        self.served += 1
        return True, int(round(self.level))


class Shop:
    def __init__(self, *, token: str, secret: str, location_id: int, currency: str, bucket: Bucket) -> None:
        self.token, self.secret, self.location_id, self.currency = token, secret, location_id, currency
        self.bucket = bucket
        self.lock = threading.RLock()
        self.ids = itertools.count(8_000_000_001)
        self.products: dict[int, dict[str, Any]] = {}
        self.variants: dict[int, dict[str, Any]] = {}
        self.levels: dict[int, int] = {}  # inventory_item_id → available at the location
        self.orders: list[dict[str, Any]] = []
        self.webhook_url: str | None = None
        self.deliveries: list[int] = []  # HTTP status of each webhook delivery

    def create_product(self, body: Any) -> dict[str, Any]:
        product = body.get("product") if isinstance(body, dict) else None
        if not isinstance(product, dict) or not str(product.get("title") or "").strip():
            raise Refusal(422, {"title": ["can't be blank"]})
        variants = product.get("variants") or [{}]
        if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
            raise Refusal(422, {"variants": ["is invalid"]})
        with self.lock:
            pid = next(self.ids)
            row = {k: product.get(k, "") for k in ("title", "body_html", "vendor", "product_type", "tags")}
            row.update(id=pid, status=product.get("status", "active"), created_at=_now(), variants=[])
            for spec in variants:
                row["variants"].append(self._variant(pid, spec))
            self.products[pid] = row
            return self._product_json(pid)

    def _variant(self, pid: int, spec: dict[str, Any]) -> dict[str, Any]:
        vid, item = next(self.ids), next(self.ids)
        variant = {"id": vid, "product_id": pid, "sku": str(spec.get("sku") or ""), "inventory_item_id": item,
                   "price": _price(spec.get("price", "0.00")), "inventory_management": "shopify",
                   "barcode": spec.get("barcode"), "title": "Default Title"}
        self.variants[vid] = variant
        self.levels[item] = 0
        return variant

    def _product_json(self, pid: int) -> dict[str, Any]:
        product = dict(self.products[pid])
        product["variants"] = [dict(v) for v in product["variants"]]
        return product

    def update_variant(self, vid: int, body: Any) -> dict[str, Any]:
        fields = body.get("variant") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            raise Refusal(400, {"variant": "Required parameter missing or invalid"})
        with self.lock:
            variant = self.variant(vid)
            if "price" in fields:
                variant["price"] = _price(fields["price"])
            if "sku" in fields:
                variant["sku"] = str(fields["sku"] or "")
            return dict(variant)

    def variant(self, vid: int) -> dict[str, Any]:
        variant = self.variants.get(vid)
        if variant is None:
            raise Refusal(404, "Not Found")
        return variant

    def buy(self, vid: int, quantity: int) -> dict[str, Any]:
        with self.lock:
            variant = self.variant(vid)
            if self.levels[variant["inventory_item_id"]] < quantity:
                raise Refusal(422, {"line_items": ["are out of stock"]})
            self.levels[variant["inventory_item_id"]] -= quantity
            oid = next(self.ids)
            order = {"id": oid, "name": f"#{1000 + len(self.orders) + 1}", "created_at": _now(),
                     "currency": self.currency, "financial_status": "paid",
                     "total_price": _price(float(variant["price"]) * quantity),
                     "line_items": [{"id": next(self.ids), "variant_id": vid, "product_id": variant["product_id"],
                                     "sku": variant["sku"], "quantity": quantity, "price": variant["price"],
                                     "title": self.products[variant["product_id"]]["title"]}]}
            self.orders.append(order)
        self._deliver(order)
        return order

    def _deliver(self, order: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        body = json.dumps(order).encode()
        headers = {"Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
                   "X-Shopify-Hmac-Sha256": signature(self.secret, body), "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                   "X-Shopify-Shop-Domain": "groove-cellar.myshopify.com", "X-Shopify-API-Version": "2025-07"}
        try:
            self.deliveries.append(requests.post(self.webhook_url, data=body, headers=headers, timeout=10).status_code)
        except requests.RequestException:
            self.deliveries.append(0)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _price(value: Any) -> str:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        raise Refusal(422, {"price": ["is not a number"]}) from None
    if not 0 <= amount < 1_000_000_000:
        raise Refusal(422, {"price": ["must be greater than or equal to 0"]})
    return f"{amount:.2f}"


def shop() -> Shop:
    return current_app.extensions["shopify_sandbox"]


def _int(raw: Any, name: str) -> int:
    if isinstance(raw, bool) or not str(raw).isdigit():
        raise Refusal(400, {name: "Required parameter missing or invalid"})
    return int(raw)


@api.before_request
def gate() -> Response | None:
    state = shop()
    token = request.headers.get("X-Shopify-Access-Token", "")
    if not hmac.compare_digest(token.encode(), state.token.encode()):
        return _errors(401, "[API] Invalid API key or access token (unrecognized login or wrong password)")
    decision = current_app.extensions["shopify_faults"].decide(request.method, request.path)
    if decision.latency_ms:
        time.sleep(decision.latency_ms / 1000)
    with state.lock:
        allowed, level = state.bucket.take()
    request.environ["shopify.limit"] = f"{level}/{state.bucket.size}"
    if not allowed:
        return _errors(429, "Exceeded 2 calls per second for api client. Reduce request rates to resume "
                            "uninterrupted service.", {"Retry-After": "1.0"})
    if decision.error is not None:
        if decision.error.kind == "rate_limit":
            return _errors(429, "Exceeded 2 calls per second for api client.", {"Retry-After": "0.5"})
        return _errors(decision.error.status, "Internal Server Error")
    return None


@api.after_request
def limit_header(response: Response) -> Response:
    if "shopify.limit" in request.environ:
        response.headers["X-Shopify-Shop-Api-Call-Limit"] = request.environ["shopify.limit"]
    return response


def _errors(status: int, errors: Any, headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"errors": errors})
    response.status_code = status
    response.headers.update(headers or {})
    return response


@api.errorhandler(Refusal)
@control.errorhandler(Refusal)
def refused(exc: Refusal) -> Response:
    return _errors(exc.status, exc.errors)


@api.get("/shop.json")
def get_shop(version: str) -> Response:
    return jsonify({"shop": {"id": 548380009, "name": "Groove Cellar (sandbox)", "currency": shop().currency,
                             "myshopify_domain": "groove-cellar.myshopify.com", "plan_name": "partner_test"}})


@api.post("/products.json")
def create_product(version: str) -> tuple[Response, int]:
    return jsonify({"product": shop().create_product(request.get_json(silent=True))}), 201


@api.put("/products/<int:pid>.json")
def update_product(version: str, pid: int) -> Response:
    fields = (request.get_json(silent=True) or {}).get("product") or {}
    state = shop()
    with state.lock:
        if pid not in state.products:
            raise Refusal(404, "Not Found")
        for key in ("title", "body_html", "vendor", "product_type", "tags", "status"):
            if key in fields:
                state.products[pid][key] = fields[key]
        return jsonify({"product": state._product_json(pid)})


@api.delete("/products/<int:pid>.json")
def delete_product(version: str, pid: int) -> Response:
    state = shop()
    with state.lock:
        product = state.products.pop(pid, None)
        if product is None:
            raise Refusal(404, "Not Found")
        for variant in product["variants"]:
            state.variants.pop(variant["id"], None)
    return jsonify({})


@api.get("/variants/<int:vid>.json")
def get_variant(version: str, vid: int) -> Response:
    with shop().lock:
        return jsonify({"variant": dict(shop().variant(vid))})


@api.put("/variants/<int:vid>.json")
def update_variant(version: str, vid: int) -> Response:
    return jsonify({"variant": shop().update_variant(vid, request.get_json(silent=True))})


@api.get("/inventory_levels.json")
def inventory_levels(version: str) -> Response:
    state = shop()
    ids = [_int(i, "inventory_item_ids") for i in request.args.get("inventory_item_ids", "").split(",") if i]
    with state.lock:
        rows = [{"inventory_item_id": i, "location_id": state.location_id, "available": state.levels[i]}
                for i in ids if i in state.levels]
    return jsonify({"inventory_levels": rows})


@api.post("/inventory_levels/set.json")
def set_level(version: str) -> Response:
    body = request.get_json(silent=True) or {}
    state = shop()
    item = _int(body.get("inventory_item_id"), "inventory_item_id")
    location = _int(body.get("location_id"), "location_id")
    available = body.get("available")
    if location != state.location_id:
        raise Refusal(422, {"location_id": ["is not a location of this shop"]})
    if isinstance(available, bool) or not isinstance(available, int):
        raise Refusal(422, {"available": ["must be an integer"]})
    with state.lock:
        if item not in state.levels:
            raise Refusal(422, {"inventory_item_id": ["Inventory item does not exist"]})
        state.levels[item] = available
    return jsonify({"inventory_level": {"inventory_item_id": item, "location_id": location, "available": available,
                                        "updated_at": _now()}})


@api.get("/orders.json")
def orders(version: str) -> Response:
    since = request.args.get("since_id")
    limit = min(250, _int(request.args.get("limit", "50"), "limit"))
    state = shop()
    with state.lock:
        rows = [o for o in state.orders if not since or o["id"] > _int(since, "since_id")]
    return jsonify({"orders": sorted(rows, key=lambda o: o["id"])[:limit]})


@control.post("/buy")
def buy() -> tuple[Response, int]:
    body = request.get_json(silent=True) or {}
    order = shop().buy(_int(body.get("variant_id"), "variant_id"), _int(body.get("quantity", 1), "quantity"))
    return jsonify(order), 201


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shopify sandbox</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f1f2f4;color:#1a1a1a}
header{background:#1a1a1a;color:#fff;padding:1rem 1.5rem}main{max-width:60rem;margin:0 auto;padding:1rem}
table{width:100%;border-collapse:collapse;background:#fff}
td,th{padding:.5rem;border-bottom:1px solid #ddd;text-align:left}
button{font:inherit;padding:.35rem .9rem;border:0;border-radius:6px;background:#008060;color:#fff}
@media(max-width:40rem){thead{display:none}tr,td{display:block}tr{border-bottom:1px solid #ddd}td{border:0}}</style>
</head><body><header><strong>Shopify — sandbox</strong> · test mode: "Buy" places a paid order and
sends orders/create to {{ shop.webhook_url or "no webhook URL yet" }}</header><main>
<h1>Products ({{ rows|length }})</h1><table><thead><tr><th>Product</th><th>SKU</th><th>Price</th>
<th>Available</th><th></th></tr></thead><tbody>{% for p, v, n in rows %}<tr><td>{{ p.title }}</td>
<td><small>{{ v.sku }}</small></td><td>{{ v.price }} {{ shop.currency }}</td><td>{{ n }}</td><td>{% if n > 0 %}
<form method="post" action="/_sandbox/buy-form"><input type="hidden" name="variant_id" value="{{ v.id }}">
<button>Buy</button></form>{% endif %}</td></tr>{% endfor %}</tbody></table>
<h2>Orders ({{ shop.orders|length }})</h2></main></body></html>"""


@control.get("/")
def page() -> str:
    state = shop()
    with state.lock:
        rows = [(p, v, state.levels[v["inventory_item_id"]]) for p in state.products.values() for v in p["variants"]]
    return render_template_string(PAGE, shop=state, rows=rows)


@control.post("/buy-form")
def buy_form() -> Response:
    shop().buy(_int(request.form.get("variant_id"), "variant_id"), 1)
    return redirect("/_sandbox/", 303)


@control.put("/webhook")
def set_webhook() -> Response:
    url = (request.get_json(silent=True) or {}).get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        raise Refusal(400, {"url": "must be an http(s) URL"})
    shop().webhook_url = url
    return jsonify({"url": url})


@control.post("/variants/<int:vid>")
def merchant_edit(vid: int) -> Response:
    price = (request.get_json(silent=True) or {}).get("price")
    return jsonify({"variant": shop().update_variant(vid, {"variant": {"price": price}})})


@control.put("/faults")
def set_faults() -> Response:
    rules = (request.get_json(silent=True) or {}).get("rules")
    try:
        injector = current_app.extensions["shopify_faults"]
        return jsonify({"rules": injector.replace(rules if isinstance(rules, list) else [])})
    except (FaultRuleError, TypeError) as exc:
        raise Refusal(400, str(exc)) from None


@control.delete("/faults")
def clear_faults() -> tuple[str, int]:
    current_app.extensions["shopify_faults"].clear()
    return "", 204


@control.get("/stats")
def stats() -> Response:
    state = shop()
    with state.lock:
        return jsonify({"products": len(state.products), "orders": len(state.orders), "deliveries": state.deliveries,
                        "available": {v["sku"]: state.levels[v["inventory_item_id"]] for v in state.variants.values()},
                        "requests": state.bucket.served, "refused": state.bucket.refused})


def create_shopify_sandbox(*, token: str = SANDBOX_TOKEN, secret: str = SANDBOX_SECRET, location_id: int = 655441491,
                           currency: str = "USD", bucket_size: int = 40, leak_rate: float = 2.0) -> Flask:
    app = Flask("shopify_sandbox")
    app.extensions["shopify_sandbox"] = Shop(token=token, secret=secret, location_id=location_id, currency=currency,
                                             bucket=Bucket(bucket_size, leak_rate))
    app.extensions["shopify_faults"] = FaultInjector()
    app.register_blueprint(api)
    app.register_blueprint(control)
    return app
