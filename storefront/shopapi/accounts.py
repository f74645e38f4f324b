"""Shop API customer auth: register, log in (a JWT, also set as the HttpOnly ``customer_token``
cookie), log out (the token is revoked and the cookie cleared), and who is signed in."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from storefront.accounts.limits import email_limits, login_limits, mark_login_failed
from storefront.accounts.models import Customer
from storefront.accounts.services import REGISTER_PENDING_MESSAGE, LoginFailed, authenticate_customer, register_customer
from storefront.api.body import json_object
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.extensions import db
from storefront.shopapi.blueprint import COOKIE_NAME, bp, current_customer_id, customer_required, presented_token
from storefront.shopapi.tokens import mint, revoke_token


def user_json(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "email": customer.email, "name": customer.name,
            "created_at": customer.created_at.isoformat() if customer.created_at else None}


def _strings(payload: dict[str, Any], *names: str) -> list[str]:
    errors = [FieldError(n, f"{n} is required and must be a string") for n in names
              if not isinstance(payload.get(n), str) or not payload.get(n)]
    if errors:
        raise ValidationError("Check the highlighted fields.", details=errors)
    return [payload[n] for n in names]


def _cookie_path() -> str:
    return f"{request.script_root}{bp.url_prefix}"


@bp.post("/auth/register")
@email_limits
def shop_register() -> tuple[Response, int]:
    """{email, password, name} → 201. The answer is the same whether or not the address already has an
    account (its owner is emailed instead), so the endpoint cannot be used to find out who shops here."""
    payload = json_object()
    email, password = _strings(payload, "email", "password")
    name = payload.get("name") or payload.get("full_name") or ""
    if not isinstance(name, str):
        raise ValidationError.for_field("name", "name must be a string")
    register_customer(email, name, password)
    return jsonify({"status": "pending_confirmation", "message": REGISTER_PENDING_MESSAGE}), 201


@bp.post("/auth/login")
@login_limits
def shop_login() -> Response:
    """{email_or_username, password} → {access_token, token_type, expires_in, user} and the cookie."""
    payload = json_object()
    try:
        login, password = _strings(payload, "email_or_username", "password")
        customer = authenticate_customer(login, password)
    except (LoginFailed, ValidationError):
        mark_login_failed()
        raise
    access = mint(customer.id)
    response = jsonify({"access_token": access.token, "token_type": "bearer", "expires_in": access.expires_in,
                        "user": user_json(customer)})
    response.set_cookie(COOKIE_NAME, access.token, max_age=access.expires_in, path=_cookie_path(), httponly=True,
                        samesite="Lax", secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
    return response


@bp.post("/auth/logout")
def shop_logout() -> Response:
    """Revoke the presented token (bearer or cookie) and clear the cookie; fine to call twice."""
    token, _how = presented_token()
    revoked = revoke_token(token)
    response = jsonify({"message": "Logged out." if revoked else "No active session."})
    response.delete_cookie(COOKIE_NAME, path=_cookie_path(), httponly=True, samesite="Lax",
                           secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
    return response


@bp.get("/auth/me")
@customer_required
def shop_me() -> Response:
    customer = db.session.get(Customer, current_customer_id())
    if customer is None:
        raise NotFound("No such customer.")
    return jsonify({"user": user_json(customer)})
