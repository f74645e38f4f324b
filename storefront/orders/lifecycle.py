"""Order state changes driven by the ECS (webhooks, polls) and by expiry — all idempotent."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from storefront.catalog.stock import confirm_counts
from storefront.core.errors import Conflict
from storefront.coupons.services import mark_used as mark_coupon_used
from storefront.db.timestamps import utcnow
from storefront.ecs.provider import ecs_client, shop_location_id
from storefront.extensions import db
from storefront.orders.checkout import release_holds, withdraw_payment_link
from storefront.orders.models import TRANSITIONS, Order, Reservation

log = logging.getLogger("storefront.orders")
POLL_INTERVAL = timedelta(seconds=5)


class InvalidTransition(Conflict):
    code = "invalid_transition"


def can_move(order: Order, status: str) -> bool:
    return status in TRANSITIONS.get(order.status, set())


def move(order: Order, status: str) -> None:
    if order.status == status:
        return
    if not can_move(order, status):
        raise InvalidTransition(f"An order that is {order.status.replace('_', ' ')} cannot become "
                                f"{status.replace('_', ' ')}.")
    order.status = status


def ecs_order_is_paid(ecs_order: dict[str, Any]) -> bool:
    """Paid when the ECS order has a tender and nothing left to pay."""
    if ecs_order.get("state") == "CANCELED":
        return False
    due = (ecs_order.get("net_amount_due_money") or {}).get("amount")
    return bool(ecs_order.get("tenders")) and (due is None or due == 0)


def mark_paid(order: Order, *, payment_id: str | None = None) -> bool:
    """pending → paid once: free the holds, record the sale in the ECS once, empty the cart.

    The paid state and the confirmation email commit together; the sale is recorded after. If
    recording fails (the ECS is down, a lock timed out), the job's retry comes back here with the
    order already paid and records it then, as does the periodic :func:`record_missed_sales`."""
    if order.status in ("paid", "fulfilled", "completed"):
        if order.stock_recorded_at is None:
            record_sale(order)
        return False
    if order.status in ("expired", "cancelled"):
        from storefront.orders.late import handle_late_payment  # late imports this module

        log.warning("payment %s arrived for %s order %s", payment_id, order.status, order.number)
        return handle_late_payment(order, payment_id)
    if not can_move(order, "paid"):
        raise InvalidTransition(f"An order that is {order.status.replace('_', ' ')} cannot become paid.")
    # Claim the move with a conditional UPDATE: the payment's webhooks (payment.created,
    # payment.updated, order.updated) arrive together and are processed in parallel. Whoever loses
    # waits for the winner's commit, finds the order moved on, and acts on what it is now.
    claimed = db.session.execute(
        update(Order).where(Order.id == order.id, Order.status == order.status)
        .values(status="paid", paid_at=utcnow(), payment_status="completed",
                ecs_payment_id=payment_id or order.ecs_payment_id),
        execution_options={"synchronize_session": "fetch"})
    if claimed.rowcount != 1:
        seen = order.status
        db.session.rollback()
        db.session.refresh(order)
        if order.status == seen:  # not moved on, so the row is gone: nothing to mark
            raise InvalidTransition(f"Order {order.number} could not be marked paid.")
        return mark_paid(order, payment_id=payment_id)
    release_holds(order, "paid")
    mark_coupon_used(order.id)
    _clear_cart(order)
    _queue_confirmation(order)  # commits the paid state and the email in one transaction
    db.session.commit()
    record_sale(order)
    return True


def record_missed_sales(older_than: timedelta = timedelta(minutes=1)) -> int:
    """Record the sales a crash or an ECS outage left unrecorded (scheduled every minute)."""
    due = db.session.scalars(select(Order).where(
        Order.status.in_(("paid", "fulfilled", "completed")), Order.stock_recorded_at.is_(None),
        Order.paid_at < utcnow() - older_than).order_by(Order.id).limit(100)).all()
    done = 0
    for order in due:
        try:
            record_sale(order)
            done += 1
        except Exception:  # one order's failure must not stop the others; the next run retries it
            db.session.rollback()
            log.exception("could not record the sale of order %s", order.number)
    return done


def record_sale(order: Order) -> None:
    """Make sure the ECS stock reflects the sale exactly once, then copy its confirmed counts."""
    if order.stock_recorded_at is not None:
        return
    client = ecs_client()
    location_id = shop_location_id()
    if not current_app.config["ECS_DECREMENTS_STOCK_ON_PAYMENT"]:
        occurred = (order.paid_at or utcnow()).isoformat().replace("+00:00", "Z")
        changes = [{"type": "ADJUSTMENT", "adjustment": {
            "catalog_object_id": line.variation_ecs_id, "location_id": location_id,
            "from_state": "IN_STOCK", "to_state": "SOLD", "quantity": str(line.quantity),
            "occurred_at": occurred, "reference_id": order.number}} for line in order.lines]
        # The key is derived from the order, so a replayed webhook or retried job cannot sell twice.
        client.batch_change_inventory(f"{order.idempotency_key}-sale", changes)
    confirm_counts(client, [line.variation_ecs_id for line in order.lines], location_id)
    order.stock_recorded_at = utcnow()
    db.session.commit()


def _clear_cart(order: Order) -> None:
    from storefront.cart.models import Cart

    if order.cart_id:
        cart = db.session.get(Cart, order.cart_id)
        if cart is not None:
            cart.lines = {}
            cart.version += 1


def _queue_confirmation(order: Order) -> None:
    try:
        from storefront.orders.emails import send_confirmation
    except ImportError:  # notifications not installed
        return
    send_confirmation(order)


def sync_with_ecs(order: Order, *, follow_cancel: bool = True) -> Order:
    """Converge on the ECS's truth for this order (used by webhooks, polls and expiry).

    ``follow_cancel=False`` is expiry's second look, after its own DeletePaymentLink cancelled the
    ECS order: only a payment counts then, and the order becomes expired rather than cancelled."""
    if not order.ecs_order_id:
        return order
    ecs_order = ecs_client().retrieve_order(order.ecs_order_id)
    ecs_order = ecs_order.get("order", ecs_order)
    order.last_polled_at = utcnow()
    if ecs_order_is_paid(ecs_order):
        tenders = ecs_order.get("tenders") or [{}]
        mark_paid(order, payment_id=tenders[0].get("payment_id") or tenders[0].get("id"))
        if ecs_order.get("state") == "COMPLETED" and order.status == "fulfilled":
            move(order, "completed")
    elif follow_cancel and ecs_order.get("state") == "CANCELED" and order.status in ("pending_payment", "failed"):
        # Our own expiry deleted the link (its webhook can beat expiry's commit): that is an expiry.
        lapsed = order.reserved_until is not None and order.reserved_until < utcnow()
        move(order, "expired" if lapsed else "cancelled")
        release_holds(order, "expired" if lapsed else "cancelled")
    db.session.commit()
    return order


def poll_if_due(order: Order) -> Order:
    """On the confirmation page: ask the ECS at most every few seconds while payment is pending."""
    if order.status not in ("pending_payment", "failed", "expired"):
        return order
    if order.last_polled_at and utcnow() - order.last_polled_at < POLL_INTERVAL:
        return order
    try:
        return sync_with_ecs(order)
    except Exception:  # the page still renders the last known state
        log.warning("could not poll the ECS for order %s", order.number, exc_info=True)
        db.session.rollback()
        return order


def apply_payment_event(payment: dict[str, Any]) -> Order | None:
    """``payment.created`` / ``payment.updated``: note failures, and converge on the ECS order."""
    order = db.session.scalar(select(Order).where(Order.ecs_order_id == payment.get("order_id")))
    if order is None:
        return None
    status = str(payment.get("status") or "").upper()
    if status in ("FAILED", "CANCELED") and order.status == "pending_payment":
        order.payment_status = status.lower()
        db.session.commit()
    if status in ("COMPLETED", "APPROVED"):
        return sync_with_ecs(order)
    return order


def apply_order_event(order_id: str) -> Order | None:
    """``order.created`` / ``order.updated``: re-read the ECS order rather than trust event order."""
    order = db.session.scalar(select(Order).where(Order.ecs_order_id == order_id))
    return sync_with_ecs(order) if order else None


def expire_unpaid() -> int:
    """Expire unpaid orders whose window passed: one last look at the ECS, delete the payment link
    (which cancels the ECS order), look again (a payment may have raced the deletion), then release
    the holds. An order whose state or link the ECS could not confirm keeps its hold until next time."""
    expired = 0
    due = db.session.scalars(select(Order).where(
        Order.status.in_(("pending_payment", "failed")), Order.reserved_until < utcnow())).all()
    for order in due:
        try:
            sync_with_ecs(order)
            if order.status in ("pending_payment", "failed"):
                withdraw_payment_link(order)
                sync_with_ecs(order, follow_cancel=False)
        except Exception:
            log.warning("expiry: could not settle order %s with the ECS", order.number, exc_info=True)
            db.session.rollback()
            continue  # never expire an order whose payment state we could not confirm
        if order.status in ("pending_payment", "failed"):
            move(order, "expired")
            release_holds(order, "expired")
            db.session.commit()
        if order.status == "expired":
            expired += 1
    return expired



def open_reservations(order: Order) -> list[Reservation]:
    return list(db.session.scalars(select(Reservation).where(Reservation.order_id == order.id,
                                                             Reservation.released_at.is_(None))))
