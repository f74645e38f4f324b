"""Back-office pages of the staff domain: login (with the two-factor step), logout, dashboard, two-factor
set-up, and the admin pages for staff accounts (list, create, edit, reset password, unlock)."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for

from storefront.core.errors import DomainError
from storefront.staff import totp
from storefront.staff.auth import (
    admin_required,
    begin_staff_session,
    current_staff,
    device_cookie,
    end_staff_session,
    guard_staff_area,
    no_store_staff_pages,
    public_staff_page,
    remember_device,
    staff_blueprint,
    staff_required,
)
from storefront.staff.cards import register_builtin_cards
from storefront.staff.forms import (
    ActionForm,
    CodeForm,
    PasswordResetForm,
    StaffCreateForm,
    StaffEditForm,
    StaffLoginForm,
)
from storefront.staff.limits import login_limit
from storefront.staff.services import (
    LoginFailed,
    TotpRequired,
    authenticate_staff,
    create_staff,
    get_staff,
    list_staff,
    record_logout,
    reset_password,
    unlock_staff,
    update_staff,
    verify_second_factor,
)
from storefront.staff.shell import dashboard_summary, register_staff_nav, staff_nav_links
from storefront.web.safe_redirect import local_path

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_app_request(guard_staff_area)
bp.after_app_request(no_store_staff_pages)

PENDING_KEY = "staff_2fa"
PENDING_SECONDS = 300

register_staff_nav("staff.dashboard", "Dashboard", order=10)
register_staff_nav("audit.index", "Audit log", order=70)
register_staff_nav("staff_members.index", "Staff", order=80, admin_only=True)
register_builtin_cards()


@bp.app_template_global("staff_nav")
def staff_nav() -> list[dict[str, object]]:
    staff = current_staff()
    return staff_nav_links(staff.is_admin) if staff else []


def _after_login() -> str:
    return local_path(request.form.get("next") or request.args.get("next"), default=url_for("staff.dashboard"))


@bp.route("/login", methods=["GET", "POST"])
@public_staff_page
@login_limit
def login() -> Any:
    """Step one: email and password."""
    if current_staff() is not None and request.method == "GET":
        return redirect(_after_login())
    form = StaffLoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        try:
            staff = authenticate_staff(form.email.data or "", form.password.data or "",
                                       ip=request.remote_addr, channel="page", device=device_cookie())
        except TotpRequired as exc:
            session[PENDING_KEY] = {"id": exc.staff_id, "at": int(time.time()),
                                    "next": local_path(form.next.data, default="")}
            return redirect(url_for("staff.login_code"), code=303)
        except LoginFailed as exc:
            error = exc.message
        else:
            target = _after_login()
            begin_staff_session(staff)
            flash(f"Signed in as {staff.email}.", "success")
            return remember_device(redirect(target, code=303), staff)
    elif request.method == "POST":
        error = "Enter your email and password."
    return render_template("staff/login.html", form=form, error=error)


def _pending_login() -> dict[str, Any] | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - int(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    return pending


@bp.route("/login/code", methods=["GET", "POST"])
@public_staff_page
@login_limit
def login_code() -> Any:
    """Step two (accounts with two-factor on): the authenticator code."""
    pending = _pending_login()
    if pending is None:
        session.pop(PENDING_KEY, None)
        flash("Sign in again to continue.", "warning")
        return redirect(url_for("staff.login"), code=303)
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            staff = verify_second_factor(int(pending["id"]), form.code.data or "", ip=request.remote_addr,
                                         device=device_cookie())
        except LoginFailed as exc:
            error = exc.message
        else:
            target = local_path(pending.get("next"), default=url_for("staff.dashboard"))
            begin_staff_session(staff)
            flash(f"Signed in as {staff.email}.", "success")
            return remember_device(redirect(target, code=303), staff)
    elif request.method == "POST":
        error = "Enter the 6-digit code from your authenticator app."
    return render_template("staff/login_code.html", form=form, error=error)


@bp.post("/logout")
@staff_required
def logout() -> Response:
    staff = current_staff()
    if staff is not None:
        record_logout(staff, ip=request.remote_addr, channel="page")
    end_staff_session()
    flash("You are signed out.", "success")
    return redirect(url_for("staff.login"), code=303)


@bp.get("/")
@staff_required
def dashboard() -> str:
    return render_template("staff/dashboard.html", dashboard=dashboard_summary())


def _two_factor_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    staff = current_staff()
    assert staff is not None
    return render_template("staff/two_factor.html", staff=staff, enrolment=totp.pending_enrolment(staff),
                           code_form=CodeForm(formdata=None), action_form=ActionForm(), error=error), status


@bp.get("/account/two-factor")
@staff_required
def two_factor() -> tuple[str, int]:
    return _two_factor_page()


@bp.post("/account/two-factor/start")
@staff_required
def two_factor_start() -> Any:
    """Create a new secret and show its QR code (off until a code is confirmed)."""
    staff = current_staff()
    assert staff is not None
    try:
        totp.begin_enrolment(staff)
    except DomainError as exc:
        return _two_factor_page(exc.message, exc.http_status)
    return redirect(url_for("staff.two_factor"), code=303)


@bp.post("/account/two-factor/confirm")
@staff_required
def two_factor_confirm() -> Any:
    staff = current_staff()
    assert staff is not None
    try:
        totp.confirm_enrolment(staff, request.form.get("code", ""))
    except DomainError as exc:
        return _two_factor_page(exc.message, exc.http_status)
    flash("Two-factor sign-in is on. You'll be asked for a code each time you sign in.", "success")
    return redirect(url_for("staff.two_factor"), code=303)


@bp.post("/account/two-factor/disable")
@staff_required
def two_factor_disable() -> Any:
    staff = current_staff()
    assert staff is not None
    try:
        totp.disable_totp(staff, request.form.get("code", ""))
    except DomainError as exc:
        return _two_factor_page(exc.message, exc.http_status)
    flash("Two-factor sign-in is off.", "success")
    return redirect(url_for("staff.two_factor"), code=303)


# --- admin pages for staff accounts (/staff/members) -----------------------------------------

members_bp = staff_blueprint("staff_members", __name__, url_prefix="/staff/members", role="admin")


def _field_errors(exc: DomainError) -> dict[str, str]:
    return {d.field: d.message for d in exc.details}


@members_bp.get("")
@admin_required
def index() -> str:
    return render_template("staff/members.html", members=list_staff(), action_form=ActionForm())


@members_bp.route("/new", methods=["GET", "POST"])
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


@members_bp.get("/<int:staff_id>")
@admin_required
def detail(staff_id: int) -> tuple[str, int]:
    return _detail_page(staff_id)


@members_bp.post("/<int:staff_id>")
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


@members_bp.post("/<int:staff_id>/password")
@admin_required
def password(staff_id: int) -> Any:
    try:
        member = reset_password(staff_id, request.form.get("password", ""), actor=current_staff())
    except DomainError as exc:
        return _detail_page(staff_id, error=exc.message, errors=_field_errors(exc), status=exc.http_status)
    flash(f"New password set for {member.email}; their sessions and API tokens have ended.", "success")
    return redirect(url_for("staff_members.detail", staff_id=staff_id), code=303)


@members_bp.post("/<int:staff_id>/unlock")
@admin_required
def unlock(staff_id: int) -> Any:
    member = unlock_staff(staff_id, actor=current_staff())
    flash(f"{member.email} is unlocked.", "success")
    return redirect(url_for("staff_members.detail", staff_id=staff_id), code=303)


@members_bp.post("/<int:staff_id>/two-factor/reset")
@admin_required
def reset_two_factor(staff_id: int) -> Any:
    member = totp.reset_totp(staff_id, actor=current_staff())
    flash(f"Two-factor sign-in is off for {member.email}; they can enrol a new device.", "success")
    return redirect(url_for("staff_members.detail", staff_id=staff_id), code=303)
