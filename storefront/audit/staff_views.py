"""The audit log page: filter by actor, action and dates; paginated; HTMX-refreshable results."""

from __future__ import annotations

from flask import Response, render_template, request

from storefront.audit.services import AuditFilters, distinct_actions, list_entries, parse_filters
from storefront.core.errors import ValidationError
from storefront.staff.auth import staff_blueprint, staff_required
from storefront.web import htmx
from storefront.web.pagination import page_request, pagination_dict

bp = staff_blueprint("audit", __name__, url_prefix="/staff/audit")


@bp.get("")
@staff_required
def index() -> Response:
    errors: dict[str, str] = {}
    status = 200
    try:
        filters = parse_filters(request.args)
        page = page_request(request.args, default_limit=50, max_limit=200)
    except ValidationError as exc:
        errors = {d.field: d.message for d in exc.details}
        filters, page, status = AuditFilters(), page_request({}, default_limit=50), 422
    result = list_entries(filters, page)
    partial = htmx.wants("audit-results")
    template = "staff/_audit_entries.html" if partial else "staff/audit.html"
    response = Response(render_template(template, entries=result.entries, filters=filters, errors=errors,
                                        pagination=pagination_dict(page, result.total),
                                        filter_args=filters.as_args(), actions=distinct_actions()),
                        status=status)
    response.vary.add("HX-Request")
    return response
