"""Back-office orders: list with filters (and "to ship"), detail, status / tracking / note changes,
fulfilment (ship, collect, cancel unpaid, refund with restock) and the printable packing slip."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from storefront.core.errors import DomainError, ValidationError
from storefront.core.money import format_money
from storefront.orders.fulfilment import (
    CARRIERS,
    cancel_unpaid,
    carrier_name,
    is_paid,
    is_pickup,
    mark_collected,
    mark_shipped,
    orders_to_ship,
    packing_details,
    parse_amount,
    refund,
    restocked_quantities,
    tracking_url,
)
from storefront.orders.lifecycle import can_move
from storefront.orders.models import Order
from storefront.orders.refunds import refundable_amount
from storefront.orders.services import (
    STAFF_STATUSES,
    get_order,
    parse_order_filters,
    staff_orders,
    staff_update_order,
)
from storefront.staff.auth import current_staff, staff_blueprint
from storefront.staff.shell import (
    DashboardPanel,
    PanelRow,
    register_dashboard_panel,
    register_staff_nav,
)
from storefront.web.pagination import PageRequest, page_request, pagination_dict

bp = staff_blueprint("staff_orders", __name__, "/staff/orders")
register_staff_nav("staff_orders.index", "Orders", order=20)
TO_SHIP = "to_ship"
PANEL_ROWS = 8


def _to_ship_row(order: Order) -> PanelRow:
    where = "Pickup" if is_pickup(order) else ", ".join(
        p for p in ((order.shipping_address or {}).get("city"), (order.shipping_address or {}).get("country")) if p)
    paid = (order.paid_at or order.created_at).strftime("%Y-%m-%d %H:%M")
    detail = (f"paid {paid} · {order.item_count} item{'s' if order.item_count != 1 else ''} · "
              f"{format_money(order.total_amount, order.currency)} · {order.email}")
    return PanelRow(label=order.number, detail=detail, badge=where or order.shipping_method,
                    endpoint="staff_orders.detail", args={"order_id": order.id})


def orders_to_ship_panel() -> DashboardPanel:
    orders, total = orders_to_ship(PageRequest(page=1, limit=PANEL_ROWS))
    return DashboardPanel(label="Orders to ship", count=total, rows=[_to_ship_row(o) for o in orders],
                          endpoint="staff_orders.index", args={"status": TO_SHIP},
                          empty="Nothing to ship: every paid order is on its way.")


register_dashboard_panel("orders.to_ship", orders_to_ship_panel, order=10)


@bp.get("/")
def index() -> tuple[str, int] | str:
    page = page_request(request.args, default_limit=25, max_limit=100)
    if request.args.get("status") == TO_SHIP:
        orders, total = orders_to_ship(page)
        return render_template("staff/orders/index.html", orders=orders, pagination=pagination_dict(page, total),
                               filters=request.args, errors=[], to_ship=True, total=total)
    try:
        filters = parse_order_filters(request.args)
    except ValidationError as exc:
        return render_template("staff/orders/index.html", orders=[], pagination=None, filters=request.args,
                               errors=[d.message for d in exc.details], to_ship=False), 400
    orders, total = staff_orders(filters, page)
    return render_template("staff/orders/index.html", orders=orders, pagination=pagination_dict(page, total),
                           filters=request.args, errors=[], to_ship=False, total=total)


def _detail_page(order: Order, *, errors: list[str] | None = None, form: str = "", values: Any = None,
                 status: int = 200) -> tuple[str, int]:
    """The order page; ``form`` names the form a message belongs to (its values are kept)."""
    restocked = restocked_quantities(order) if is_paid(order) else {}
    left = refundable_amount(order) if is_paid(order) else 0
    return render_template(
        "staff/orders/detail.html", order=order, allowed=[s for s in STAFF_STATUSES if can_move(order, s)],
        errors=errors or [], failed_form=form, values=values or {}, carriers=list(CARRIERS.values()),
        carrier_name=carrier_name(order), tracking_url=tracking_url(order), pickup=is_pickup(order),
        paid=is_paid(order), refundable=left, refundable_text=_decimal(left, order.currency),
        restock_left={line.id: line.quantity - restocked.get(line.id, 0) for line in order.lines},
        nonce=(values or {}).get("nonce") or secrets.token_urlsafe(16)), status


def _decimal(amount: int, currency: str) -> str:
    """1250 → "12.50" (the amount field's format, no currency symbol)."""
    return format_money(amount, currency).lstrip("$€£¥").split(" ")[0].replace(",", "")


@bp.get("/<int:order_id>")
def detail(order_id: int) -> tuple[str, int]:
    return _detail_page(get_order(order_id))


def _act(order_id: int, form: str, action: Callable[[Order], str]) -> Response | tuple[str, int]:
    """Run a staff action; a domain error re-renders the page with the message by its form (never a 500)."""
    order = get_order(order_id)
    try:
        message = action(order)
    except DomainError as exc:
        messages = [exc.message, *(d.message for d in exc.details if d.message != exc.message)]
        return _detail_page(order, errors=messages, form=form, values=request.form, status=exc.http_status)
    flash(message, "success")
    return redirect(url_for("staff_orders.detail", order_id=order.id), code=303)


@bp.post("/<int:order_id>")
def update(order_id: int) -> Response | tuple[str, int]:
    def change(order: Order) -> str:
        changes = staff_update_order(order, actor=current_staff(), status=request.form.get("status") or None,
                                     tracking_number=request.form.get("tracking_number"),
                                     note=request.form.get("note"))
        return "Saved: " + "; ".join(changes) if changes else "Nothing changed."
    return _act(order_id, "update", change)


@bp.post("/<int:order_id>/ship")
def ship(order_id: int) -> Response | tuple[str, int]:
    def action(order: Order) -> str:
        changed = mark_shipped(order, actor=current_staff(), carrier=request.form.get("carrier"),
                               tracking_number=request.form.get("tracking_number"))
        return (f"Marked shipped with {carrier_name(order)}; the customer was emailed the tracking link."
                if changed else "Already shipped with that tracking number; nothing changed.")
    return _act(order_id, "ship", action)


@bp.post("/<int:order_id>/collect")
def collect(order_id: int) -> Response | tuple[str, int]:
    def action(order: Order) -> str:
        changed = mark_collected(order, actor=current_staff())
        return "Marked collected." if changed else "Already collected; nothing changed."
    return _act(order_id, "collect", action)


@bp.post("/<int:order_id>/cancel")
def cancel(order_id: int) -> Response | tuple[str, int]:
    def action(order: Order) -> str:
        changed = cancel_unpaid(order, actor=current_staff(), reason=request.form.get("reason"))
        return ("Cancelled; the held copies are free again and the customer was emailed."
                if changed else "Already cancelled; nothing changed.")
    return _act(order_id, "cancel", action)


def _restock_form(order: Order) -> dict[int, int]:
    wanted: dict[int, int] = {}
    for line in order.lines:
        raw = (request.form.get(f"restock-{line.id}") or "0").strip() or "0"
        if not raw.isdigit():
            raise ValidationError.for_field(f"restock.{line.id}", f"{line.name}: enter a whole number to restock.")
        wanted[line.id] = int(raw)
    return wanted


@bp.post("/<int:order_id>/refund")
def refund_order(order_id: int) -> Response | tuple[str, int]:
    def action(order: Order) -> str:
        done = refund(order, actor=current_staff(), amount=parse_amount(request.form.get("amount"), order.currency),
                      reason=request.form.get("reason"), restock_lines=_restock_form(order),
                      nonce=request.form.get("nonce") or None)
        return f"Refunded {format_money(done.amount, done.currency)}; the customer was emailed."
    return _act(order_id, "refund", action)


@bp.get("/<int:order_id>/packing-slip")
def packing_slip(order_id: int) -> str:
    order = get_order(order_id)
    return render_template("staff/orders/packing_slip.html", order=order, details=packing_details(order),
                           pickup=is_pickup(order))
