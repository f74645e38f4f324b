"""The cart's "Have a code?" form: apply a code to the session, show what it is worth, remove it.

The code lives in the Flask session under ``"coupon_code"`` (the cart model is untouched) and
survives logging in. The checkout reads it with :func:`current_coupon_code` and quotes it with
:func:`storefront.coupons.services.check_coupon`. The partial ``coupons/_cart_coupon.html`` can be
included in any page whose context has ``cart`` (a CartView); it keeps itself in step with the
cart's own HTMX updates (see :func:`refresh`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, flash, has_request_context, redirect, render_template, request, session, url_for

from storefront.accounts.services import login_hooks
from storefront.cart.services import CartView, view_cart
from storefront.cart.session import session_cart
from storefront.core.errors import ValidationError
from storefront.coupons.services import CouponQuote, check_coupon, normalise_code
from storefront.extensions import limiter
from storefront.web import htmx
from storefront.web.identity import current_customer
from storefront.web.safe_redirect import local_path

bp = Blueprint("coupons", __name__)

SESSION_KEY = "coupon_code"
APPLY_LIMIT = "10 per minute;60 per hour"  # codes are guessable: slow the guessing down
EMPTY_CART = "Add something to your cart first."


def current_coupon_code() -> str | None:
    """The code the shopper applied in this browser session (upper-case), or None."""
    if not has_request_context():
        return None
    return normalise_code(session.get(SESSION_KEY)) or None


@dataclass(frozen=True)
class CartCoupon:
    """The applied code and what it is worth for ``cart`` now (``error`` when it no longer applies)."""

    cart: CartView
    code: str | None = None
    quote: CouponQuote | None = None
    error: str | None = None

    @property
    def state(self) -> str:
        """A fingerprint of what the partial shows: unchanged → the refresh answers 204."""
        quote = self.quote
        text = "|".join(str(part) for part in (
            bool(self.cart.lines), self.code, self.error, quote and quote.discount_amount, quote and quote.label))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _shopper() -> tuple[str | None, int | None]:
    customer = current_customer()
    return (customer.email, customer.id) if customer is not None else (None, None)


def quote_for(code: str, cart: CartView) -> CouponQuote:
    """Quote ``code`` for ``cart`` and the logged-in customer (ValidationError when it doesn't apply)."""
    if not cart.lines:
        raise ValidationError.for_field("coupon", EMPTY_CART)
    email, customer_id = _shopper()
    return check_coupon(code, subtotal=cart.subtotal, currency=cart.currency, email=email, customer_id=customer_id)


def cart_coupon(cart: CartView | None = None) -> CartCoupon:
    """The session's code against ``cart`` (default: the session's cart)."""
    view = cart if isinstance(cart, CartView) else view_cart(session_cart())
    code = current_coupon_code()
    if code is None or not view.lines:
        return CartCoupon(view, code)
    try:
        return CartCoupon(view, code, quote_for(code, view))
    except ValidationError as exc:
        return CartCoupon(view, code, error=exc.message)


@bp.app_context_processor
def coupon_context() -> dict[str, Any]:
    return {"cart_coupon": cart_coupon}


def _answer(message: str | None, *, failed: bool, typed: str = "") -> Response:
    """HTMX: the refreshed partial (200, so htmx swaps it). A plain form post: back to the page."""
    if htmx.is_htmx():
        response = Response(render_template("coupons/_cart_coupon.html", coupon_state=cart_coupon(),
                                            attempt_error=message if failed else None, typed=typed))
        response.vary.add("HX-Request")
        response.headers["HX-Trigger"] = "couponChanged"  # the checkout's totals refresh themselves
        return response
    if message:
        flash(message, "error" if failed else "success")
    return redirect(local_path(request.form.get("next"), default=url_for("cart.view")), code=303)


@bp.post("/cart/coupon")
@limiter.limit(APPLY_LIMIT)
def apply() -> Response:
    code = normalise_code(request.form.get("code"))[:60]
    try:
        quote = quote_for(code, view_cart(session_cart()))
    except ValidationError as exc:
        return _answer(exc.message, failed=True, typed=code)
    session[SESSION_KEY] = quote.code
    return _answer(f"Code {quote.code} applied: {quote.label}.", failed=False)


@bp.post("/cart/coupon/remove")
def remove() -> Response:
    removed = session.pop(SESSION_KEY, None)
    return _answer("Code removed." if removed else None, failed=False)


@bp.get("/cart/coupon")
def refresh() -> Response:
    """The partial again, for HTMX after the cart changed; 204 when it would show the same.

    The partial asks after every swap on the page (``htmx:afterSwap from:body``); the 204 (no
    swap, so no further event) is what ends the chain.
    """
    if not htmx.is_htmx():
        return redirect(url_for("cart.view"), code=303)
    state = cart_coupon()
    if request.args.get("state") == state.state:
        return Response(status=204)
    response = Response(render_template("coupons/_cart_coupon.html", coupon_state=state))
    response.vary.add("HX-Request")
    return response


@login_hooks.register("coupons.keep_code", carry=[SESSION_KEY])
def keep_code_on_login(_customer_id: int, _carried: Mapping[str, Any]) -> dict[str, Any]:
    """Logging in starts a new session: the applied code comes along (carried, nothing to change)."""
    return {}
