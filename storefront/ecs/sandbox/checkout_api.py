"""Square Checkout and Orders endpoints: CreatePaymentLink, RetrievePaymentLink, DeletePaymentLink,
RetrieveOrder, CalculateOrder."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response

from storefront.ecs.sandbox.clock import now_us
from storefront.ecs.sandbox.context import current_sandbox
from storefront.ecs.sandbox.orders import calculate_order, with_shipping_fee
from storefront.ecs.sandbox.wire import SquareError, fingerprint, json_body, json_response, require_idempotency_key

bp = Blueprint("sandbox_checkout", __name__)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_ADDRESS_FIELDS = frozenset({
    "address_line_1", "address_line_2", "address_line_3", "locality", "sublocality", "sublocality_2",
    "sublocality_3", "administrative_district_level_1", "administrative_district_level_2",
    "administrative_district_level_3", "postal_code", "country", "first_name", "last_name"})
CURRENCY = "USD"


def _order_from(body: dict[str, Any]) -> dict[str, Any]:
    order, quick = body.get("order"), body.get("quick_pay")
    if (order is None) == (quick is None):
        raise SquareError(400, "BAD_REQUEST", "Exactly one of `order` or `quick_pay` must be set.",
                          "order")
    if quick is not None:
        if not isinstance(quick, dict):
            raise SquareError(400, "EXPECTED_OBJECT", "`quick_pay` must be an object.", "quick_pay")
        for name in ("name", "price_money", "location_id"):
            if not quick.get(name):
                raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", f"quick_pay.{name}")
        return {"location_id": quick["location_id"],
                "line_items": [{"name": quick["name"], "quantity": "1", "base_price_money": quick["price_money"]}]}
    if not isinstance(order, dict):
        raise SquareError(400, "EXPECTED_OBJECT", "`order` must be an object.", "order")
    if not isinstance(order.get("location_id"), str) or not order["location_id"]:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "order.location_id")
    return order


def _check_options(body: dict[str, Any]) -> None:
    for name in ("checkout_options", "pre_populated_data"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            raise SquareError(400, "EXPECTED_OBJECT", f"`{name}` must be an object.", name)
    redirect = (body.get("checkout_options") or {}).get("redirect_url")
    if redirect is not None and (not isinstance(redirect, str) or not redirect.startswith(("http://", "https://"))):
        raise SquareError(400, "INVALID_VALUE", "`redirect_url` must be an http(s) URL.",
                          "checkout_options.redirect_url")
    email = (body.get("pre_populated_data") or {}).get("buyer_email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
        raise SquareError(400, "INVALID_EMAIL_ADDRESS", "The buyer email is not a valid email address.",
                          "pre_populated_data.buyer_email")
    ask = (body.get("checkout_options") or {}).get("ask_for_shipping_address")
    if ask is not None and not isinstance(ask, bool):
        raise SquareError(400, "EXPECTED_BOOLEAN", "`ask_for_shipping_address` must be a boolean.",
                          "checkout_options.ask_for_shipping_address")
    _check_address((body.get("pre_populated_data") or {}).get("buyer_address"))
    _check_shipping_fee((body.get("checkout_options") or {}).get("shipping_fee"))


def _check_address(address: Any) -> None:
    """``pre_populated_data.buyer_address``: a Square Address (string fields, ISO 3166 ``country``)."""
    where = "pre_populated_data.buyer_address"
    if address is None:
        return
    if not isinstance(address, dict):
        raise SquareError(400, "EXPECTED_OBJECT", "`buyer_address` must be an Address object.", where)
    for name, value in address.items():
        if name not in _ADDRESS_FIELDS:
            raise SquareError(400, "INVALID_VALUE", f"`{name}` is not an Address field.", f"{where}.{name}")
        if not isinstance(value, str):
            raise SquareError(400, "EXPECTED_STRING", f"`{name}` must be a string.", f"{where}.{name}")
    if "country" in address and not _COUNTRY.match(address["country"]):
        raise SquareError(400, "INVALID_ENUM_VALUE", "`country` must be a two-letter ISO 3166 code such as US.",
                          f"{where}.country")


def _check_shipping_fee(fee: Any) -> None:
    """``checkout_options.shipping_fee``: Square's ShippingFee ``{name?, charge}``."""
    where = "checkout_options.shipping_fee"
    if fee is None:
        return
    if not isinstance(fee, dict):
        raise SquareError(400, "EXPECTED_OBJECT", "`shipping_fee` must be an object.", where)
    unknown = set(fee) - {"name", "charge"}
    if unknown:
        raise SquareError(400, "INVALID_VALUE", f"`{sorted(unknown)[0]}` is not a ShippingFee field.", where)
    if fee.get("name") is not None and not isinstance(fee["name"], str):
        raise SquareError(400, "EXPECTED_STRING", "`name` must be a string.", f"{where}.name")
    if fee.get("charge") is None:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", f"{where}.charge")


