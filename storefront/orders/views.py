"""Checkout, confirmation, order-status lookup and order history pages."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from storefront.cart.services import view_cart
from storefront.cart.session import session_cart
from storefront.core.errors import DomainError, NotFound, ValidationError
from storefront.extensions import limiter
from storefront.orders.checkout import Buyer
from storefront.orders.lifecycle import poll_if_due
from storefront.orders.limits import order_number_key, order_status_limit
from storefront.orders.services import (
    check_out_cart,
    lookup_order,
    order_from_status_token,
    order_history,
    status_link_token,
)
from storefront.web import htmx
from storefront.web.identity import current_customer
from storefront.web.pagination import page_request, pagination_dict

bp = Blueprint("orders", __name__)


def _require_customer():  # noqa: ANN202
    customer = current_customer()
    if customer is None:
        return None, redirect(url_for("accounts.login", next=request.path), code=303)
    return customer, None


@bp.get("/checkout")
@login_required
def checkout_page() -> Response | str:
    customer, redirect_response = _require_customer()
    if redirect_response:
        return redirect_response
    view = view_cart(session_cart())
    if not view.lines:
        flash("Your cart is empty.", "warning")
        return redirect(url_for("cart.view"), code=303)
    return render_template("orders/checkout.html", cart=view, customer=customer)


@bp.post("/checkout")
@login_required
@limiter.limit("20 per minute")
def checkout_submit() -> Response | tuple[str, int]:
    customer, redirect_response = _require_customer()
    if redirect_response:
        return redirect_response
    cart = session_cart()
    if cart is None:
        flash("Your cart is empty.", "warning")
        return redirect(url_for("cart.view"), code=303)
    try:
        order = check_out_cart(cart, Buyer(customer.id, customer.email))
    except DomainError as exc:
        messages = [d.message for d in exc.details] or [exc.message]
        return render_template("cart/view.html", cart=view_cart(cart), errors=[exc.message, *messages[:5]]), \
            exc.http_status if exc.http_status != 422 else 400
    return redirect(order.payment_url, code=303)


@bp.get("/orders/confirmation/<token>")
def confirmation(token: str) -> Response | str:
    """Where the hosted checkout sends the shopper back: shows the real payment state."""
    order = poll_if_due(order_from_status_token(token))
    template = "orders/_status.html" if htmx.is_htmx() else "orders/confirmation.html"
    response = Response(render_template(template, order=order, token=token))
    response.vary.add("HX-Request")
    return response


@bp.route("/orders/status", methods=["GET", "POST"])
@limiter.limit(order_status_limit, methods=["POST"])
@limiter.limit(order_status_limit, key_func=order_number_key, methods=["POST"])
def status() -> tuple[str, int] | str:
    """Look an order up by number + email (POST, so the email never lands in URLs or logs)."""
    if request.method == "GET":
        return render_template("orders/status.html", order=None, errors={}, form={})
    form = {"number": request.form.get("number", ""), "email": request.form.get("email", "")}
    try:
        order = lookup_order(form["number"], form["email"])
    except ValidationError as exc:
        return render_template("orders/status.html", order=None, form=form,
                               errors={d.field: d.message for d in exc.details}), 400
    except NotFound as exc:
        return render_template("orders/status.html", order=None, form=form, errors={"form": exc.message}), 404
    return render_template("orders/status.html", order=order, form={}, errors={},
                           token=status_link_token(order))


@bp.get("/orders/status/<token>")
def status_from_link(token: str) -> str:
    """The signed link from the confirmation email opens the order directly."""
    order = order_from_status_token(token)
    return render_template("orders/status.html", order=order, form={}, errors={}, token=token)


@bp.get("/account/orders")
@login_required
def history() -> Response | str:
    customer, redirect_response = _require_customer()
    if redirect_response:
        return redirect_response
    page = page_request(request.args, default_limit=10, max_limit=50)
    orders, total = order_history(customer.id, page)

    return render_template("orders/history.html", orders=orders, pagination=pagination_dict(page, total))
