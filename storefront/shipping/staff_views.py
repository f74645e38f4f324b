"""Back office: shipping zones, their methods and local pickup, on one page."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from storefront.audit.services import record as audit
from storefront.core.errors import ValidationError
from storefront.extensions import db
from storefront.shipping.models import METHOD_KINDS
from storefront.shipping.services import get_method, get_zone, list_zones, pickup_methods, save_method, save_zone
from storefront.staff.auth import current_staff, staff_blueprint
from storefront.staff.shell import register_staff_nav

bp = staff_blueprint("staff_shipping", __name__, "/staff/shipping")
register_staff_nav("staff_shipping.index", "Shipping", order=25)


def _page(errors: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("staff/shipping/index.html", zones=list_zones(), pickups=pickup_methods(),
                           kinds=METHOD_KINDS, errors=errors or []), status


def _failed(exc: ValidationError) -> tuple[str, int]:
    db.session.rollback()
    return _page([exc.message, *(d.message for d in exc.details)], 400)


def _done(message: str, action: str, target: str, target_id: object) -> Response:
    audit(current_staff(), action, target_type=target, target_id=target_id, details=dict(request.form.items()))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("staff_shipping.index"), code=303)


@bp.get("/")
def index() -> tuple[str, int]:
    return _page()


@bp.post("/zones")
@bp.post("/zones/<int:zone_id>")
def zone_save(zone_id: int | None = None) -> Response | tuple[str, int]:
    try:
        zone = save_zone(get_zone(zone_id) if zone_id else None, request.form)
        db.session.flush()
    except ValidationError as exc:
        return _failed(exc)
    return _done(f"Saved zone “{zone.name}”.", "shipping.zone_saved", "shipping_zone", zone.id)


@bp.post("/zones/<int:zone_id>/delete")
def zone_delete(zone_id: int) -> Response:
    zone = get_zone(zone_id)
    db.session.delete(zone)
    return _done(f"Deleted zone “{zone.name}” and its methods.", "shipping.zone_deleted", "shipping_zone", zone_id)


@bp.post("/methods")
@bp.post("/methods/<int:method_id>")
def method_save(method_id: int | None = None) -> Response | tuple[str, int]:
    try:
        method = get_method(method_id) if method_id else None
        raw_zone = request.form.get("zone_id") or ""
        zone_id = method.zone_id if method else (get_zone(int(raw_zone)).id if raw_zone.isdigit() else None)
        method = save_method(method, request.form, zone_id)
        db.session.flush()
    except ValidationError as exc:
        return _failed(exc)
    return _done(f"Saved “{method.name}”.", "shipping.method_saved", "shipping_method", method.id)


@bp.post("/methods/<int:method_id>/delete")
def method_delete(method_id: int) -> Response:
    method = get_method(method_id)
    db.session.delete(method)
    return _done(f"Deleted “{method.name}”.", "shipping.method_deleted", "shipping_method", method_id)