@bp.post("/v2/online-checkout/payment-links")
def create_payment_link() -> Response:
    sandbox = current_sandbox()
    body = json_body()
    key = require_idempotency_key(body)
    raw_order = _order_from(body)
    _check_options(body)
    raw_order = with_shipping_fee(raw_order, (body.get("checkout_options") or {}).get("shipping_fee"), CURRENCY)
    base_url = sandbox.base_url()

    def run() -> tuple[int, dict[str, Any]]:
        link, order = sandbox.store.create_payment_link(body, raw_order, base_url)
        return 200, {"payment_link": link, "related_resources": {"orders": [order]}}

    status, payload = sandbox.store.idempotent("payment-links", key, fingerprint(body), run)
    return json_response(payload, status)


@bp.get("/v2/online-checkout/payment-links/<link_id>")
def retrieve_payment_link(link_id: str) -> Response:
    link = current_sandbox().store.payment_link(link_id)
    if link is None:
        raise SquareError(404, "NOT_FOUND", f"Payment link `{link_id}` not found.", "id")
    return json_response({"payment_link": link})


@bp.delete("/v2/online-checkout/payment-links/<link_id>")
def delete_payment_link(link_id: str) -> Response:
    deleted = current_sandbox().store.delete_payment_link(link_id)
    if deleted is None:
        raise SquareError(404, "NOT_FOUND", f"Payment link `{link_id}` not found.", "id")
    return json_response(deleted)


@bp.get("/v2/orders/<order_id>")
def retrieve_order(order_id: str) -> Response:
    order = current_sandbox().store.order(order_id)
    if order is None:
        raise SquareError(404, "NOT_FOUND", f"Order `{order_id}` not found.", "order_id")
    return json_response({"order": order})


@bp.post("/v2/orders/calculate")
def calculate() -> Response:
    """CalculateOrder: price ``order`` as Square would; nothing is created or stored."""
    body = json_body()
    order = body.get("order")
    if order is None:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "order")
    if not isinstance(order, dict):
        raise SquareError(400, "EXPECTED_OBJECT", "`order` must be an object.", "order")
    if not isinstance(order.get("location_id"), str) or not order["location_id"]:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "order.location_id")
    rewards = body.get("proposed_rewards")
    if rewards is not None and not isinstance(rewards, list):
        raise SquareError(400, "EXPECTED_ARRAY", "`proposed_rewards` must be an array.", "proposed_rewards")
    if rewards:
        raise SquareError(400, "BAD_REQUEST", "The sandbox has no loyalty program to take rewards from.",
                          "proposed_rewards")
    store = current_sandbox().store
    with store.lock:
        if not store.has_location(order["location_id"]):
            raise SquareError(404, "NOT_FOUND", f"Location `{order['location_id']}` not found.", "order.location_id")
        priced = calculate_order(order, CURRENCY, store.catalog.get, now_us())
    return json_response({"order": priced})
