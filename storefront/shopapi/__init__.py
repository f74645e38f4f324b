"""The Shop API (/api/v1/shop): products, a session cart, customer auth with JWTs, orders and
content pages for a headless front end, in the shape the platform specification defines. It calls
the same services as the pages and /api/v1; only the shapes (and the error shape) differ."""

from __future__ import annotations

from flask import Flask


def register_shop_api(app: Flask) -> None:
    from storefront.shopapi import accounts as _accounts  # noqa: F401  (routes on bp)
    from storefront.shopapi import cart as _cart  # noqa: F401
    from storefront.shopapi import content as _content  # noqa: F401
    from storefront.shopapi import orders as _orders  # noqa: F401
    from storefront.shopapi import products as _products  # noqa: F401
    from storefront.shopapi.blueprint import bp

    app.register_blueprint(bp)
