"""Build the adapter for a connector from its type, settings and (unsealed) credentials."""

from __future__ import annotations

from flask import current_app

from storefront.channels import vault
from storefront.channels.adapters import ChannelAdapter, ChannelError
from storefront.channels.feed_adapter import GoogleFeedAdapter
from storefront.channels.models import ChannelConnector


def feed_url(connector: ChannelConnector) -> str:
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}/feeds/google/{connector.feed_token}.{connector.settings.get('format', 'xml')}"


def adapter_for(connector: ChannelConnector) -> ChannelAdapter:
    """The connector's adapter; CHN-004 when a required credential is missing, CHN-091 when disabled."""
    if connector.status == "disabled":
        raise ChannelError("CHN-091")
    if connector.channel_type == "google_feed":
        return GoogleFeedAdapter(feed_url(connector))
    vault.unseal(connector.credentials)  # unreadable credentials fail here, before any channel call
    raise ChannelError("CHN-003", f"The {connector.channel_type} connector is not available in this version yet.")
