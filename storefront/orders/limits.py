"""Rate-limit keys for the public order-status lookup: per client IP and per order number."""

from __future__ import annotations

from flask import current_app, request

from storefront.orders.numbers import normalise_order_number


def order_status_limit() -> str:
    return current_app.config["ORDER_STATUS_RATE_LIMIT"]


def order_number_key() -> str:
    number = request.values.get("number", "")
    return "order-number:" + normalise_order_number(number or "")
