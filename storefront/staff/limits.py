"""Rate limits on staff sign-in, shared by the login page, its code step and the API login."""

from __future__ import annotations

from flask import current_app

from storefront.extensions import limiter


def login_rate_limit() -> str:
    return current_app.config["STAFF_LOGIN_RATE_LIMIT"]


# One per-IP budget shared by the page login, its code step and the API login.
login_limit = limiter.shared_limit(login_rate_limit, scope="staff-login", methods=["POST"], override_defaults=False)
