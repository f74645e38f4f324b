"""Back-office pages: staff login (with the two-factor step), logout, dashboard, two-factor setup."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for

from storefront.core.errors import DomainError
from storefront.extensions import limiter
from storefront.staff import totp
from storefront.staff.auth import (
    begin_staff_session,
    current_staff,
    device_cookie,
    end_staff_session,
    guard_staff_area,
    no_store_staff_pages,
    public_staff_page,
    remember_device,
    staff_required,
)
from storefront.staff.cards import register_builtin_cards
from storefront.staff.forms import ActionForm, CodeForm, StaffLoginForm
from storefront.staff.services import (
    LoginFailed,
    TotpRequired,
    authenticate_staff,
    record_logout,
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


def login_rate_limit() -> str:
    return current_app.config["STAFF_LOGIN_RATE_LIMIT"]


# One per-IP budget shared by the page login, its code step and the API login.
login_limit = limiter.shared_limit(login_rate_limit, scope="staff-login", methods=["POST"], override_defaults=False)


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
