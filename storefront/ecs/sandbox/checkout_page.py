"""The hosted checkout page a payment link's URL opens: shows the order, takes a test card.

On success the shopper is sent (303) to the link's ``redirect_url`` with Square Checkout's
parameters appended: ``checkoutId`` (the payment link id), ``orderId``, ``transactionId`` (the order
id, as Square's transaction ids are order ids) and ``referenceId`` when the order has one.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, redirect, render_template, request, url_for

from storefront.core.money import format_money as money_text
from storefront.ecs.sandbox.context import current_sandbox
from storefront.ecs.sandbox.payments import CardError, parse_card

bp = Blueprint("sandbox_checkout_page", __name__)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def format_money(money: dict[str, Any]) -> str:
    """A Square Money for the page, by its currency's own ISO 4217 exponent (JPY 1999 → ¥1,999)."""
    return money_text(int(money.get("amount") or 0), str(money.get("currency") or "USD"))


def redirect_target(redirect_url: str, link: dict[str, Any], order: dict[str, Any]) -> str:
    """``redirect_url`` with Square Checkout's result parameters merged into its query string."""
    parts = urlsplit(redirect_url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    params += [("checkoutId", link["id"]), ("orderId", order["id"]), ("transactionId", order["id"])]
    if order.get("reference_id"):
        params.append(("referenceId", order["reference_id"]))
    return urlunsplit(parts._replace(query=urlencode(params)))


def _message(heading: str, message: str, status: int, *, tone: str = "notice", order_id: str = "") -> Response:
    html = render_template("message.html", heading=heading, message=message, tone=tone, order_id=order_id)
    return Response(html, status=status, mimetype="text/html")


def _amount(money: dict[str, Any] | None) -> int:
    return int((money or {}).get("amount") or 0)


def breakdown(order: dict[str, Any]) -> list[dict[str, str]]:
    """The summary rows under the lines, from the ECS-computed order: subtotal (gross sales), discounts,
    service charges (the shipping fee), additive tax, and tax already included in the prices."""
    currency = order["total_money"]["currency"]
    lines = order.get("line_items") or []
    rows = [{"key": "subtotal", "label": "Subtotal",
             "amount": format_money({"amount": sum(_amount(line.get("gross_sales_money")) for line in lines),
                                     "currency": currency})}]
    discount = _amount(order.get("total_discount_money"))
    if discount:
        rows.append({"key": "discount", "label": "Discount",
                     "amount": "−" + format_money({"amount": discount, "currency": currency})})
    charges = order.get("service_charges") or []
    if charges:
        names = ", ".join(charge.get("name") or "Service charge" for charge in charges)
        rows.append({"key": "shipping", "label": names, "amount": format_money(order["total_service_charge_money"])})
    taxes = order.get("taxes") or []
    for kind, key, label in (("ADDITIVE", "tax", "Tax"), ("INCLUSIVE", "tax-included", "Tax included in prices")):
        chosen = [tax for tax in taxes if tax.get("type") == kind]
        if chosen:
            rates = ", ".join(f"{tax.get('name') or 'Tax'} {tax['percentage']}%" for tax in chosen)
            amount = sum(_amount(tax.get("applied_money")) for tax in chosen)
            rows.append({"key": key, "label": f"{label} ({rates})",
                         "amount": format_money({"amount": amount, "currency": currency})})
    return rows


def _form(link: dict[str, Any], order: dict[str, Any], *, status: int = 200, error: str = "",
          email: str | None = None, card_number: str = "", expiry: str = "") -> Response:
    lines = [{"name": line.get("name", ""), "variation_name": line.get("variation_name", ""),
              "quantity": line["quantity"],
              "amount": format_money(line.get("gross_sales_money") or line["total_money"])}
             for line in order.get("line_items") or []]
    if email is None:
        email = (link.get("pre_populated_data") or {}).get("buyer_email", "")
    html = render_template("checkout.html", lines=lines, summary=breakdown(order),
                           total=format_money(order["total_money"]), error=error,
                           email=email, card_number=card_number, expiry=expiry,
                           address=(link.get("pre_populated_data") or {}).get("buyer_address") or {},
                           ask_address=bool((link.get("checkout_options") or {}).get("ask_for_shipping_address")),
                           action=url_for("sandbox_checkout_page.pay", link_id=link["id"]))
    return Response(html, status=status, mimetype="text/html")


@bp.get("/checkout/<link_id>")
def show(link_id: str) -> Response:
    found = current_sandbox().store.checkout(link_id)
    if found is None:
        return _message("Checkout not found", "This payment link does not exist.", 404, tone="error")
    link, order = found
    if order.get("tenders"):
        return _message("Already paid", "This order is already paid. Thank you!", 200, order_id=order["id"])
    if order["state"] == "CANCELED":
        return _canceled(order)
    return _form(link, order)


def _canceled(order: dict[str, Any]) -> Response:
    return _message("Order canceled", "The shop canceled this order, so it can no longer be paid. "
                    "You have not been charged.", 410, tone="error", order_id=order["id"])


@bp.post("/checkout/<link_id>")
def pay(link_id: str) -> Response:
    store = current_sandbox().store
    found = store.checkout(link_id)
    if found is None:
        return _message("Checkout not found", "This payment link does not exist.", 404, tone="error")
    link, order = found
    if order.get("tenders"):
        return _message("Already paid", "This order is already paid; you have not been charged again.", 409,
                        order_id=order["id"])
    email = request.form.get("email", "").strip()
    number, expiry = request.form.get("card_number", ""), request.form.get("expiry", "")
    if email and not _EMAIL.match(email):
        return _form(link, order, status=400, error="Enter a valid email address.", email=email,
                     card_number=number, expiry=expiry)
    try:
        card = parse_card(number, expiry)
    except CardError as exc:
        return _form(link, order, status=400, error=str(exc), email=email, card_number=number, expiry=expiry)
    result = store.pay(link_id, card, email)
    if result is None:
        return _message("Checkout not found", "This payment link does not exist.", 404, tone="error")
    if result.outcome == "already_paid":
        return _message("Already paid", "This order is already paid; you have not been charged again.", 409,
                        order_id=result.order["id"])
    if result.outcome == "canceled":
        return _canceled(result.order)
    if result.outcome == "declined":
        return _form(result.link, result.order, status=402, error=result.message, email=email, expiry=expiry)
    redirect_url = (result.link.get("checkout_options") or {}).get("redirect_url")
    if redirect_url:
        return redirect(redirect_target(redirect_url, result.link, result.order), code=303)
    return _message("Payment complete", f"Paid {format_money(result.order['total_money'])}. Thank you!", 200,
                    order_id=result.order["id"])
