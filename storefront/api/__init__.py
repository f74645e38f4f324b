"""The single /api/v1 blueprint: JSON only, one error envelope, request ids, ETags."""

from __future__ import annotations

from flask import Flask

from storefront.api.blueprint import bp, conditional_get


def register_api(app: Flask) -> None:
    """Import the domain API modules (they add routes to ``bp``) and register the blueprint."""
    from storefront.accounts import address_api as _address_api  # noqa: F401
    from storefront.accounts import api as _accounts_api  # noqa: F401
    from storefront.api import openapi as _openapi  # noqa: F401
    from storefront.audit import api as _audit_api  # noqa: F401
    from storefront.cart import api as _cart_api  # noqa: F401
    from storefront.catalog import api as _catalog_api  # noqa: F401
    from storefront.channels import api as _channels_api  # noqa: F401
    from storefront.enrichment import api as _enrichment_api  # noqa: F401
    from storefront.inquiries import api as _inquiries_api  # noqa: F401
    from storefront.lookups import api as _lookups_api  # noqa: F401
    from storefront.orders import api as _orders_api  # noqa: F401
    from storefront.orders import checkout_api as _checkout_api  # noqa: F401
    from storefront.photos import api as _photos_api  # noqa: F401
    from storefront.staff import api as _staff_api  # noqa: F401
    from storefront.sync import api as _sync_api  # noqa: F401
    from storefront.sync import mapping_api as _mapping_api  # noqa: F401
    from storefront.system import api as _system_api  # noqa: F401
    from storefront.wantlist import api as _wantlist_api  # noqa: F401
    from storefront.webhooks import api as _webhooks_api  # noqa: F401
    from storefront.wishlist import api as _wishlist_api  # noqa: F401

    app.register_blueprint(bp)
    app.after_request(conditional_get)
