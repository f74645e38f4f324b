"""Refunds through the ECS (Square's RefundPayment), recorded before they are sent so a retry
reuses the same idempotency key and money goes back at most once."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storefront.core.errors import Conflict, FieldError, ServiceUnavailable, ValidationError
from storefront.ecs.errors import ECSError
from storefront.ecs.provider import ecs_client
from storefront.extensions import db
from storefront.orders.models import Order, Refund

log = logging.getLogger("storefront.orders")
FINAL = frozenset({"COMPLETED", "FAILED", "REJECTED"})


def refundable_amount(order: Order) -> int:
    """What is left to give back: the amount charged less refunds already requested."""
    requested = sum(r.amount for r in order.refunds if r.status not in ("FAILED", "REJECTED"))
    return max(0, order.total_amount - requested)


def request_refund(order: Order, amount: int, *, reason: str, key: str | None = None) -> Refund:
    """Record a refund of ``amount`` (the same ``key`` returns the same refund) and send it to the ECS."""
    if not order.ecs_payment_id:
        raise Conflict("This order has no payment to refund.")
    if key is not None:
        existing = db.session.scalar(select(Refund).where(Refund.idempotency_key == key))
        if existing is not None:
            return send_refund(existing)
    if amount <= 0 or amount > refundable_amount(order):
        raise ValidationError("The refund must be more than zero and no more than what was paid.",
                              details=[FieldError("amount", "Enter an amount up to what is left to refund.")])
    refund = Refund(order_id=order.id, idempotency_key=key or uuid.uuid4().hex, amount=amount,
                    currency=order.currency, status="requested", reason=reason[:192])
    db.session.add(refund)
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent call with the same key recorded it first
        db.session.rollback()
        refund = db.session.scalar(select(Refund).where(Refund.idempotency_key == key))
        if refund is None:
            raise
    return send_refund(refund)


def send_refund(refund: Refund) -> Refund:
    """RefundPayment for a recorded refund (idempotent); counts it on the order exactly once."""
    if refund.ecs_refund_id:
        return refund
    order = refund.order
    try:
        answer = ecs_client().refund_payment(refund.idempotency_key, payment_id=order.ecs_payment_id or "",
                                             amount=refund.amount, currency=refund.currency,
                                             reason=refund.reason or None)
    except ECSError as exc:
        log.warning("refund %s for order %s not sent: %s", refund.idempotency_key, order.number, exc)
        db.session.rollback()
        raise ServiceUnavailable("The payment provider did not take the refund just now; it will be retried.") \
            from exc
    claimed = db.session.execute(
        update(Refund).where(Refund.id == refund.id, Refund.ecs_refund_id.is_(None))
        .values(ecs_refund_id=answer.get("id"), status=str(answer.get("status") or "PENDING")),
        execution_options={"synchronize_session": False})
    if claimed.rowcount == 1:
        db.session.execute(update(Order).where(Order.id == order.id)
                           .values(refunded_amount=Order.refunded_amount + refund.amount),
                           execution_options={"synchronize_session": False})
    db.session.commit()
    db.session.refresh(refund)
    db.session.refresh(order)
    return refund


class RefundNotYetRecorded(RuntimeError):
    """The event beat our own RefundPayment answer to the database; the webhook is retried."""


def apply_refund_event(ecs_refund: dict[str, Any]) -> Refund | None:
    """``refund.created`` / ``refund.updated``: follow the ECS's status of a refund of one of our orders
    (one made in the ECS's dashboard is recorded on the order too)."""
    refund_id = ecs_refund.get("id")
    if not isinstance(refund_id, str) or not refund_id:
        return None
    refund = db.session.scalar(select(Refund).where(Refund.ecs_refund_id == refund_id))
    if refund is None:
        refund = _refund_made_elsewhere(ecs_refund, refund_id)
        if refund is None:
            return None
    status = str(ecs_refund.get("status") or "")
    if status not in FINAL or refund.status in FINAL:
        return refund  # only PENDING → a final status moves; a stale or repeated event changes nothing
    moved = db.session.execute(update(Refund).where(Refund.id == refund.id, Refund.status == refund.status)
                               .values(status=status), execution_options={"synchronize_session": False})
    if moved.rowcount == 1 and status in ("FAILED", "REJECTED"):
        db.session.execute(update(Order).where(Order.id == refund.order_id)
                           .values(refunded_amount=Order.refunded_amount - refund.amount),
                           execution_options={"synchronize_session": False})
        log.error("refund %s for order %s was %s by the ECS", refund.ecs_refund_id, refund.order.number, status)
    db.session.commit()
    db.session.refresh(refund)
    return refund


def retry_unsent_refunds() -> int:
    """Send refunds recorded while the ECS was unreachable (the scheduler runs this)."""
    sent = 0
    for refund in db.session.scalars(select(Refund).where(Refund.ecs_refund_id.is_(None))).all():
        try:
            send_refund(refund)
            sent += 1
        except ServiceUnavailable:
            continue
    return sent


def _refund_made_elsewhere(ecs_refund: dict[str, Any], refund_id: str) -> Refund | None:
    order = db.session.scalar(select(Order).where(Order.ecs_payment_id == ecs_refund.get("payment_id")))
    if order is None:
        return None
    if any(r.ecs_refund_id is None for r in order.refunds):
        raise RefundNotYetRecorded(f"order {order.number} has a refund awaiting the ECS's answer")
    amount = int((ecs_refund.get("amount_money") or {}).get("amount") or 0)
    refund = Refund(order_id=order.id, idempotency_key=f"ecs-{refund_id[-40:]}", ecs_refund_id=refund_id,
                    amount=amount, currency=order.currency, status="PENDING",
                    reason=str(ecs_refund.get("reason") or "Refunded in the ECS")[:192])
    db.session.add(refund)
    db.session.execute(update(Order).where(Order.id == order.id)
                       .values(refunded_amount=Order.refunded_amount + amount),
                       execution_options={"synchronize_session": False})
    try:
        db.session.commit()
    except IntegrityError:  # the same refund's other event recorded it concurrently
        db.session.rollback()
        return db.session.scalar(select(Refund).where(Refund.ecs_refund_id == refund_id))
    return refund
