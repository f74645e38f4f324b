"""The webhook DLQ as JSON: staff token AND a signed request (X-Signature or an allow-listed IP).

* ``GET /api/v1/staff/webhooks/dlq`` — paginated, payloads trimmed and redacted
* ``GET /api/v1/staff/webhooks/dlq/<task_id>`` — one event with its full payload
* ``POST /api/v1/staff/webhooks/dlq/<task_id>/retry`` ``{"reason": …}`` — replay it
* ``DELETE /api/v1/staff/webhooks/dlq/<task_id>`` ``{"reason": …}`` — discard it
"""

from __future__ import annotations

from flask import Response, g, jsonify, request

from storefront.api.auth import staff_dlq_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.web.pagination import page_request, pagination_dict
from storefront.webhooks import dlq
from storefront.webhooks.serializers import event_detail, event_summary


@bp.get("/staff/webhooks/dlq")
@staff_dlq_required
def webhook_dlq_list() -> Response:
    """Dead events (``status``: dead | failed | discarded | all), filter ``event_type``, ``error``."""
    filters = dlq.parse_filters(request.args)
    page = page_request(request.args, default_limit=25, max_limit=100)
    result = dlq.list_events(filters, page)
    return jsonify({"events": [event_summary(e) for e in result.events],
                    "pagination": pagination_dict(page, result.total)})


@bp.get("/staff/webhooks/dlq/<int:task_id>")
@staff_dlq_required
def webhook_dlq_show(task_id: int) -> Response:
    """One event with its full, unredacted payload; the access itself is audit-logged."""
    return jsonify({"event": event_detail(dlq.view_event(task_id, actor=g.api_staff))})


@bp.post("/staff/webhooks/dlq/<int:task_id>/retry")
@staff_dlq_required
def webhook_dlq_retry(task_id: int) -> tuple[Response, int]:
    row = dlq.retry_event(task_id, actor=g.api_staff, reason=json_object().get("reason"))
    return jsonify({"event": event_summary(row)}), 202


@bp.delete("/staff/webhooks/dlq/<int:task_id>")
@staff_dlq_required
def webhook_dlq_discard(task_id: int) -> Response:
    row = dlq.discard_event(task_id, actor=g.api_staff, reason=json_object().get("reason"))
    return jsonify({"event": event_summary(row)})
