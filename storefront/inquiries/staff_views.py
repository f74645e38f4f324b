"""Back office: the inquiries list (status filter, pagination) and an inquiry with its status form."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from storefront.core.errors import ValidationError
from storefront.inquiries.models import STATUSES
from storefront.inquiries.services import (
    change_status,
    count_by_status,
    get_inquiry,
    list_inquiries,
    parse_status_filter,
)
from storefront.staff.auth import acting_staff, staff_blueprint
from storefront.staff.shell import DashboardCard, register_dashboard_card, register_staff_nav
from storefront.web import htmx
from storefront.web.pagination import page_request, pagination_dict

bp = staff_blueprint("staff_inquiries", __name__, url_prefix="/staff/inquiries")


def new_inquiries_card() -> DashboardCard:
    count = count_by_status("new")
    return DashboardCard(label="New inquiries", value=count, endpoint="staff_inquiries.index",
                         tone="warn" if count else "ok")


register_staff_nav("staff_inquiries.index", "Inquiries", order=40)
register_dashboard_card("inquiries.new", new_inquiries_card, order=20)


@bp.get("")
def index() -> Response:
    errors: dict[str, str] = {}
    status_code = 200
    try:
        status = parse_status_filter(request.args.get("status"))
        page = page_request(request.args, default_limit=25, max_limit=100)
    except ValidationError as exc:
        errors = {d.field: d.message for d in exc.details}
        status, page, status_code = None, page_request({}, default_limit=25), 422
    rows, total = list_inquiries(status, page)
    partial = htmx.wants("inquiry-results")
    template = "staff/inquiries/_results.html" if partial else "staff/inquiries/index.html"
    response = Response(render_template(template, inquiries=rows, status=status, statuses=STATUSES,
                                        errors=errors, pagination=pagination_dict(page, total)),
                        status=status_code)
    response.vary.add("HX-Request")
    return response


@bp.get("/<tracking_id>")
def detail(tracking_id: str) -> str:
    return render_template("staff/inquiries/detail.html", inquiry=get_inquiry(tracking_id), statuses=STATUSES,
                           errors={}, form={})


@bp.post("/<tracking_id>/status")
def update_status(tracking_id: str) -> Response | tuple[str, int]:
    """Change the status (with an optional note); audited."""
    inquiry = get_inquiry(tracking_id)
    form = {"status": request.form.get("status", ""), "note": request.form.get("note", "")}
    try:
        change_status(inquiry.tracking_id, form["status"], form["note"], actor=acting_staff())
    except ValidationError as exc:
        return render_template("staff/inquiries/detail.html", inquiry=inquiry, statuses=STATUSES, form=form,
                               errors={d.field: d.message for d in exc.details}), 422
    flash(f"{inquiry.tracking_id} is now {inquiry.status}.", "success")
    return redirect(url_for("staff_inquiries.detail", tracking_id=inquiry.tracking_id), code=303)
