"""Shopify webhook verification: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body
with the app's webhook secret (Shopify's documentation, "Verify webhooks")."""

from __future__ import annotations

import base64
import hashlib
import hmac


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_webhook(secret: str, body: bytes, header_value: str | None) -> bool:
    """Constant-time check of the header against the body; False for anything missing."""
    if not secret or not header_value:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header_value.strip().encode())
