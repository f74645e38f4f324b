"""Back-office DLQ pages (``/staff/webhooks``): list, inspect, retry and discard dead events."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from storefront.core.errors import DomainError, ValidationError
from storefront.staff.auth import current_staff, dlq_page_required, staff_blueprint
from storefront.staff.shell import DashboardCard, register_dashboard_card, register_staff_nav
from storefront.web import htmx
from storefront.web.pagination import page_request, pagination_dict
from storefront.webhooks import dlq
from storefront.webhooks.forms import ReasonForm
from storefront.webhooks.redaction import redact

staff_bp = staff_blueprint("staff_webhooks", __name__, url_prefix="/staff/webhooks")

register_staff_nav("staff_webhooks.dlq_index", "Webhooks DLQ", order=60)


def dead_events_card() -> DashboardCard:
    count = dlq.dead_count()
    return DashboardCard(label="Dead webhooks (DLQ)", value=count, endpoint="staff_webhooks.dlq_index",
                         tone="warn" if count else "ok")


register_dashboard_card("webhooks.dead", dead_events_card, order=65)


@staff_bp.get("/dlq")
@dlq_page_required
def dlq_index() -> Response:
    errors: dict[str, str] = {}
    status = 200
    try:
        filters = dlq.parse_filters(request.args)
        page = page_request(request.args, default_limit=25, max_limit=100)
    except ValidationError as exc:
        errors = {d.field: d.message for d in exc.details}
        filters, page, status = dlq.DlqFilters(), page_request({}, default_limit=25), 422
    result = dlq.list_events(filters, page)
    partial = htmx.wants("dlq-results")
    template = "staff/webhooks/_dlq_rows.html" if partial else "staff/webhooks/dlq.html"
    response = Response(render_template(template, events=result.events, filters=filters, errors=errors,
                                        pagination=pagination_dict(page, result.total),
                                        filter_args=filters.as_args(), event_types=dlq.dlq_event_types(),
                                        counts=dlq.status_counts()),
                        status=status)
    response.vary.add("HX-Request")
    return response


def _detail(task_id: int, *, form: ReasonForm | None = None, action: str = "", status: int = 200,
            error: str = "") -> tuple[str, int]:
    row = dlq.get_event(task_id)
    return render_template("staff/webhooks/detail.html", event=row, payload=redact(row.payload),
                           form=form or ReasonForm(formdata=None), action=action, error=error), status


@staff_bp.get("/dlq/<int:task_id>")
@dlq_page_required
def dlq_detail(task_id: int) -> tuple[str, int]:
    return _detail(task_id)


def _act(task_id: int, action: str) -> Any:
    form = ReasonForm()
    if not form.validate_on_submit():
        message = "; ".join(form.reason.errors) or "A reason is required."
        return _detail(task_id, form=form, action=action, status=422, error=message)
    operation = dlq.retry_event if action == "retry" else dlq.discard_event
    try:
        row = operation(task_id, actor=current_staff(), reason=form.reason.data)
    except ValidationError as exc:
        return _detail(task_id, form=form, action=action, status=422, error=exc.message)
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        return _detail(task_id, form=form, action=action, status=exc.http_status, error=exc.message)
    verb = "queued for another try" if action == "retry" else "discarded"
    flash(f"Webhook event #{row.id} ({row.event_type}) {verb}.", "success")
    return redirect(url_for("staff_webhooks.dlq_detail", task_id=task_id), code=303)


@staff_bp.post("/dlq/<int:task_id>/retry")
@dlq_page_required
def dlq_retry(task_id: int) -> Any:
    return _act(task_id, "retry")


@staff_bp.post("/dlq/<int:task_id>/discard")
@dlq_page_required
def dlq_discard(task_id: int) -> Any:
    return _act(task_id, "discard")
