"""Back-office orders: list with filters, detail, status / tracking / note changes."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from storefront.core.errors import DomainError, ValidationError
from storefront.orders.lifecycle import can_move
from storefront.orders.services import (
    STAFF_STATUSES,
    get_order,
    parse_order_filters,
    staff_orders,
    staff_update_order,
)
from storefront.staff.auth import current_staff, staff_blueprint
from storefront.staff.shell import register_staff_nav
from storefront.web.pagination import page_request, pagination_dict

bp = staff_blueprint("staff_orders", __name__, "/staff/orders")
register_staff_nav("staff_orders.index", "Orders", order=20)


@bp.get("/")
def index() -> tuple[str, int] | str:
    page = page_request(request.args, default_limit=25, max_limit=100)
    try:
        filters = parse_order_filters(request.args)
    except ValidationError as exc:
        return render_template("staff/orders/index.html", orders=[], pagination=None, filters=request.args,
                               errors=[d.message for d in exc.details]), 400
    orders, total = staff_orders(filters, page)
    return render_template("staff/orders/index.html", orders=orders, pagination=pagination_dict(page, total),
                           filters=request.args, errors=[])


@bp.get("/<int:order_id>")
def detail(order_id: int) -> str:
    order = get_order(order_id)
    allowed = [s for s in STAFF_STATUSES if can_move(order, s)]
    return render_template("staff/orders/detail.html", order=order, allowed=allowed, errors=[])


@bp.post("/<int:order_id>")
def update(order_id: int) -> Response | tuple[str, int]:
    order = get_order(order_id)
    status = request.form.get("status") or None
    try:
        changes = staff_update_order(order, actor=current_staff(), status=status,
                                     tracking_number=request.form.get("tracking_number"),
                                     note=request.form.get("note"))
    except DomainError as exc:
        allowed = [s for s in STAFF_STATUSES if can_move(order, s)]
        messages = [exc.message, *(d.message for d in exc.details)]
        return render_template("staff/orders/detail.html", order=order, allowed=allowed,
                               errors=messages), exc.http_status
    flash("Saved: " + "; ".join(changes) if changes else "Nothing changed.", "success")
    return redirect(url_for("staff_orders.detail", order_id=order.id), code=303)
