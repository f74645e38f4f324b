"""Finding the cart of the current browser session (pages) — the API passes X-Cart-Token instead."""

from __future__ import annotations

from flask import has_request_context, session

from storefront.cart.models import Cart
from storefront.cart.services import create_cart, find_cart

SESSION_KEY = "cart_token"


def session_cart(*, create: bool = False) -> Cart | None:
    cart = find_cart(session.get(SESSION_KEY))
    if cart is None and create:
        token, cart = create_cart()
        session[SESSION_KEY] = token
    return cart


def session_cart_count() -> int:
    if not has_request_context():  # templates rendered by jobs (emails) have no visitor
        return 0
    cart = find_cart(session.get(SESSION_KEY)) if session.get(SESSION_KEY) else None
    if cart is None:
        return 0
    return sum(int(entry.get("quantity", 0)) for entry in (cart.lines or {}).values())


def adopt_session_cart(customer_id: int) -> None:
    """After login the browser's cart belongs to the customer (checkout needs an owner)."""
    from storefront.extensions import db

    cart = find_cart(session.get(SESSION_KEY))
    if cart is not None and cart.customer_id != customer_id:
        cart.customer_id = customer_id
        db.session.commit()
