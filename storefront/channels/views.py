"""Channel endpoints outside the API: the Google product feed and Shopify's order webhook.

* ``POST /webhooks/shopify/<connector code>`` — Shopify's ``orders/create``. The body is checked
  against ``X-Shopify-Hmac-Sha256`` with the connector's webhook secret before it is parsed (401
  ``CHN-050`` otherwise, nothing stored); each copy sold becomes a ``channel.sale`` inbox event, so a
  redelivered order is a duplicate and processing retries like any ECS webhook.

* ``GET /feeds/google/<token>.<xml|tsv>`` — the feed Merchant Center fetches on its schedule. The
  token is opaque (unguessable) and per connector; the body is the copies listed by the
  connector's last sync, cached per catalog state with a strong ETag (304 on a repeat).
"""

from __future__ import annotations

import hmac
import json
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import select

from storefront.channels import mappings, vault
from storefront.channels.adapters import ERROR_CODES
from storefront.channels.google_feed import build_feed
from storefront.channels.models import ChannelConnector, ChannelListing
from storefront.channels.offers import current_offers
from storefront.channels.sales import announce
from storefront.channels.shopify_adapter import sales_from_order
from storefront.extensions import csrf, db, limiter
from storefront.shopify.webhooks import verify_webhook

bp = Blueprint("channels", __name__)
FEED_CACHE_SIZE = 16
_feed_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def _feed_connector(token: str) -> ChannelConnector:
    connector = db.session.scalar(select(ChannelConnector).where(ChannelConnector.channel_type == "google_feed",
                                                                 ChannelConnector.feed_token == token))
    if connector is None or not hmac.compare_digest(connector.feed_token or "", token) \
            or connector.status == "disabled":
        abort(404)
    return connector


def _feed_state(connector: ChannelConnector) -> tuple[Any, ...]:
    """What the feed depends on: the listings' last change and the connector's own settings."""
    latest = db.session.scalar(select(db.func.max(ChannelListing.updated_at))
                               .where(ChannelListing.connector_id == connector.id))
    return connector.id, str(latest), str(connector.updated_at)


def render_connector_feed(connector: ChannelConnector, fmt: str) -> Any:
    """The feed of the connector's listed copies (cached per state, bounded)."""
    key = (*_feed_state(connector), fmt)
    if key in _feed_cache:
        _feed_cache.move_to_end(key)
        return _feed_cache[key]
    listed = set(db.session.scalars(select(ChannelListing.offer_key).where(
        ChannelListing.connector_id == connector.id, ChannelListing.status == "listed")))
    offers = [o for o in current_offers(mappings.effective(connector.mappings)) if o.key in listed]
    settings = connector.settings or {}
    result = build_feed(offers, fmt=fmt, shop_title=current_app.config["SHOP_NAME"],
                        shop_link=str(current_app.config["PUBLIC_BASE_URL"]),
                        language=settings.get("language", "en"), target_country=settings.get("target_country", "US"))
    _feed_cache[key] = result
    while len(_feed_cache) > FEED_CACHE_SIZE:
        _feed_cache.popitem(last=False)
    return result


@bp.get("/feeds/google/<token>.<fmt>")
@limiter.limit("60 per minute")
def google_feed(token: str, fmt: str) -> Response:
    if fmt not in ("xml", "tsv") or len(token) > 64:
        abort(404)
    result = render_connector_feed(_feed_connector(token), fmt)
    response = Response(result.body, content_type=result.content_type)
    response.set_etag(result.etag)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response.make_conditional(request)


def _channel_error(status: int, code: str, message: str) -> Response:
    response = jsonify({"message": message, "error_code": code})
    response.status_code = status
    return response


@bp.post("/webhooks/shopify/<code>")
@csrf.exempt
@limiter.limit("600 per minute")
def shopify_webhook(code: str) -> Response:
    body = request.get_data(cache=False)
    if len(body) > int(current_app.config["WEBHOOK_MAX_BODY_BYTES"]):
        return _channel_error(413, "CHN-011", "The webhook body is too large.")
    connector = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == code[:64],
                                                                 ChannelConnector.channel_type == "shopify"))
    secret = ""
    if connector is not None and connector.credentials:
        try:
            secret = vault.unseal(connector.credentials).get("webhook_secret", "")
        except vault.CredentialsUnreadable:
            secret = ""
    if connector is None or not verify_webhook(secret, body, request.headers.get("X-Shopify-Hmac-Sha256")):
        # The same answer for an unknown connector and a bad signature: nothing to enumerate.
        return _channel_error(401, "CHN-050", ERROR_CODES["CHN-050"])
    if request.headers.get("X-Shopify-Topic", "orders/create") != "orders/create":
        return jsonify({"ignored": True})  # a topic we did not subscribe to: acknowledged, not stored
    try:
        order = json.loads(body)
        sales = sales_from_order(order) if isinstance(order, dict) and "id" in order else None
    except (ValueError, TypeError, KeyError):
        sales = None
    if sales is None:
        return _channel_error(400, "CHN-011", "The webhook body is not a Shopify order.")
    return jsonify({"received": len(sales), "new": announce(connector, sales)})
