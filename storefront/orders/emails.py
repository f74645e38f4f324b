"""Shopper emails about an order (through the notifications outbox and its job): the confirmation,
and what staff did with it — shipped, collected, refunded, cancelled. Each has a plain-text and an
HTML part."""

from __future__ import annotations

from typing import Any

from storefront.core.money import format_money
from storefront.notifications.services import queue_email
from storefront.orders.models import Order, OrderLine, Refund
from storefront.orders.services import status_link_token
from storefront.web.urls import public_url


def _status_link(order: Order) -> str:
    return public_url("orders.status_from_link", token=status_link_token(order))


def _send(order: Order, subject: str, name: str, **context: Any) -> None:
    """``templates/emails/<name>.txt`` + ``.html`` to the order's email address."""
    context.setdefault("items", [(line, line.quantity) for line in order.lines])
    queue_email(order.email, subject, name, kind=name, html_template=name, order=order,
                status_link=_status_link(order), **context)


def send_confirmation(order: Order) -> None:
    """Queue "thanks, we've got your order" with a signed link that opens its status page."""
    queue_email(order.email, f"Your order {order.number}", "order_confirmation", kind="order_confirmation",
                html_template="order_confirmation", order=order, status_link=_status_link(order))


def send_shipped(order: Order, *, carrier_name: str, tracking_url: str | None) -> None:
    _send(order, f"Your order {order.number} is on its way", "orders/shipped", carrier_name=carrier_name,
          tracking_url=tracking_url)


def send_collected(order: Order) -> None:
    _send(order, f"Your order {order.number}: collected", "orders/collected")


def send_refunded(order: Order, refund: Refund, *, restocked: list[tuple[OrderLine, int]]) -> None:
    """``restocked``: the lines (and how many of each) the shopper returned, if any."""
    _send(order, f"Your order {order.number}: refund of {format_money(refund.amount, refund.currency)}",
          "orders/refunded", refund=refund, restocked=restocked)


def send_cancelled(order: Order, *, reason: str) -> None:
    _send(order, f"Your order {order.number} was cancelled", "orders/cancelled", reason=reason)

