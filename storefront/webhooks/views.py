"""The webhook receiver: ``POST /webhooks/square`` (the back-office DLQ pages are in staff_views.py)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from storefront.api.errors import error_response
from storefront.extensions import csrf
from storefront.webhooks.services import SIGNATURE_HEADER, PayloadTooLarge, WebhookRejected, receive

bp = Blueprint("webhooks", __name__)


# --- receiver ------------------------------------------------------------------------------------

@bp.post("/webhooks/square")
@csrf.exempt
def square() -> Response:
    """Verify the signature over the raw body, store the event, enqueue it, answer 200."""
    limit = current_app.config["WEBHOOK_MAX_BODY_BYTES"]
    try:
        if request.content_length is not None and request.content_length > limit:
            raise PayloadTooLarge(f"Webhook bodies are limited to {limit} bytes.")
        receipt = receive(request.get_data(cache=False), request.headers.get(SIGNATURE_HEADER))
    except WebhookRejected as exc:
        return error_response(exc.http_status, exc.message, code=exc.code)
    return jsonify({"status": "duplicate" if receipt.duplicate else "accepted", "event_id": receipt.event_id})
