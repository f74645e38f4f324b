"""Square's Refunds API: RefundPayment and GetPaymentRefund."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from storefront.ecs.sandbox.context import current_sandbox
from storefront.ecs.sandbox.wire import SquareError, fingerprint, json_body, json_response, require_idempotency_key

bp = Blueprint("sandbox_refunds", __name__)


@bp.post("/v2/refunds")
def refund_payment() -> Response:
    sandbox = current_sandbox()
    body = json_body()
    key = require_idempotency_key(body)
    if len(key) > 45:  # RefundPayment's own limit, tighter than other endpoints'
        raise SquareError(400, "VALUE_TOO_LONG", "Field must not be longer than 45 characters.", "idempotency_key")
    payment_id = body.get("payment_id")
    if not isinstance(payment_id, str) or not payment_id:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "payment_id")
    amount = body.get("amount_money")
    if not isinstance(amount, dict):
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "amount_money")
    reason = body.get("reason") if isinstance(body.get("reason"), str) else None

    def run() -> tuple[int, dict[str, Any]]:
        return 200, {"refund": sandbox.store.refund_payment(payment_id, amount, reason)}

    status, payload = sandbox.store.idempotent("refunds", key, fingerprint(body), run)
    return json_response(payload, status)


@bp.get("/v2/refunds/<refund_id>")
def get_payment_refund(refund_id: str) -> Response:
    refund = current_sandbox().store.refund(refund_id)
    if refund is None:
        raise SquareError(404, "NOT_FOUND", f"Refund `{refund_id}` not found.", "refund_id")
    return json_response({"refund": refund})


@bp.get("/v2/payments/<payment_id>")
def get_payment(payment_id: str) -> Response:
    payment = current_sandbox().store.payment(payment_id)
    if payment is None:
        raise SquareError(404, "NOT_FOUND", f"Payment `{payment_id}` not found.", "payment_id")
    return json_response({"payment": payment})
