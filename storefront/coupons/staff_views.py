"""Back office: coupon codes — list, create, edit, deactivate (every change audit-logged)."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, flash, redirect, render_template, request, url_for

from storefront.audit.services import record as audit
from storefront.core.errors import ValidationError
from storefront.coupons.models import COUPON_KINDS, Coupon
from storefront.coupons.services import (
    create_coupon,
    deactivate_coupon,
    form_values,
    get_coupon,
    list_coupons,
    status_label,
    update_coupon,
    value_label,
    window_label,
)
from storefront.extensions import db
from storefront.staff.auth import current_staff, staff_blueprint
from storefront.staff.shell import register_staff_nav

bp = staff_blueprint("staff_coupons", __name__, "/staff/coupons")
register_staff_nav("staff_coupons.index", "Coupons", order=27)

FORM_FIELDS = ("code", "kind", "percent", "amount", "currency", "min_order_amount", "starts_on", "ends_on",
               "max_redemptions", "per_customer_limit", "active")


@bp.get("/")
def index() -> str:
    rows = [{"coupon": c, "value": value_label(c), "window": window_label(c), "status": status_label(c)}
            for c in list_coupons()]
    return render_template("staff/coupons/index.html", rows=rows)


def _form_page(coupon: Coupon | None, values: Mapping[str, str], errors: dict[str, str] | None = None,
               message: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("staff/coupons/form.html", coupon=coupon, values=values, errors=errors or {},
                           message=message, kinds=COUPON_KINDS), status


def _submitted() -> dict[str, str]:
    return {name: (request.form.get(name) or "").strip() for name in FORM_FIELDS}


def _refused(coupon: Coupon | None, exc: ValidationError) -> tuple[str, int]:
    db.session.rollback()
    errors: dict[str, str] = {}
    for detail in exc.details:
        errors.setdefault(detail.field, detail.message)
    return _form_page(coupon, _submitted(), errors, exc.message, 400)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response | tuple[str, int]:
    if request.method == "GET":
        return _form_page(None, form_values(None))
    try:
        coupon = create_coupon(request.form)
    except ValidationError as exc:
        return _refused(None, exc)
    audit(current_staff(), "coupon.created", target_type="coupon", target_id=coupon.id,
          details=form_values(coupon))
    db.session.commit()
    flash(f"Created code {coupon.code}.", "success")
    return redirect(url_for("staff_coupons.index"), code=303)


@bp.route("/<int:coupon_id>", methods=["GET", "POST"])
def edit(coupon_id: int) -> Response | tuple[str, int]:
    coupon = get_coupon(coupon_id)
    if request.method == "GET":
        return _form_page(coupon, form_values(coupon))
    try:
        changes = update_coupon(coupon, request.form)
    except ValidationError as exc:
        return _refused(coupon, exc)
    if changes:
        audit(current_staff(), "coupon.updated", target_type="coupon", target_id=coupon.id,
              details={"code": coupon.code, "changes": changes})
        db.session.commit()
        flash(f"Saved {coupon.code}: {', '.join(name.replace('_', ' ') for name in changes)}.", "success")
    else:
        flash("Nothing changed.", "success")
    return redirect(url_for("staff_coupons.index"), code=303)


@bp.post("/<int:coupon_id>/deactivate")
def deactivate(coupon_id: int) -> Response:
    coupon = get_coupon(coupon_id)
    if deactivate_coupon(coupon):
        audit(current_staff(), "coupon.deactivated", target_type="coupon", target_id=coupon.id,
              details={"code": coupon.code, "redemptions_count": coupon.redemptions_count})
        db.session.commit()
        flash(f"Deactivated {coupon.code}: it no longer works at checkout.", "success")
    else:
        flash(f"{coupon.code} was already inactive.", "success")
    return redirect(url_for("staff_coupons.index"), code=303)
