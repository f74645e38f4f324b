"""Build the adapter for a connector from its type, settings and (unsealed) credentials."""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import select

from storefront.channels import vault
from storefront.channels.adapters import ChannelAdapter, ChannelError
from storefront.channels.discogs_adapter import DiscogsAdapter
from storefront.channels.feed_adapter import GoogleFeedAdapter
from storefront.channels.models import ChannelConnector, ChannelListing
from storefront.channels.offers import variation_of
from storefront.channels.shopify_adapter import ShopifyAdapter
from storefront.discogs.client import api_base_of
from storefront.discogs.limits import shared_limiter
from storefront.discogs.marketplace import MarketplaceClient
from storefront.enrichment.discogs import user_agent
from storefront.extensions import db
from storefront.shopify.client import DEFAULT_VERSION, ShopifyClient


def feed_url(connector: ChannelConnector) -> str:
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/feeds/google/{connector.feed_token}.{connector.settings.get('format', 'xml')}"


def adapter_for(connector: ChannelConnector) -> ChannelAdapter:
    """The connector's adapter; CHN-004 when a required credential is missing, CHN-091 when disabled."""
    if connector.status == "disabled":
        raise ChannelError("CHN-091")
    if connector.channel_type == "google_feed":
        return GoogleFeedAdapter(feed_url(connector))
    credentials = vault.unseal(connector.credentials)  # unreadable credentials fail here, before any call
    if connector.channel_type == "discogs":
        return discogs_adapter(connector, credentials)
    if connector.channel_type == "shopify":
        return shopify_adapter(connector, credentials)
    raise ChannelError("CHN-003", f"The {connector.channel_type} connector is not available in this version yet.")


def discogs_adapter(connector: ChannelConnector, credentials: dict[str, str]) -> DiscogsAdapter:
    """A Discogs adapter on the connector's token. Its rate budget is the token's, shared in this process
    with enrichment and any other connector on the same token; a call waits at most one window."""
    token = credentials.get("token")
    if not token:
        raise ChannelError("CHN-004")
    settings = connector.settings or {}
    window = float(current_app.config["CHANNEL_DISCOGS_RATE_WINDOW"])
    try:
        base = api_base_of(settings.get("api_base"))
        limiter = shared_limiter(token, base, int(settings.get("rate_limit") or 60), window,
                                 clock=time.monotonic, sleep=time.sleep)
        client = MarketplaceClient(token, user_agent=user_agent(), api_base=base, limiter=limiter,
                                   max_wait=window + 5, backoff_base=min(2.0, window / 10), backoff_cap=window / 2)
    except ValueError as exc:
        raise ChannelError("CHN-011", f"The Discogs connector's settings are not usable: {exc}") from None
    return DiscogsAdapter(client, location=str(settings.get("location") or ""))


def shopify_adapter(connector: ChannelConnector, credentials: dict[str, str]) -> ShopifyAdapter:
    """A Shopify adapter on the connector's shop URL, location and access token."""
    token = credentials.get("access_token")
    if not token:
        raise ChannelError("CHN-004")
    settings = connector.settings or {}
    if not settings.get("location_id"):
        raise ChannelError("CHN-010", "The Shopify connector needs the location_id its stock is counted at.")
    try:
        client = ShopifyClient(str(settings.get("base_url") or ""), token,
                               api_version=str(settings.get("api_version") or DEFAULT_VERSION))
    except ValueError as exc:
        raise ChannelError("CHN-011", f"The Shopify connector's settings are not usable: {exc}") from None

    def known_product(variation: str) -> dict[str, object] | None:
        """The ids of the product an earlier sync made for this record (all its copies share it)."""
        rows = db.session.execute(select(ChannelListing.offer_key, ChannelListing.extra).where(
            ChannelListing.connector_id == connector.id, ChannelListing.offer_key.like(f"{variation}#%"))).all()
        return next((dict(extra) for key, extra in rows
                     if variation_of(key) == variation and extra and extra.get("variant_id")), None)

    return ShopifyAdapter(client, int(settings["location_id"]), known_product)
