"""Checkout, confirmation, order-status lookup and order history pages."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from storefront.accounts.addresses import default_address, list_addresses
from storefront.cart.services import view_cart
from storefront.cart.session import session_cart
from storefront.core.addresses import country_choices
from storefront.core.errors import DomainError, NotFound, ValidationError
from storefront.coupons.views import current_coupon_code
from storefront.extensions import limiter
from storefront.orders.checkout import Buyer
from storefront.orders.fulfilment import carrier_name, tracking_url
from storefront.orders.lifecycle import poll_if_due
from storefront.orders.limits import order_number_key, order_status_limit
from storefront.orders.quote import ADDRESS_FIELDS, cart_ecs_ids, parse_details, quote
from storefront.orders.services import (
    check_out_cart,
    customer_order,
    line_images,
    lookup_order,
    order_from_status_token,
    order_history,
    status_link_token,
)
from storefront.shipping.services import shipping_enabled
from storefront.web import htmx
from storefront.web.identity import current_customer
from storefront.web.pagination import page_request, pagination_dict

bp = Blueprint("orders", __name__)
bp.add_app_template_global(carrier_name, "carrier_name")


def _require_customer():  # noqa: ANN202
    customer = current_customer()
    if customer is None:
        return None, redirect(url_for("accounts.login", next=request.path), code=303)
    return customer, None


def _customer_or_none():  # noqa: ANN202
    return current_customer()


def _checkout_form(customer) -> dict[str, str]:  # noqa: ANN001
    """What the checkout form shows: what was posted, else the customer's default address."""
    if request.method == "POST":
        return {k: request.form.get(k, "") for k in ("email", "shipping_method", *ADDRESS_FIELDS)}
    default = default_address(customer.id) if customer else None
    return {k: str(getattr(default, k) or "") for k in ADDRESS_FIELDS} if default else {}


def _render_checkout(cart, customer, form: dict[str, str], errors: dict[str, str],  # noqa: ANN001
                     *, template: str = "orders/checkout.html", status: int = 200) -> tuple[str, int]:
    view = view_cart(cart)
    ships = shipping_enabled()
    data = {**form, "coupon_code": current_coupon_code() or ""}
    details = parse_details(data, email=customer.email if customer else None, require_address=ships, partial=True)
    priced = quote(view, details, customer_id=customer.id if customer else None, ecs_ids=cart_ecs_ids(view))
    shown = {k: v for k, v in priced.errors.items() if k != "shipping_method" or request.method == "POST"}
    return render_template(template, cart=view, customer=customer, form=form, quote=priced, ships=ships,
                           errors={**shown, **errors}, countries=country_choices(),
                           saved_addresses=list_addresses(customer.id) if customer else []), status


@bp.get("/checkout")
def checkout_page() -> Response | tuple[str, int]:
    cart = session_cart()
    if cart is None or not view_cart(cart).lines:
        flash("Your cart is empty.", "warning")
        return redirect(url_for("cart.view"), code=303)
    customer = _customer_or_none()
    return _render_checkout(cart, customer, _checkout_form(customer), {})


@bp.post("/checkout/quote")
@limiter.limit("60 per minute")
def checkout_quote() -> Response | tuple[str, int]:
    """The delivery options and totals for what the form says so far (HTMX, on every change)."""
    cart = session_cart()
    if cart is None:
        return Response("", status=204)
    customer = _customer_or_none()
    return _render_checkout(cart, customer, _checkout_form(customer), {}, template="orders/_checkout_quote.html")


@bp.post("/checkout")
@limiter.limit("20 per minute")
def checkout_submit() -> Response | tuple[str, int]:
    cart = session_cart()
    if cart is None or not view_cart(cart).lines:
        flash("Your cart is empty.", "warning")
        return redirect(url_for("cart.view"), code=303)
    customer = _customer_or_none()
    form = _checkout_form(customer)
    try:
        details = parse_details({**form, "coupon_code": current_coupon_code() or ""},
                                email=customer.email if customer else None, require_address=shipping_enabled())
        buyer = Buyer(customer.id if customer else None, details.email)
        order = check_out_cart(cart, buyer, details)
    except DomainError as exc:
        errors = {d.field: d.message for d in exc.details} or {"form": exc.message}
        if exc.details and exc.details[0].field.startswith("variation:"):
            errors = {"form": exc.message, **{d.field: d.message for d in exc.details}}
        return _render_checkout(cart, customer, form, errors,
                                status=exc.http_status if exc.http_status != 422 else 400)
    return redirect(order.payment_url, code=303)


@bp.get("/orders/confirmation/<token>")
def confirmation(token: str) -> Response | str:
    """Where the hosted checkout sends the shopper back: shows the real payment state."""
    order = poll_if_due(order_from_status_token(token))
    template = "orders/_detail.html" if htmx.is_htmx() else "orders/confirmation.html"
    response = Response(render_template(template, order=order, token=token, just_paid=True,
                                        line_images=line_images(order), tracking=tracking_url(order)))
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
                           token=status_link_token(order), line_images=line_images(order), tracking=tracking_url(order))


@bp.get("/orders/status/<token>")
def status_from_link(token: str) -> str:
    """The signed link from the confirmation email opens the order directly."""
    order = poll_if_due(order_from_status_token(token))
    return render_template("orders/status.html", order=order, form={}, errors={}, token=token,
                           line_images=line_images(order), tracking=tracking_url(order))


@bp.get("/account/orders/<number>")
@login_required
def order_page(number: str) -> Response | str:
    """One of the customer's own orders (someone else's number is simply not found)."""
    customer, redirect_response = _require_customer()
    if redirect_response:
        return redirect_response
    order = poll_if_due(customer_order(customer.id, number))
    return render_template("orders/order.html", order=order, token=status_link_token(order),
                           line_images=line_images(order), tracking=tracking_url(order))


@bp.get("/account/orders")
@login_required
def history() -> Response | str:
    customer, redirect_response = _require_customer()
    if redirect_response:
        return redirect_response
    page = page_request(request.args, default_limit=10, max_limit=50)
    orders, total = order_history(customer.id, page)

    return render_template("orders/history.html", orders=orders, pagination=pagination_dict(page, total))
