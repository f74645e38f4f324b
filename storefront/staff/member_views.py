"""Admin pages for staff accounts: list, create, change name/role/active, reset password, unlock."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from storefront.core.errors import DomainError
from storefront.staff import totp
from storefront.staff.auth import admin_required, current_staff, staff_blueprint
from storefront.staff.forms import ActionForm, PasswordResetForm, StaffCreateForm, StaffEditForm
from storefront.staff.services import (
    create_staff,
    get_staff,
    list_staff,
    reset_password,
    unlock_staff,
    update_staff,
)

bp = staff_blueprint("staff_members", __name__, url_prefix="/staff/members", role="admin")


def _field_errors(exc: DomainError) -> dict[str, str]:
    return {d.field: d.message for d in exc.details}


@bp.get("")
@admin_required
def index() -> str:
    return render_template("staff/members.html", members=list_staff(), action_form=ActionForm())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new() -> Any:
    form = StaffCreateForm()
    error, errors, status = None, {}, 200
    if form.validate_on_submit():
        try:
            staff = create_staff(form.email.data or "", form.name.data or "", form.password.data or "",
                                 form.role.data or "staff", actor=current_staff())
        except DomainError as exc:
            error, errors, status = exc.message, _field_errors(exc), exc.http_status
        else:
            flash(f"Created {staff.email} ({staff.role}).", "success")
            return redirect(url_for("staff_members.detail", staff_id=staff.id), code=303)
    elif request.method == "POST":
        error, status = "Fill in every field.", 422
    return render_template("staff/member_new.html", form=form, error=error, errors=errors), status


def _detail_page(staff_id: int, *, error: str | None = None, errors: dict[str, str] | None = None,
                 status: int = 200) -> tuple[str, int]:
    member = get_staff(staff_id)
    form = StaffEditForm(formdata=None, obj=member)
    return render_template("staff/member_detail.html", member=member, form=form,
                           password_form=PasswordResetForm(formdata=None), action_form=ActionForm(),
                           error=error, errors=errors or {}), status


@bp.get("/<int:staff_id>")
@admin_required
def detail(staff_id: int) -> tuple[str, int]:
    return _detail_page(staff_id)


@bp.post("/<int:staff_id>")
@admin_required
def update(staff_id: int) -> Any:
    """Name, role and active flag from the edit form."""
    try:
        changes = update_staff(staff_id, actor=current_staff(), name=request.form.get("name"),
                               role=request.form.get("role"), is_active=request.form.get("is_active") == "y")
    except DomainError as exc:
        return _detail_page(staff_id, error=exc.message, errors=_field_errors(exc), status=exc.http_status)
    flash("Saved: " + "; ".join(changes) if changes else "Nothing changed.", "success")
    return redirect(url_for("staff_members.detail", staff_id=staff_id), code=303)


@bp.post("/<int:staff_id>/password")
@admin_required
def password(staff_id: int) -> Any:
    try:
        member = reset_password(staff_id, request.form.get("password", ""), actor=current_staff())
    except DomainError as exc:
        return _detail_page(staff_id, error=exc.message, errors=_field_errors(exc), status=exc.http_status)
    flash(f"New password set for {member.email}; their sessions and API tokens have ended.", "success")
    return redirect(url_for("staff_members.detail", staff_id=staff_id), code=303)


@bp.post("/<int:staff_id>/unlock")
@admin_required
def unlock(staff_id: int) -> Any:
    member = unlock_staff(staff_id, actor=current_staff())
    flash(f"{member.email} is unlocked.", "success")
    return redirect(url_for("staff_members.detail", staff_id=staff_id), code=303)


@bp.post("/<int:staff_id>/two-factor/reset")
@admin_required
def reset_two_factor(staff_id: int) -> Any:
    member = totp.reset_totp(staff_id, actor=current_staff())
    flash(f"Two-factor sign-in is off for {member.email}; they can enrol a new device.", "success")
    return redirect(url_for("staff_members.detail", staff_id=staff_id), code=303)
