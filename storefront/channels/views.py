"""Channel endpoints outside the API: the Google product feed.

* ``GET /feeds/google/<token>.<xml|tsv>`` — the feed Merchant Center fetches on its schedule. The
  token is opaque (unguessable) and per connector; the body is the copies listed by the
  connector's last sync, cached per catalog state with a strong ETag (304 on a repeat).
"""

from __future__ import annotations

import hmac
from collections import OrderedDict
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select

from storefront.channels import mappings
from storefront.channels.google_feed import build_feed
from storefront.channels.models import ChannelConnector, ChannelListing
from storefront.channels.offers import current_offers
from storefront.extensions import db, limiter

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
