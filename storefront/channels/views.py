"""Channel endpoints outside the API: the Google product feed and Shopify's order webhook.

* ``GET /feeds/google/<token>.<xml|tsv>`` — the feed Merchant Center fetches on its schedule. The
  token is opaque (unguessable) and per connector; the body is the copies listed by the
  connector's last sync, cached per catalog state with a strong ETag (304 on a repeat).
* ``POST /webhooks/shopify/<code>`` — ``orders/create``, verified with ``X-Shopify-Hmac-Sha256``
  (constant time) before anything is parsed; a bad signature is a 401 with CHN-050 and changes
  nothing. Accepted sales go to the inbox (retries, DLQ) like ECS webhooks.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlalchemy import select

from storefront.channels import mappings, vault
from storefront.channels.google_feed import build_feed
from storefront.channels.models import ChannelConnector, ChannelListing
from storefront.channels.offers import current_offers
from storefront.channels.sales import announce
from storefront.channels.shopify_adapter import sales_from_order_webhook
from storefront.channels.shopify_client import verify_webhook
from storefront.extensions import csrf, db, limiter

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


def _shopify_refusal(message: str, status: int = 401) -> Response:
    response = jsonify({"message": message, "error_code": "CHN-050"})
    response.status_code = status
    return response


@bp.post("/webhooks/shopify/<code>")
@csrf.exempt
@limiter.limit("600 per minute")
def shopify_webhook(code: str) -> Response:
    """Verify, then queue the order's sales; any unknown connector looks the same as a bad signature."""
    limit = current_app.config["WEBHOOK_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        return _shopify_refusal(f"Webhook bodies are limited to {limit} bytes.", 413)
    body = request.get_data(cache=False)
    connector = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == code,
                                                                 ChannelConnector.channel_type == "shopify"))
    secret = vault.unseal(connector.credentials).get("webhook_secret", "") if connector else ""
    # The same work for an unknown connector as for a wrong signature: no way to probe codes.
    valid = verify_webhook(secret or hashlib.sha256(b"no-secret").hexdigest(), body,
                           request.headers.get("X-Shopify-Hmac-Sha256", ""))
    if connector is None or not secret or not valid:
        return _shopify_refusal("The webhook signature is missing or does not match.")
    topic = request.headers.get("X-Shopify-Topic", "")
    if topic != "orders/create":
        return jsonify({"status": "ignored", "topic": topic[:64]})
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _shopify_refusal("The webhook body is not a JSON object.", 400)
    new = announce(connector, sales_from_order_webhook(payload))
    return jsonify({"status": "accepted", "sales": new})
