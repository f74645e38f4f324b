"""A local, wire-compatible Discogs Marketplace for one seller (development, the demo and tests).

The API part answers like api.discogs.com (Discogs' documentation, https://www.discogs.com/developers):
``Authorization: Discogs token=…`` and a User-Agent on every request, JSON ``{"message": …}`` errors,
and the per-token moving window (``X-Discogs-Ratelimit``, ``-Used``, ``-Remaining``; 429 beyond).

* ``GET /oauth/identity``
* ``POST /marketplace/listings`` · ``GET|POST|DELETE /marketplace/listings/{id}``
* ``GET /users/{username}/inventory``
* ``GET /marketplace/orders`` (``created_after``, ``sort``, ``sort_order``, ``page``, ``per_page``) ·
  ``GET /marketplace/orders/{id}``

Test mode (not Discogs, no rate limit): ``GET /`` is a shop page where a person "buys" a copy;
``/_sandbox/*`` is the control API — ``POST /_sandbox/buy`` ``{"listing_ids": [...]}``,
``POST /_sandbox/listings/{id}`` (the seller edits on discogs.com), ``PUT|DELETE /_sandbox/faults``
(429 / 5xx / latency rules, as in the ECS sandbox), ``GET /_sandbox/stats``.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, render_template, request, url_for

from storefront.discogs.sandbox.state import Marketplace, SandboxRefusal
from storefront.ecs.sandbox.faults import FaultInjector, FaultRuleError

EXTENSION_KEY = "discogs_sandbox"
API_PREFIXES = ("/oauth/", "/marketplace/", "/users/")
api = Blueprint("discogs_api", __name__)
control = Blueprint("discogs_control", __name__, template_folder="templates")


def marketplace() -> Marketplace:
    return current_app.extensions[EXTENSION_KEY]


def faults() -> FaultInjector:
    return current_app.extensions["discogs_faults"]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify({"message": message})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _int_arg(name: str, default: int, top: int) -> int:
    raw = request.args.get(name, str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise SandboxRefusal(400, f"{name} must be a whole number from 1 to {top}.")
    return int(raw)


def _gate() -> Response | None:
    """What Discogs checks before anything else: User-Agent, token, faults, the rate limit."""
    market = marketplace()
    if not request.headers.get("User-Agent", "").strip():
        return _error(403, "A descriptive User-Agent is required.")
    auth = request.headers.get("Authorization", "")
    token = auth.removeprefix("Discogs token=") if auth.startswith("Discogs token=") else ""
    if not token or not hmac.compare_digest(token.encode(), market.token.encode()):
        return _error(401, "You must authenticate to access this resource.")
    decision = faults().decide(request.method, request.path)
    if decision.latency_ms:
        time.sleep(decision.latency_ms / 1000)
    allowed, used = market.rate.take(token)
    limit = market.rate.limit
    headers = {"X-Discogs-Ratelimit": str(limit), "X-Discogs-Ratelimit-Used": str(used),
               "X-Discogs-Ratelimit-Remaining": str(max(0, limit - used))}
    request.environ["discogs.rate_headers"] = headers
    if not allowed:
        return _error(429, "You are making requests too quickly.", headers)
    rule = decision.error
    if rule is not None:
        if rule.kind == "rate_limit":
            extra = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
            return _error(429, "You are making requests too quickly.", {**headers, **extra})
        return _error(rule.status, "Discogs is temporarily unavailable.", headers)
    return None


@api.before_request
def before_api() -> Response | None:
    return _gate()


@api.after_request
def after_api(response: Response) -> Response:
    response.headers.update(request.environ.get("discogs.rate_headers", {}))
    marketplace().calls.append((request.method, request.path, response.status_code))
    return response


@api.errorhandler(SandboxRefusal)
def refused(exc: SandboxRefusal) -> Response:
    return _error(exc.status, exc.message)


@api.get("/oauth/identity")
def identity() -> Response:
    return jsonify(marketplace().identity())


@api.post("/marketplace/listings")
def create_listing() -> tuple[Response, int]:
    return jsonify(marketplace().create_listing(request.get_json(silent=True))), 201


@api.get("/marketplace/listings/<int:listing_id>")
def get_listing(listing_id: int) -> Response:
    return jsonify(marketplace().listing_json(listing_id))


@api.post("/marketplace/listings/<int:listing_id>")
def edit_listing(listing_id: int) -> tuple[str, int]:
    marketplace().edit_listing(listing_id, request.get_json(silent=True))
    return "", 204


@api.delete("/marketplace/listings/<int:listing_id>")
def delete_listing(listing_id: int) -> tuple[str, int]:
    marketplace().delete_listing(listing_id)
    return "", 204


@api.get("/users/<username>/inventory")
def inventory(username: str) -> Response:
    market = marketplace()
    if username.lower() != market.username.lower():
        raise SandboxRefusal(404, "User not found.")
    return jsonify(market.inventory(_int_arg("page", 1, 10_000), _int_arg("per_page", 50, 100)))


@api.get("/marketplace/orders")
def orders() -> Response:
    created_after = request.args.get("created_after") or None
    descending = request.args.get("sort_order", "desc") != "asc"
    return jsonify(marketplace().order_page(created_after, _int_arg("page", 1, 10_000),
                                            _int_arg("per_page", 50, 100), descending))


@api.get("/marketplace/orders/<order_id>")
def order(order_id: str) -> Response:
    return jsonify(marketplace().order(order_id))


# test mode --------------------------------------------------------------------------------
@control.errorhandler(SandboxRefusal)
def control_refused(exc: SandboxRefusal) -> Response:
    return _error(exc.status, exc.message)


@control.get("/")
def storefront_page() -> str:
    market = marketplace()
    with market.lock:
        listings = sorted((dict(row) for row in market.listings.values()), key=lambda row: row["id"])
        sold = list(reversed(market.orders))[:20]
    return render_template("discogs_sandbox/store.html", market=market, listings=listings, orders=sold)


@control.post("/_sandbox/buy")
def buy() -> Any:
    """Buy listings: JSON ``{"listing_ids": [...]}`` (tests) or the shop page's form (a person)."""
    if request.is_json:
        body = request.get_json(silent=True) or {}
        ids = body.get("listing_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise SandboxRefusal(400, "listing_ids must be a list of listing ids.")
        return jsonify(marketplace().buy(ids)), 201
    raw = request.form.get("listing_id", "")
    if not raw.isdigit():
        raise SandboxRefusal(400, "Choose a listing to buy.")
    marketplace().buy([int(raw)])
    return redirect(url_for("discogs_control.storefront_page"), 303)


@control.post("/_sandbox/listings/<int:listing_id>")
def seller_edit(listing_id: int) -> Response:
    return jsonify(marketplace().seller_edits(listing_id, request.get_json(silent=True)))


@control.put("/_sandbox/faults")
def set_faults() -> Any:
    body = request.get_json(silent=True)
    rules = body.get("rules") if isinstance(body, dict) else None
    if not isinstance(rules, list):
        raise SandboxRefusal(400, "Send {\"rules\": [...]}.")
    try:
        return jsonify({"rules": faults().replace(rules)})
    except (FaultRuleError, TypeError) as exc:
        raise SandboxRefusal(400, str(exc)) from None


@control.delete("/_sandbox/faults")
def clear_faults() -> tuple[str, int]:
    faults().clear()
    return "", 204


@control.get("/_sandbox/stats")
def stats() -> Response:
    market = marketplace()
    with market.lock:
        by_status: dict[str, int] = {}
        for row in market.listings.values():
            by_status[row["status"]] = by_status.get(row["status"], 0) + 1
        return jsonify({"listings": by_status, "orders": len(market.orders), "requests": market.rate.served,
                        "refused": market.rate.refused, "busiest_window": market.rate.busiest,
                        "limit": market.rate.limit, "window_seconds": market.rate.window})


SANDBOX_TOKEN = "sandbox-discogs-token"  # noqa: S105 (the sandbox's own demo token, like the ECS sandbox's)


def create_discogs_sandbox(*, token: str = SANDBOX_TOKEN, username: str = "groove-cellar",
                           currency: str = "USD", limit: int = 60, window: float = 60.0,
                           base_url: str = "http://127.0.0.1") -> Flask:
    """The sandbox app; ``limit``/``window`` are Discogs' 60 a minute unless a test compresses time."""
    app = Flask("discogs_sandbox")
    app.extensions[EXTENSION_KEY] = Marketplace(token=token, username=username, currency=currency,
                                                base_url=base_url, limit=limit, window=window)
    app.extensions["discogs_faults"] = FaultInjector()
    app.register_blueprint(api)
    app.register_blueprint(control)
    return app
