"""Typed errors for Shopify Admin API calls (messages never carry the access token)."""

from __future__ import annotations


class ShopifyError(Exception):
    """Base: ``status`` is the HTTP status (0 when there was no response)."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class ShopifyAuthError(ShopifyError):
    """401/403: the access token is wrong or lacks a scope."""


class ShopifyNotFound(ShopifyError):
    """404: no such product, variant or order."""


class ShopifyInvalid(ShopifyError):
    """400/422: Shopify refused the fields (``{"errors": …}``)."""


class ShopifyRateLimited(ShopifyError):
    """429 after every retry."""


class ShopifyUnavailable(ShopifyError):
    """5xx after every retry, or no connection."""


class ShopifyTimeout(ShopifyUnavailable):
    """Shopify did not answer within the client's timeout."""
