"""Finding the cart of the current browser session (pages) — the API passes X-Cart-Token instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import has_request_context, session

from storefront.accounts.services import login_hooks
from storefront.cart.models import Cart
from storefront.cart.services import create_cart, find_cart
from storefront.extensions import db

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


@login_hooks.register("cart.keep_guest_cart", carry=[SESSION_KEY])
def adopt_guest_cart(customer_id: int, carried: Mapping[str, Any]) -> dict[str, Any]:
    """The session is replaced on login; the guest's cart survives and now belongs to the customer."""
    cart = find_cart(carried.get(SESSION_KEY))
    if cart is None:
        return {SESSION_KEY: None}
    if cart.customer_id not in (None, customer_id):
        return {SESSION_KEY: None}  # someone else's cart token: start afresh
    if cart.customer_id != customer_id:
        cart.customer_id = customer_id
        db.session.commit()
    return {}
