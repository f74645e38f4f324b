"""Cart pages: view, add, update, remove — plain forms that HTMX makes instant."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for

from storefront.cart.services import add_to_cart, change_quantity, parse_id, remove_item, view_cart
from storefront.cart.session import session_cart, session_cart_count
from storefront.core.errors import DomainError
from storefront.web import htmx
from storefront.web.safe_redirect import local_path

bp = Blueprint("cart", __name__, url_prefix="/cart")



def _cart_page(status: int = 200, errors: list[str] | None = None) -> Response:
    cart = session_cart()
    view = view_cart(cart)
    template = "cart/_cart.html" if htmx.wants("cart") else "cart/view.html"
    response = Response(render_template(template, cart=view, errors=errors or [], cart_count=view.count),
                        status=status)
    response.vary.add("HX-Request")
    return response


@bp.get("")
def view() -> Response:
    return _cart_page()


@bp.post("/add")
def add() -> Response:
    """Add an item (a variation, or an item's first variation)."""
    back = local_path(request.form.get("next"), default=url_for("cart.view"))
    try:
        variation = add_to_cart(session_cart(create=True), variation_id=request.form.get("variation_id"),
                                item_id=request.form.get("item_id"),
                                quantity=request.form.get("quantity", "1")).variation
    except DomainError as exc:
        if htmx.is_htmx():
            return Response(render_template("cart/_added.html", error=exc.message,
                                            cart_count=session_cart_count()), status=200)
        flash(exc.message, "error")
        return redirect(back, code=303)
    if htmx.is_htmx():
        return Response(render_template("cart/_added.html", added=variation, cart_count=session_cart_count()))
    flash(f"Added {variation.item.name} to your cart.", "success")
    return redirect(back, code=303)


@bp.post("/update")
def update() -> Response:
    try:
        cart = session_cart()
        if cart is None:
            raise DomainError("Your cart is empty.")
        change_quantity(cart, request.form.get("variation_id"), request.form.get("quantity"))
    except DomainError as exc:
        return _after_change(exc.message)
    return _after_change()


@bp.post("/remove")
def remove() -> Response:
    try:
        cart = session_cart()
        if cart is None:
            raise DomainError("Your cart is empty.")
        remove_item(cart, parse_id(request.form.get("variation_id"), "variation_id"))
    except DomainError as exc:
        return _after_change(exc.message)
    return _after_change()


def _after_change(error: str | None = None) -> Response:
    if htmx.is_htmx():
        return _cart_page(errors=[error] if error else None)
    if error:
        flash(error, "error")
    return redirect(url_for("cart.view"), code=303)


def init_app(app: Flask) -> None:
    @app.context_processor
    def cart_count_context() -> dict[str, int]:
        return {"cart_count": session_cart_count()}
