"""Payments that arrive after an order expired or was cancelled.

Expiry deletes the payment link, but an ECS can still take a payment afterwards (Square keeps a
deleted link payable when a payment was already attempted on it, and a payment can race the
deletion). Such a payment never silently turns an expired order into a paid one:

* if every copy can be held again right now (checked atomically against other shoppers' holds),
  the order is paid and flagged ``late_payment="accepted"``;
* otherwise the whole payment is refunded through the ECS, the copies it took are put back in the
  ECS's stock, and the order is cancelled with ``late_payment="refunded"``.

Either way staff are told (audit log, back office, ORDER_NOTIFY_EMAIL, Slack) and the shopper gets
an email. Every step is idempotent: a replayed webhook or a retried job changes nothing twice.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select, update

from storefront.audit.services import record as audit
from storefront.catalog.models import ItemVariation
from storefront.catalog.stock import apply_inventory_counts, refresh_item_stock
from storefront.core.errors import ServiceUnavailable
from storefront.coupons.services import mark_used as mark_coupon_used
from storefront.db.timestamps import utcnow
from storefront.ecs.errors import ECSError
from storefront.ecs.provider import ecs_client, shop_location_id
from storefront.extensions import db
from storefront.notifications.services import post_slack, queue_email
from storefront.orders.checkout import hold_units, live_counts
from storefront.orders.emails import send_confirmation
from storefront.orders.lifecycle import record_sale
from storefront.orders.models import Order, StockHold
from storefront.orders.refunds import request_refund
from storefront.web.urls import public_url

log = logging.getLogger("storefront.orders")
LATE_STATUSES = ("expired", "cancelled")


def handle_late_payment(order: Order, payment_id: str | None) -> bool:
    """Accept or refund a payment for an expired/cancelled order; True when it was accepted."""
    if order.late_payment == "accepted":
        return True
    if payment_id and not order.ecs_payment_id:
        order.ecs_payment_id = payment_id
        db.session.commit()
    if order.late_payment == "":
        try:
            live = live_counts([line.variation_ecs_id for line in order.lines], shop_location_id())
        except ECSError:
            db.session.rollback()
            raise  # the webhook or job is retried; nothing has changed yet
        db.session.commit()
        if _accept(order, live):
            return True
    _refund(order)
    return False


def _accept(order: Order, live: dict[str, int]) -> bool:
    """Hold the copies again in one transaction with the claim; False (nothing changed) if any is gone."""
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.late_payment == "", Order.status.in_(LATE_STATUSES))
        .values(late_payment="accepted"), execution_options={"synchronize_session": False})
    if claimed.rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        return order.late_payment == "accepted"
    # The ECS may already have taken this order's copies out of its count when it took the payment.
    ours = current_app.config["ECS_DECREMENTS_STOCK_ON_PAYMENT"]
    uncounted = uncounted_variations(order)
    counted = sorted((line for line in order.lines if line.variation_id not in uncounted),
                     key=lambda line: line.variation_id or 0)  # hold rows locked in one order
    for line in counted:
        if line.variation_id is None or not hold_units(
                line.variation_id, line.quantity, live.get(line.variation_ecs_id, 0) + (line.quantity if ours else 0)):
            db.session.rollback()
            _claim_refund(order)
            return False
    for line in counted:  # the hold only proved the copies were free; the sale takes over now
        db.session.execute(update(StockHold).where(StockHold.variation_id == line.variation_id)
                           .values(held=StockHold.held - line.quantity),
                           execution_options={"synchronize_session": False})
    db.session.refresh(order)
    order.status, order.paid_at, order.payment_status = "paid", utcnow(), "completed"
    mark_coupon_used(order.id)  # the shopper paid the discounted price: the redemption counts
    order.staff_note = (order.staff_note + "\nPaid after the order had expired; the copies were still "
                                           "free, so it was accepted.").strip()
    audit("system", "order.late_payment_accepted", target_type="order", target_id=order.number)
    db.session.commit()
    _after_accept(order)
    return True


def uncounted_variations(order: Order) -> set[int]:
    """The order's variations the ECS does not count (always available: nothing to hold again)."""
    ids = [line.variation_id for line in order.lines if line.variation_id is not None]
    return set(db.session.scalars(select(ItemVariation.id).where(
        ItemVariation.id.in_(ids), ItemVariation.track_inventory.is_(False)))) if ids else set()


