"""Rate limits on customer login and on everything that sends an email (register, resend, reset).

Login limits count *failed* attempts only (a view sets ``g.customer_login_failed``), per client
IP and per submitted email; the page and the API share both budgets. Once a budget is spent even
the right password gets 429 until the window passes — that is what stops guessing. Keys for
emails are hashed, so Redis never holds the addresses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request

from storefront.extensions import limiter

FAILED_FLAG = "customer_login_failed"
View = Callable[..., Any]


def submitted_email() -> str:
    """The ``email`` field of the form or JSON body (the Shop API's ``email_or_username``), normalised
    ("" when absent)."""
    if request.is_json:
        payload = request.get_json(silent=True)
        value = (payload.get("email") or payload.get("email_or_username")) if isinstance(payload, dict) else None
    else:
        value = request.form.get("email")
    return value.strip().lower() if isinstance(value, str) else ""


def _email_key() -> str:
    digest = hashlib.sha256(submitted_email().encode()).hexdigest()[:32]
    return f"email:{digest}"


def mark_login_failed() -> None:
    """Count this request against the failed-login budgets."""
    setattr(g, FAILED_FLAG, True)


def _login_failed(_response: Response) -> bool:
    return bool(g.get(FAILED_FLAG, False))


def _setting(name: str) -> str:
    return current_app.config[name]


login_ip_limit = limiter.shared_limit(
    lambda: _setting("CUSTOMER_LOGIN_RATE_LIMIT_PER_IP"), scope="customer-login-ip",
    methods=["POST"], deduct_when=_login_failed, override_defaults=False)
login_account_limit = limiter.shared_limit(
    lambda: _setting("CUSTOMER_LOGIN_RATE_LIMIT_PER_ACCOUNT"), scope="customer-login-account",
    key_func=_email_key, methods=["POST"], deduct_when=_login_failed, override_defaults=False)
email_ip_limit = limiter.shared_limit(
    lambda: _setting("CUSTOMER_EMAIL_RATE_LIMIT_PER_IP"), scope="customer-email-ip",
    methods=["POST"], override_defaults=False)
email_address_limit = limiter.shared_limit(
    lambda: _setting("CUSTOMER_EMAIL_RATE_LIMIT_PER_ADDRESS"), scope="customer-email-address",
    key_func=_email_key, methods=["POST"], override_defaults=False)


def login_limits(view: View) -> View:
    """Both failed-login budgets (per IP, per account)."""
    return login_ip_limit(login_account_limit(view))


def email_limits(view: View) -> View:
    """Both budgets for requests that send an email (per IP, per address)."""
    return email_ip_limit(email_address_limit(view))
