"""Bearer-token authentication for /api/v1, and HMAC-signed requests for sensitive staff calls.

Decorators (each usable with or without parentheses):

* ``customer_token_required`` — a customer token; sets ``g.api_customer_id`` and ``g.api_token``.
* ``staff_token_required(role="staff"|"admin")`` — a staff token of an active staff member;
  sets ``g.api_staff`` (the StaffMember) and ``g.api_token``.
* ``signed_request_required`` — ``X-Signature: t=<unix ts>,v1=<hex HMAC-SHA256>`` over
  ``f"{t}.{METHOD}.{path}."`` + the raw body with STAFF_API_HMAC_KEY, or a client IP in
  STAFF_API_IP_ALLOWLIST. The path excludes the query string.
* ``staff_dlq_required`` — staff token + signature + two-factor when STAFF_TOTP_REQUIRED_FOR_DLQ.

Statuses: no/invalid/expired/revoked token → 401 with ``WWW-Authenticate: Bearer``; a token
of the wrong kind or a too-low role → 403. Signature missing, malformed or stale → 401;
present but wrong (or signing not configured) → 403.

Every route under /api/v1/staff/ needs a staff token even without a decorator (a guard on the
API blueprint); mark the rare public one (the login) with ``public_endpoint``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request

from storefront.api.blueprint import bp
from storefront.api.errors import error_response
from storefront.apitokens.services import authenticate, find_token
from storefront.staff.models import load_staff

STAFF_API_PREFIX = "/api/v1/staff"
SIGNATURE_HEADER = "X-Signature"
ROLE_RANK = {"staff": 1, "admin": 2}

View = Callable[..., Any]


# --- bearer tokens --------------------------------------------------------------------------

def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def _unauthorized(message: str, *, invalid: bool) -> Response:
    challenge = 'Bearer realm="storefront"' + (', error="invalid_token"' if invalid else "")
    return error_response(401, message, headers={"WWW-Authenticate": challenge})


def _forbidden(message: str, code: str = "forbidden") -> Response:
    return error_response(403, message, code=code)


def _stronger(a: str | None, b: str | None) -> str | None:
    return max((r for r in (a, b) if r), key=lambda r: ROLE_RANK.get(r, 0), default=None)


def _authenticate_staff() -> Response | None:
    """Resolve the staff bearer token once per request (cached on ``g``); a response means refuse."""
    if g.get("api_staff") is not None:
        return None

    token = bearer_token()
    if token is None:
        return _unauthorized("Send a staff bearer token: Authorization: Bearer <token>.", invalid=False)
    row = authenticate(token, "staff")
    if row is None:
        other = find_token(token)
        if other is not None and other.kind == "customer" and other.is_usable():
            return _forbidden("Customer tokens cannot use staff endpoints.")
        return _unauthorized("The token is invalid, expired or revoked; log in again.", invalid=True)
    staff = load_staff(str(row.subject_id))
    if staff is None:
        return _unauthorized("The token is invalid, expired or revoked; log in again.", invalid=True)
    g.api_staff, g.api_token = staff, row
    return None


def check_staff_role(role: str) -> Response | None:
    """Authenticate the staff token and require ``role``; a response means refuse."""
    refusal = _authenticate_staff()
    if refusal is not None:
        return refusal
    if ROLE_RANK.get(g.api_staff.role, 0) < ROLE_RANK[role]:
        return _forbidden(f"This needs the {role} role.")
    return None


def staff_token_required(role: str | View = "staff") -> Any:
    """Require a staff bearer token (and ``role``: "staff" lets admins in too)."""
    if callable(role):
        return staff_token_required("staff")(role)
    if role not in ROLE_RANK:
        raise ValueError(f"role must be one of {tuple(ROLE_RANK)}")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = check_staff_role(role)
            return refusal if refusal is not None else view(*args, **kwargs)

        wrapper.staff_role = _stronger(getattr(view, "staff_role", None), role)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def customer_token_required(view: View | None = None) -> Any:
    """Require a customer bearer token; sets ``g.api_customer_id``."""
    if view is None:
        return customer_token_required

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = bearer_token()
        if token is None:
            return _unauthorized("Send a bearer token: Authorization: Bearer <token>.", invalid=False)
        row = authenticate(token, "customer")
        if row is None:
            other = find_token(token)
            if other is not None and other.kind == "staff" and other.is_usable():
                return _forbidden("Staff tokens cannot act as a customer.")
            return _unauthorized("The token is invalid, expired or revoked; log in again.", invalid=True)
        g.api_customer_id, g.api_token = row.subject_id, row
        return view(*args, **kwargs)

    wrapper.customer_only = True  # type: ignore[attr-defined]
    return wrapper


def customer_token_optional(view: View) -> View:
    """A customer token if one is sent (then it must be valid), else a guest: ``g.api_customer_id`` is None."""
    required = customer_token_required(view)

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.headers.get("Authorization") is None:
            g.api_customer_id, g.api_token = None, None
            return view(*args, **kwargs)
        return required(*args, **kwargs)

    return wrapper


def public_endpoint(view: View) -> View:
    """Exempt one /api/v1/staff route (the login) from the default staff-token guard."""
    view.staff_public = True  # type: ignore[attr-defined]
    return view


@bp.before_request
def _staff_routes_need_a_token() -> Response | None:
    """Default guard: nothing under /api/v1/staff answers without a staff token."""
    if not (request.path == STAFF_API_PREFIX or request.path.startswith(STAFF_API_PREFIX + "/")):
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "staff_public", False):
        return None
    return _authenticate_staff()


# --- signed requests ------------------------------------------------------------------------

def signature_message(method: str, path: str, body: bytes, ts: int | str) -> bytes:
    """The bytes that are signed: ``f"{t}.{METHOD}.{path}."`` followed by the raw body."""
    return f"{ts}.{method.upper()}.{path}.".encode() + body


def sign_staff_request(key: str, method: str, path: str, body: bytes = b"", ts: int | None = None) -> str:
    """The ``X-Signature`` header value for a request (``ts`` defaults to now)."""
    ts = int(time.time()) if ts is None else int(ts)
    digest = hmac.new(key.encode(), signature_message(method, path, body, ts), hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def _parse_signature(header: str) -> tuple[int, list[str]] | None:
    ts: int | None = None
    sigs: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            ts = int(value)
        elif name == "v1" and value:
            sigs.append(value.lower())
    return (ts, sigs) if ts is not None and sigs else None


def client_ip_allowed(ip: str | None, allowlist: list[str]) -> bool:
    """True when ``ip`` is one of the listed addresses or inside a listed network."""
    if not ip or not allowlist:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for entry in allowlist:
        try:
            if address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            current_app.logger.warning("STAFF_API_IP_ALLOWLIST entry %r is not an IP or network", entry)
    return False


def check_signature() -> Response | None:
    """Verify the request's X-Signature (or allow-listed IP); a response means refuse."""
    config = current_app.config
    if client_ip_allowed(request.remote_addr, config["STAFF_API_IP_ALLOWLIST"]):
        return None
    header = request.headers.get(SIGNATURE_HEADER, "").strip()
    challenge = {"WWW-Authenticate": f'HMAC-SHA256 realm="staff-api", header="{SIGNATURE_HEADER}"'}
    if not header:
        return error_response(401, f"This endpoint needs a signed request ({SIGNATURE_HEADER} header).",
                              code="signature_required", headers=challenge)
    parsed = _parse_signature(header)
    if parsed is None:
        return error_response(401, f"{SIGNATURE_HEADER} must look like t=<unix seconds>,v1=<hex hmac>.",
                              code="signature_malformed", headers=challenge)
    ts, sigs = parsed
    if abs(time.time() - ts) > config["STAFF_API_SIGNATURE_TOLERANCE_SECONDS"]:
        return error_response(401, "The signature timestamp is too old or in the future; sign again.",
                              code="signature_expired", headers=challenge)
    key = config["STAFF_API_HMAC_KEY"]
    if not key:
        return _forbidden("Signed requests are not enabled on this server; call from an allow-listed address.",
                          code="signature_rejected")
    expected = sign_staff_request(key, request.method, request.path, request.get_data(cache=True), ts)
    expected_sig = expected.partition(",v1=")[2]
    if not any(hmac.compare_digest(expected_sig, sig) for sig in sigs):
        return _forbidden("The request signature does not match.", code="signature_rejected")
    return None


