"""GET /api/v1/staff/audit — the audit log as JSON."""

from __future__ import annotations

from flask import Response, jsonify, request

from storefront.api.auth import staff_token_required
from storefront.api.blueprint import bp
from storefront.audit.services import audit_entry_json, list_entries, parse_filters
from storefront.web.pagination import page_request, pagination_dict


@bp.get("/staff/audit")
@staff_token_required()
def staff_audit_log() -> Response:
    """Entries newest first; filters actor, action, target_type, target_id, from, to (YYYY-MM-DD)."""
    filters = parse_filters(request.args)
    page = page_request(request.args, default_limit=50, max_limit=200)
    result = list_entries(filters, page)
    return jsonify({"entries": [audit_entry_json(e) for e in result.entries],
                    "pagination": pagination_dict(page, result.total)})
