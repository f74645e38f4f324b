"""The order confirmation email (through the notifications outbox and its job)."""

from __future__ import annotations

from storefront.notifications.services import queue_email
from storefront.orders.models import Order
from storefront.orders.services import status_link_token
from storefront.web.urls import public_url


def send_confirmation(order: Order) -> None:
    """Queue "thanks, we've got your order" with a signed link that opens its status page."""
    queue_email(order.email, f"Your order {order.number}", "order_confirmation", kind="order_confirmation",
                order=order, status_link=public_url("orders.status_from_link", token=status_link_token(order)))