def signed_request_required(view: View | None = None) -> Any:
    """Require a valid X-Signature or an allow-listed client IP."""
    if view is None:
        return signed_request_required

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        refusal = check_signature()
        return refusal if refusal is not None else view(*args, **kwargs)

    wrapper.requires_signature = True  # type: ignore[attr-defined]
    return wrapper


def check_dlq_second_factor() -> Response | None:
    """With STAFF_TOTP_REQUIRED_FOR_DLQ on, the staff member must have two-factor enabled."""
    if current_app.config["STAFF_TOTP_REQUIRED_FOR_DLQ"] and not g.api_staff.totp_enabled:
        return _forbidden("Turn on two-factor sign-in to use the dead-letter queue.", code="totp_required")
    return None


def staff_dlq_required(role: str | View = "staff") -> Any:
    """Everything the DLQ endpoints need: staff token (role), signature, two-factor if configured."""
    if callable(role):
        return staff_dlq_required("staff")(role)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = check_staff_role(role) or check_signature() or check_dlq_second_factor()
            return refusal if refusal is not None else view(*args, **kwargs)

        wrapper.staff_role = _stronger(getattr(view, "staff_role", None), role)  # type: ignore[attr-defined]
        wrapper.requires_signature = True  # type: ignore[attr-defined]
        return wrapper

    return decorator
