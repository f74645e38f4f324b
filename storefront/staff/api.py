"""Staff JSON API: login/logout with bearer tokens, who am I, dashboard, staff accounts (admins)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request, url_for

from storefront.api.auth import bearer_token, public_endpoint, staff_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.apitokens.services import revoke
from storefront.core.errors import FieldError, ValidationError
from storefront.staff.limits import login_limit
from storefront.staff.serializers import staff_json
from storefront.staff.services import (
    api_login,
    create_staff,
    get_staff,
    list_staff,
    record_logout,
    reset_password,
    update_staff,
)
from storefront.staff.shell import dashboard_summary


def _string(payload: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = payload.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise ValidationError.for_field(name, f"{name} must be a non-empty string")
    return value


@bp.post("/staff/login")
@public_endpoint
@login_limit
def staff_api_login() -> Response:
    """{email, password, totp?} → {token, token_type, expires_at, staff}; 401 totp_required asks for the code."""
    payload = json_object()
    errors = [FieldError(n, f"{n} must be a non-empty string")
              for n in ("email", "password") if not isinstance(payload.get(n), str) or not payload.get(n)]
    totp_code = payload.get("totp")
    if totp_code is not None and not isinstance(totp_code, str):
        errors.append(FieldError("totp", "totp must be a string of 6 digits"))
    if errors:
        raise ValidationError("Send email and password.", details=errors)
    result = api_login(payload["email"], payload["password"], totp_code, ip=request.remote_addr)
    return jsonify({"token": result.issued.token, "token_type": "Bearer",
                    "expires_at": result.issued.expires_at.isoformat(), "staff": staff_json(result.staff)})


@bp.post("/staff/logout")
@staff_token_required()
def staff_api_logout() -> tuple[str, int]:
    """Revoke the token used for this request."""
    revoke(bearer_token() or "")
    record_logout(g.api_staff, ip=request.remote_addr, channel="api")
    return "", 204


@bp.get("/staff/me")
@staff_token_required()
def staff_api_me() -> Response:
    return jsonify({"staff": staff_json(g.api_staff), "token_expires_at": g.api_token.expires_at.isoformat()})


@bp.get("/staff/dashboard")
@staff_token_required()
def staff_api_dashboard() -> Response:
    return jsonify(dashboard_summary().as_dict())


@bp.get("/staff/members")
@staff_token_required("admin")
def staff_api_members() -> Response:
    return jsonify({"staff": [staff_json(s) for s in list_staff()]})


@bp.post("/staff/members")
@staff_token_required("admin")
def staff_api_create_member() -> tuple[Response, int, dict[str, str]]:
    """{email, name, password, role?} → 201 with the account."""
    payload = json_object()
    staff = create_staff(_string(payload, "email") or "", _string(payload, "name") or "",
                         _string(payload, "password") or "", _string(payload, "role", required=False) or "staff",
                         actor=g.api_staff)
    return (jsonify({"staff": staff_json(staff)}), 201,
            {"Location": url_for("api.staff_api_member", staff_id=staff.id)})


@bp.get("/staff/members/<int:staff_id>")
@staff_token_required("admin")
def staff_api_member(staff_id: int) -> Response:
    return jsonify({"staff": staff_json(get_staff(staff_id))})


@bp.patch("/staff/members/<int:staff_id>")
@staff_token_required("admin")
def staff_api_update_member(staff_id: int) -> Response:
    """{name?, role?, is_active?} → the account and the list of changes."""
    payload = json_object()
    unknown = sorted(set(payload) - {"name", "role", "is_active"})
    if unknown:
        raise ValidationError("Unknown fields.", details=[FieldError(n, "not a field you can change") for n in unknown])
    is_active = payload.get("is_active")
    if is_active is not None and not isinstance(is_active, bool):
        raise ValidationError.for_field("is_active", "is_active must be true or false")
    changes = update_staff(staff_id, actor=g.api_staff, name=_string(payload, "name", required=False),
                           role=_string(payload, "role", required=False), is_active=is_active)
    return jsonify({"staff": staff_json(get_staff(staff_id)), "changes": changes})


@bp.post("/staff/members/<int:staff_id>/password")
@staff_token_required("admin")
def staff_api_reset_password(staff_id: int) -> Response:
    """{password} → sets it, ends the member's sessions and tokens."""
    payload = json_object()
    staff = reset_password(staff_id, _string(payload, "password") or "", actor=g.api_staff)
    return jsonify({"staff": staff_json(staff)})
