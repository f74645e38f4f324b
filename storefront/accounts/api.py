"""Customer JSON API: register, confirm, log in/out with bearer tokens, who am I, password reset."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify

from storefront.accounts.limits import email_limits, login_limits, mark_login_failed
from storefront.accounts.serializers import customer_json
from storefront.accounts.services import (
    FORGOT_MESSAGE,
    REGISTER_PENDING_MESSAGE,
    RESEND_MESSAGE,
    LoginFailed,
    api_login,
    api_logout,
    confirm_email,
    get_customer,
    register_customer,
    request_password_reset,
    resend_confirmation,
    reset_password,
)
from storefront.api.auth import bearer_token, customer_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.core.errors import FieldError, Unauthorized, ValidationError


def _strings(payload: dict[str, Any], *names: str) -> list[str]:
    """The named fields as strings; 422 naming every missing or non-string one (the services judge values)."""
    errors = [FieldError(n, f"{n} must be a string") for n in names if not isinstance(payload.get(n), str)]
    if errors:
        raise ValidationError("Check the highlighted fields.", details=errors)
    return [payload[n] for n in names]


def _accepted(status: str, message: str) -> tuple[Response, int]:
    return jsonify({"status": status, "message": message}), 202


@bp.post("/customer/register")
@email_limits
def customer_api_register() -> tuple[Response, int]:
    """{email, name, password} → 202 pending_confirmation, whether or not the email already has an account."""
    email, name, password = _strings(json_object(), "email", "name", "password")
    register_customer(email, name, password)
    return _accepted("pending_confirmation", REGISTER_PENDING_MESSAGE)


@bp.post("/customer/confirmation/resend")
@email_limits
def customer_api_resend_confirmation() -> tuple[Response, int]:
    """{email} → 202; a new link goes out only if that address has an unconfirmed account."""
    (email,) = _strings(json_object(), "email")
    resend_confirmation(email)
    return _accepted("accepted", RESEND_MESSAGE)


@bp.post("/customer/confirm")
def customer_api_confirm() -> Response:
    """{token} (from the confirmation email) → the confirmed customer; 400 invalid_link when it can't be used."""
    (token,) = _strings(json_object(), "token")
    return jsonify({"status": "confirmed", "customer": customer_json(confirm_email(token))})


@bp.post("/customer/login")
@login_limits
def customer_api_login() -> Response:
    """{email, password} → {token, token_type, expires_at, customer}; 401 invalid_credentials otherwise."""
    try:
        email, password = _strings(json_object(), "email", "password")
        result = api_login(email, password)
    except (LoginFailed, ValidationError):
        mark_login_failed()
        raise
    return jsonify({"token": result.issued.token, "token_type": "Bearer",
                    "expires_at": result.issued.expires_at.isoformat(), "customer": customer_json(result.customer)})


@bp.post("/customer/logout")
@customer_token_required
def customer_api_logout() -> tuple[str, int]:
    """Revoke the token used for this request."""
    api_logout(bearer_token() or "")
    return "", 204


@bp.get("/customer/me")
@customer_token_required
def customer_api_me() -> Response:
    customer = get_customer(g.api_customer_id)
    if customer is None:
        raise Unauthorized("The token is invalid, expired or revoked; log in again.")
    return jsonify({"customer": customer_json(customer), "token_expires_at": g.api_token.expires_at.isoformat()})


@bp.post("/customer/password/forgot")
@email_limits
def customer_api_forgot_password() -> tuple[Response, int]:
    """{email} → 202; a reset link goes out only if that address has an account."""
    (email,) = _strings(json_object(), "email")
    request_password_reset(email)
    return _accepted("accepted", FORGOT_MESSAGE)


@bp.post("/customer/password/reset")
def customer_api_reset_password() -> Response:
    """{token, password} → 200; ends the account's tokens and sessions."""
    token, password = _strings(json_object(), "token", "password")
    customer = reset_password(token, password)
    return jsonify({"status": "password_changed", "customer": customer_json(customer)})
