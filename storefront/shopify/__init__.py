"""Shopify's REST Admin API for one shop: the client, webhook verification and a local sandbox."""
