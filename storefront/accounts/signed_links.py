"""Signed, expiring links in customer emails (confirm the address, reset the password).

A link's token is an itsdangerous ``URLSafeTimedSerializer`` signature (the app's SECRET_KEY,
one salt per purpose) over the customer id and the account's ``account_stamp``. The stamp
changes when the link is used (confirmation time or password changes), so every link works once.
Links are built with :func:`storefront.web.urls.public_url` on PUBLIC_BASE_URL — never the request's
Host header, which an attacker could set to steal the token ("password reset poisoning").
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from storefront.web.urls import public_url  # noqa: F401  (re-exported for the email builders)

CONFIRM = "customer-confirm-email"
RESET = "customer-reset-password"
_MAX_AGE_SETTING = {CONFIRM: "CUSTOMER_CONFIRM_MAX_AGE_SECONDS", RESET: "CUSTOMER_RESET_MAX_AGE_SECONDS"}
MAX_TOKEN_LENGTH = 500


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, customer_id: int, stamp: str) -> str:
    return _serializer(purpose).dumps({"c": customer_id, "s": stamp})


def read_token(purpose: str, token: str) -> tuple[int, str] | None:
    """(customer id, stamp) from a valid, unexpired token of ``purpose``; None otherwise."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    max_age = int(current_app.config[_MAX_AGE_SETTING[purpose]])
    try:
        data: Any = _serializer(purpose).loads(token, max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("s"), str):
        return None
    return data["c"], data["s"]
