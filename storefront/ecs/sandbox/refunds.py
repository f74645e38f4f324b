"""PaymentRefund objects (Square's Refunds API) and what a refund does to its payment."""

from __future__ import annotations

import hashlib
from typing import Any

from storefront.ecs.sandbox.clock import rfc3339
from storefront.ecs.sandbox.orders import OrderError


def refundable(payment: dict[str, Any]) -> int:
    """What is left to refund: the captured amount less completed and pending refunds."""
    refunded = (payment.get("refunded_money") or {}).get("amount", 0)
    return int(payment["total_money"]["amount"]) - int(refunded)


def check_refund(payment: dict[str, Any] | None, payment_id: str, amount: dict[str, Any]) -> int:
    """The amount to refund, or the error RefundPayment answers with."""
    if payment is None:
        raise OrderError("NOT_FOUND", f"Payment `{payment_id}` not found.", "payment_id", status=404)
    if payment["status"] != "COMPLETED":
        raise OrderError("PAYMENT_NOT_REFUNDABLE", "Only COMPLETED payments can be refunded.", "payment_id")
    value = amount.get("amount") if isinstance(amount, dict) else None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise OrderError("INVALID_VALUE", "`amount_money.amount` must be a positive integer.", "amount_money.amount")
    if amount.get("currency") != payment["total_money"]["currency"]:
        raise OrderError("INVALID_VALUE", "The refund's currency must be the payment's.", "amount_money.currency")
    if value > refundable(payment):
        raise OrderError("REFUND_AMOUNT_INVALID", "The refund is larger than what remains on the payment.",
                         "amount_money.amount")
    return value


def build_refund(refund_id: str, payment: dict[str, Any], amount: int, reason: str | None,
                 stamp: int) -> dict[str, Any]:
    """A PENDING card refund of ``amount`` against ``payment``."""
    when = rfc3339(stamp)
    refund: dict[str, Any] = {
        "id": refund_id,
        "status": "PENDING",
        "location_id": payment["location_id"],
        "unlinked": False,
        "destination_type": "CARD",
        "amount_money": {"amount": amount, "currency": payment["total_money"]["currency"]},
        "payment_id": payment["id"],
        "order_id": payment["order_id"],
        "created_at": when,
        "updated_at": when,
    }
    if reason:
        refund["reason"] = reason[:192]
    return refund


def completed_refund(refund: dict[str, Any], stamp: int) -> dict[str, Any]:
    return {**refund, "status": "COMPLETED", "updated_at": rfc3339(stamp)}


def payment_after_refund(payment: dict[str, Any], refund: dict[str, Any], stamp: int) -> dict[str, Any]:
    """The payment with ``refunded_money`` and ``refund_ids`` grown by ``refund``."""
    currency = payment["total_money"]["currency"]
    refunded = int((payment.get("refunded_money") or {}).get("amount", 0)) + int(refund["amount_money"]["amount"])
    ids = [*(payment.get("refund_ids") or []), refund["id"]]
    return {**payment, "refunded_money": {"amount": refunded, "currency": currency}, "refund_ids": ids,
            "updated_at": rfc3339(stamp),
            "version_token": hashlib.sha256(f"{payment['id']}:{len(ids)}".encode()).hexdigest()[:43]}
