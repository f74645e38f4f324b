"""Customer account pages: register, confirm, log in/out, profile, resend confirmation, reset password."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm

from storefront.accounts.forms import ActionForm, EmailForm, LoginForm, NewPasswordForm, RegisterForm
from storefront.accounts.limits import email_limits, login_limits, mark_login_failed
from storefront.accounts.models import Customer
from storefront.accounts.services import (
    FORGOT_MESSAGE,
    REGISTER_PENDING_MESSAGE,
    RESEND_MESSAGE,
    InvalidLink,
    LoginFailed,
    authenticate_customer,
    check_confirmation,
    check_reset_link,
    confirm_email,
    login_hooks,
    register_customer,
    request_password_reset,
    resend_confirmation,
    reset_password,
)
from storefront.core.errors import ValidationError
from storefront.web.identity import current_customer
from storefront.web.safe_redirect import local_path

bp = Blueprint("accounts", __name__, url_prefix="/account")

SESSION_STAMP_KEY = "customer_stamp"
CHECK_EMAIL_MESSAGES = {"register": REGISTER_PENDING_MESSAGE, "resend": RESEND_MESSAGE, "reset": FORGOT_MESSAGE}


# --- the customer page session --------------------------------------------------------------

def begin_customer_session(customer: Customer) -> None:
    """Log ``customer`` in to a fresh session: only what login hooks carry survives the old one."""
    carried = login_hooks.carried(session)
    session.clear()
    login_user(customer)
    session[SESSION_STAMP_KEY] = customer.session_stamp
    session.update(carried)
    for key, value in login_hooks.run(customer.id, carried).items():
        if value is None:
            session.pop(key, None)
        else:
            session[key] = value


def end_customer_session() -> None:
    logout_user()
    session.clear()


@bp.before_app_request
def end_sessions_after_password_change() -> None:
    """A page session started before the password was reset is over."""
    if not str(session.get("_user_id", "")).startswith("customer:") or SESSION_STAMP_KEY not in session:
        return
    customer = current_customer()
    if customer is not None and session[SESSION_STAMP_KEY] != customer.session_stamp:
        end_customer_session()


@bp.after_request
def no_store(response: Response) -> Response:
    """Account pages (some carry one-time tokens in their URL) are never cached or leaked onward."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _apply_errors(form: FlaskForm, exc: ValidationError) -> None:
    for detail in exc.details:
        field = getattr(form, detail.field, None)
        if field is not None:
            field.errors = [*field.errors, detail.message]


def _check_email(reason: str) -> Response:
    return redirect(url_for("accounts.check_email", sent=reason), code=303)


# --- registration and confirmation ----------------------------------------------------------

@bp.route("/register", methods=["GET", "POST"])
@email_limits
def register() -> Any:
    # "Create an account after paying" links here with the order's email filled in.
    form = RegisterForm() if request.method == "POST" else RegisterForm(email=request.args.get("email", "")[:254])
    if request.method == "POST":
        try:
            register_customer(form.email.data or "", form.name.data or "", form.password.data or "")
        except ValidationError as exc:
            _apply_errors(form, exc)
            return render_template("accounts/register.html", form=form, error=exc.message), 422
        return _check_email("register")
    return render_template("accounts/register.html", form=form, error=None)


@bp.get("/check-email")
def check_email() -> str:
    message = CHECK_EMAIL_MESSAGES.get(request.args.get("sent", ""), REGISTER_PENDING_MESSAGE)
    return render_template("accounts/check_email.html", message=message)


@bp.route("/confirm/resend", methods=["GET", "POST"])
@email_limits
def resend() -> Any:
    form = EmailForm()
    if form.validate_on_submit():
        resend_confirmation(form.email.data or "")
        return _check_email("resend")
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/email_form.html", form=form, purpose="resend"), status


@bp.get("/confirm/<token>")
def confirm(token: str) -> tuple[str, int]:
    """Show a button; confirming is the POST (mail scanners follow links, they don't press buttons)."""
    customer = check_confirmation(token)
    return (render_template("accounts/confirm.html", form=ActionForm(), token=token, customer=customer),
            200 if customer is not None else 400)


@bp.post("/confirm/<token>")
def confirm_post(token: str) -> Any:
    try:
        customer = confirm_email(token)
    except InvalidLink:
        return render_template("accounts/confirm.html", form=ActionForm(), token=token, customer=None), 400
    begin_customer_session(customer)
    flash("Your email is confirmed and you're logged in. Welcome!", "success")
    return redirect(url_for("accounts.profile"), code=303)


# --- logging in and out ---------------------------------------------------------------------

def _next_target(raw: str | None) -> str:
    return local_path(raw, default=url_for("accounts.profile"))


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login() -> Any:
    if request.method == "GET" and current_customer() is not None:
        return redirect(_next_target(request.args.get("next")))
    form = LoginForm(next=local_path(request.args.get("next"), default=""))
    error = None
    if request.method == "POST":
        try:
            if not form.validate():
                raise LoginFailed()
            customer = authenticate_customer(form.email.data or "", form.password.data or "")
        except LoginFailed as exc:
            mark_login_failed()
            error = exc.message
        else:
            target = _next_target(form.next.data)
            begin_customer_session(customer)
            flash(f"Welcome back, {customer.name}.", "success")
            return redirect(target, code=303)
    return render_template("accounts/login.html", form=form, error=error)


@bp.post("/logout")
def logout() -> Response:
    if current_customer() is not None:
        end_customer_session()
        flash("You are logged out.", "success")
    return redirect(url_for("pages.home"), code=303)


@bp.get("")
def profile() -> Any:
    customer = current_customer()
    if customer is None:
        return redirect(url_for("accounts.login", next=request.path))
    return render_template("accounts/profile.html", customer=customer, form=ActionForm())


# --- password reset -------------------------------------------------------------------------

@bp.route("/password/forgot", methods=["GET", "POST"])
@email_limits
def forgot_password() -> Any:
    form = EmailForm()
    if form.validate_on_submit():
        request_password_reset(form.email.data or "")
        return _check_email("reset")
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/email_form.html", form=form, purpose="reset"), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
def reset_password_page(token: str) -> Any:
    form = NewPasswordForm()
    if request.method == "GET":
        valid = check_reset_link(token) is not None
        page = render_template("accounts/reset_password.html", form=form, token=token, valid=valid)
        return page, 200 if valid else 400
    try:
        reset_password(token, form.password.data or "")
    except InvalidLink:
        return render_template("accounts/reset_password.html", form=form, token=token, valid=False), 400
    except ValidationError as exc:
        _apply_errors(form, exc)
        return render_template("accounts/reset_password.html", form=form, token=token, valid=True), 422
    end_customer_session()
    flash("Your password is changed. Log in with the new one.", "success")
    return redirect(url_for("accounts.login"), code=303)
