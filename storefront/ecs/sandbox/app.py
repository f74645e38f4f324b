"""``create_sandbox_app``: the ECS sandbox as its own Flask app (Square wire API, checkout page, control API)."""

from __future__ import annotations

import hmac
import logging
import re
import time
from datetime import date
from pathlib import Path

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from storefront.ecs.sandbox import (
    catalog_api,
    catalog_write_api,
    chaos_api,
    checkout_api,
    checkout_page,
    control_api,
    images_api,
    inventory_api,
    refunds_api,
)
from storefront.ecs.sandbox.context import EXTENSION_KEY, Sandbox, current_sandbox
from storefront.ecs.sandbox.control_api import ControlError
from storefront.ecs.sandbox.faults import FaultInjector
from storefront.ecs.sandbox.orders import OrderError
from storefront.ecs.sandbox.persist import Persister, load
from storefront.ecs.sandbox.store import SandboxStore
from storefront.ecs.sandbox.webhooks import WebhookConfig, WebhookDispatcher
from storefront.ecs.sandbox.wire import SquareError, error_response, json_response

DEFAULT_MERCHANT_ID = "MLSANDBOX0000001"
DEFAULT_LOCATION_ID = "LSANDBOXMAIN1"
_SERVER_ERRORS = {500: "INTERNAL_SERVER_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE",
                  504: "GATEWAY_TIMEOUT"}
log = logging.getLogger(__name__)
_VERSION_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")


def create_sandbox_app(*, access_token: str = "sandbox-token",  # noqa: S107 - the sandbox's published test token
                       signature_key: str = "sandbox-signature-key",
                       webhook_url: str | None = None, merchant_id: str = DEFAULT_MERCHANT_ID,
                       location_id: str = DEFAULT_LOCATION_ID, state_path: Path | None = None,
                       demo_items: int | None = 300, seed: int = 7, public_url: str | None = None,
                       webhook_workers: int = 4, catalog_shape: str = "legacy") -> Flask:
    """A ready sandbox app; call ``app.extensions["ecs_sandbox"].close()`` (or use ``serve_in_thread``) to stop it.

    Args:
        state_path: JSON file to reload from (if it exists) and to keep saving changes to.
        public_url: base URL shoppers use to reach the sandbox (for payment link URLs); defaults to
            the URL of the request that created the link.
        catalog_shape: "seller" for a demo catalog shaped like a real shop's (item options, the
            seller's custom attributes, nested categories, several locations …), "legacy" for the
            original one with this project's convenience attributes.
    """
    app = Flask(__name__)
    webhooks = WebhookDispatcher(WebhookConfig(urls=[webhook_url] if webhook_url else [], signature_key=signature_key),
                                 workers=webhook_workers, seed=seed)
    restoring = state_path is not None and Path(state_path).exists()
    store = SandboxStore(merchant_id=merchant_id, location_id=location_id,
                         demo_items=0 if restoring else demo_items, seed=seed, emit=webhooks.enqueue,
                         shape=catalog_shape)
    persister = None
    if state_path is not None:
        load(store, Path(state_path))
        persister = Persister(store, Path(state_path))
        store.on_change = persister.notify
    app.extensions[EXTENSION_KEY] = Sandbox(store=store, webhooks=webhooks, faults=FaultInjector(seed=seed),
                                            access_token=access_token, public_url=public_url, persister=persister)
    for blueprint in (catalog_api.bp, catalog_write_api.bp, inventory_api.bp, checkout_api.bp, checkout_page.bp,
                      control_api.bp, chaos_api.bp, refunds_api.bp, images_api.bp):
        app.register_blueprint(blueprint)
    app.before_request(_guard_square_api)
    app.after_request(images_api.public_image_urls)
    _register_errors(app)
    app.add_url_rule("/", "index", _index)
    return app


def _guard_square_api() -> Response | None:
    """Faults first (they model Square's edge), then bearer-token auth, for /v2/* only."""
    if not request.path.startswith("/v2/"):
        return None
    sandbox = current_sandbox()
    decision = sandbox.faults.decide(request.method, request.path)
    if decision.latency_ms:
        time.sleep(decision.latency_ms / 1000)
    rule = decision.error
    if rule is not None and rule.kind == "rate_limit":
        headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else None
        return error_response(SquareError(429, "RATE_LIMITED", "Rate limit exceeded (injected by the ECS sandbox)."),
                              headers)
    if rule is not None:
        code = _SERVER_ERRORS[rule.status]
        return error_response(SquareError(rule.status, code, f"{code} (injected by the ECS sandbox)."))
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), sandbox.access_token.encode()):
        return error_response(SquareError(401, "UNAUTHORIZED", "This request could not be authorized."))
    return _check_square_version(request.headers.get("Square-Version"))


def _check_square_version(value: str | None) -> Response | None:
    """``Square-Version``: absent means the application's default version; otherwise a YYYY-MM-DD date."""
    if value is None:
        return None
    text = value.strip()
    try:
        valid = bool(_VERSION_FORMAT.fullmatch(text)) and date.fromisoformat(text) is not None
    except ValueError:
        valid = False
    if valid:
        return None
    return error_response(SquareError(400, "INVALID_SQUARE_VERSION_FORMAT",
                                      f"`{value}` is not a Square-Version; use a date such as 2025-08-20.",
                                      "Square-Version"))


def _register_errors(app: Flask) -> None:
    @app.errorhandler(SquareError)
    def square_error(exc: SquareError) -> Response:
        return error_response(exc)

    @app.errorhandler(OrderError)
    def order_error(exc: OrderError) -> Response:
        return error_response(SquareError(exc.status, exc.code, exc.detail, exc.field))

    @app.errorhandler(ControlError)
    def control_error(exc: ControlError) -> Response:
        return json_response({"error": exc.message}, exc.status)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response | HTTPException:
        status = exc.code or 500
        if request.path.startswith("/v2/"):
            code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(status, "BAD_REQUEST")
            return error_response(SquareError(status, code, exc.description or exc.name))
        if request.path.startswith("/_sandbox/"):
            return json_response({"error": exc.description or exc.name}, status)
        return exc

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("ECS sandbox error on %s %s", request.method, request.path)
        if request.path.startswith("/v2/"):
            return error_response(SquareError(500, "INTERNAL_SERVER_ERROR", "Unexpected sandbox error."))
        return json_response({"error": f"unexpected sandbox error: {type(exc).__name__}"}, 500)


def _index() -> Response:
    sandbox = current_sandbox()
    return json_response({
        "name": "ECS sandbox (Square-compatible)",
        "square_api": f"{sandbox.base_url()}/v2/",
        "control_api": f"{sandbox.base_url()}/_sandbox/",
        "summary": sandbox.store.summary(),
    })
