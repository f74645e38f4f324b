"""Inquiry JSON: the public submission, and the staff list / status change."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from storefront.api.auth import staff_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.core.errors import FieldError, ValidationError
from storefront.inquiries.limits import attempt_limit, submission_limit
from storefront.inquiries.serializers import inquiry_json
from storefront.inquiries.services import (
    change_status,
    get_inquiry,
    list_inquiries,
    parse_status_filter,
    submit_inquiry,
)
from storefront.web.pagination import page_request, pagination_dict

# JSON names of the submission ↔ the service's field names.
PAYLOAD_FIELDS = {"name": "name", "email": "email", "phone": "phone", "eventType": "event_type",
                  "preferredDate": "preferred_date", "attendeeCount": "attendee_count", "message": "message"}
_TO_JSON = {v: k for k, v in PAYLOAD_FIELDS.items()}


def _renamed(exc: ValidationError) -> ValidationError:
    """Report field errors under the names the client sent."""
    details = [FieldError(_TO_JSON.get(d.field, d.field), d.message) for d in exc.details]
    return ValidationError(exc.message, details=details)


@bp.post("/events/inquiry")
@attempt_limit
@submission_limit
def inquiry_submit() -> tuple[Response, int]:
    """{name, email, phone?, eventType, preferredDate, attendeeCount?, message} → 202 {tracking_id, status}."""
    payload = json_object()
    raw = {ours: payload.get(theirs) for theirs, ours in PAYLOAD_FIELDS.items()}
    website = payload.get("website")
    try:
        receipt = submit_inquiry(raw, ip=request.remote_addr, honeypot=website if isinstance(website, str) else "")
    except ValidationError as exc:
        raise _renamed(exc) from None
    return jsonify({"tracking_id": receipt.tracking_id, "status": receipt.status}), 202


@bp.get("/staff/inquiries")
@staff_token_required
def staff_inquiries_list() -> Response:
    """Inquiries newest first; ``status`` filters, ``page``/``limit`` paginate."""
    status = parse_status_filter(request.args.get("status"))
    page = page_request(request.args, default_limit=25, max_limit=100)
    rows, total = list_inquiries(status, page)
    return jsonify({"inquiries": [inquiry_json(r) for r in rows], "pagination": pagination_dict(page, total)})


@bp.get("/staff/inquiries/<tracking_id>")
@staff_token_required
def staff_inquiry_detail(tracking_id: str) -> Response:
    return jsonify({"inquiry": inquiry_json(get_inquiry(tracking_id), with_history=True)})


@bp.put("/staff/inquiries/<tracking_id>")
@staff_token_required
def staff_inquiry_update(tracking_id: str) -> Response:
    """{status, note?} → the inquiry with its history; audited."""
    payload = json_object()
    inquiry = change_status(tracking_id, payload.get("status"), payload.get("note"), actor=g.api_staff)
    return jsonify({"inquiry": inquiry_json(inquiry, with_history=True)})
