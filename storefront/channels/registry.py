"""Build the adapter for a connector from its type, settings and (unsealed) credentials."""

from __future__ import annotations

from flask import current_app

from storefront.channels import vault
from storefront.channels.adapters import ChannelAdapter, ChannelError
from storefront.channels.feed_adapter import GoogleFeedAdapter
from storefront.channels.models import ChannelConnector

ADAPTERS_KEY = "channel_adapters"  # tests may put a factory here: {channel_type: callable(connector)}


def feed_url(connector: ChannelConnector) -> str:
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/feeds/google/{connector.feed_token}.{connector.settings.get('format', 'xml')}"


def _discogs(connector: ChannelConnector, credentials: dict[str, str]) -> ChannelAdapter:
    from storefront.channels.discogs_channel import build_discogs_adapter

    return build_discogs_adapter(connector, credentials)


def _shopify(connector: ChannelConnector, credentials: dict[str, str]) -> ChannelAdapter:
    from storefront.channels.shopify_channel import build_shopify_adapter

    return build_shopify_adapter(connector, credentials)


def adapter_for(connector: ChannelConnector) -> ChannelAdapter:
    """The connector's adapter; CHN-004 when a required credential is missing, CHN-091 when disabled."""
    if connector.status == "disabled":
        raise ChannelError("CHN-091")
    if connector.channel_type == "google_feed":
        return GoogleFeedAdapter(feed_url(connector))
    credentials = vault.unseal(connector.credentials)
    builders = {"discogs": _discogs, "shopify": _shopify}
    if connector.channel_type not in builders:
        raise ChannelError("CHN-003")
    return builders[connector.channel_type](connector, credentials)