def _after_accept(order: Order) -> None:
    record_sale(order)
    send_confirmation(order)
    _tell_staff(order, "was paid after it expired; the copies were still free, so the order stands. "
                       "Pack it as usual.")


def _claim_refund(order: Order) -> None:
    db.session.execute(
        update(Order).where(Order.id == order.id, Order.late_payment == "")
        .values(late_payment="refund_due", status="cancelled", payment_status="completed"),
        execution_options={"synchronize_session": False})
    db.session.commit()
    db.session.refresh(order)


def _refund(order: Order) -> None:
    """Give the late payment back and put its copies back in the ECS's stock (both idempotent)."""
    if order.late_payment != "refund_due":
        return
    try:
        request_refund(order, order.total_amount, reason=f"Order {order.number} sold out before payment arrived",
                       key=f"{order.idempotency_key[:32]}-late")
        _restock(order)
    except ServiceUnavailable:
        log.warning("late payment on %s: refund or restock not done yet; will retry", order.number)
        raise
    done = db.session.execute(update(Order).where(Order.id == order.id, Order.late_payment == "refund_due")
                              .values(late_payment="refunded", payment_status="refunded"),
                              execution_options={"synchronize_session": False})
    if done.rowcount != 1:
        db.session.rollback()
        return
    db.session.refresh(order)
    order.staff_note = (order.staff_note + "\nPaid after the order had expired and the copies had sold; "
                                           "the payment was refunded in full.").strip()
    audit("system", "order.late_payment_refunded", target_type="order", target_id=order.number,
          details={"amount": order.total_amount, "currency": order.currency})
    db.session.commit()
    queue_email(order.email, f"Your order {order.number}: refunded", "order_late_refund", order=order)
    _tell_staff(order, "was paid after it expired, but the copies had already sold; the payment "
                       "was refunded in full. Nothing to ship.")


def _restock(order: Order) -> None:
    """When the ECS lowered its count for this payment, put the copies back (keyed to the order)."""
    if not current_app.config["ECS_DECREMENTS_STOCK_ON_PAYMENT"]:
        return
    location_id = shop_location_id()
    when = utcnow().isoformat().replace("+00:00", "Z")
    changes = [{"type": "ADJUSTMENT", "adjustment": {
        "catalog_object_id": line.variation_ecs_id, "location_id": location_id, "from_state": "SOLD",
        "to_state": "IN_STOCK", "quantity": str(line.quantity), "occurred_at": when,
        "reference_id": order.number}} for line in order.lines]
    try:
        counts = ecs_client().batch_change_inventory(f"{order.idempotency_key}-late-restock", changes)
    except ECSError as exc:
        db.session.rollback()
        raise ServiceUnavailable("The ECS did not take the restock just now.") from exc
    outcome = apply_inventory_counts(counts)
    refresh_item_stock(location_id, outcome.item_ids)
    db.session.commit()


def _tell_staff(order: Order, what: str) -> None:
    link = public_url("staff_orders.detail", order_id=order.id)
    text = f"Order {order.number} {what} {link}"
    post_slack(text)
    to = current_app.config["ORDER_NOTIFY_EMAIL"]
    if to:
        queue_email(to, f"Order {order.number} needs a look: late payment", "orders/late_payment_staff",
                    order=order, what=what, link=link)


def refunds_due() -> int:
    """Retry late-payment refunds the ECS did not take earlier (the scheduler runs this)."""
    done = 0
    for order in db.session.scalars(select(Order).where(Order.late_payment == "refund_due")).all():
        try:
            _refund(order)
            done += 1
        except ServiceUnavailable:
            continue
    return done

