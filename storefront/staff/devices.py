"""Known devices: a signed cookie a browser gets when a staff member signs in on it.

Login throttling slows down guessing from everywhere else, but a browser that has signed in
as that staff member before is still let through (with the right password): so anonymous
wrong guesses can never lock a staff member out of their own shop.
"""

from __future__ import annotations

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "staff_device"
MAX_AGE_SECONDS = 180 * 24 * 3600
_SALT = "staff-known-device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def device_token(staff_id: int) -> str:
    """A new signed token naming this browser as one ``staff_id`` has signed in on."""
    return _serializer().dumps({"staff": staff_id, "device": secrets.token_urlsafe(9)})


def recognises(token: str | None, staff_id: int) -> bool:
    """True when ``token`` is a valid, unexpired device token of ``staff_id``."""
    if not token or len(token) > 512:
        return False
    try:
        data = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        return False
    return isinstance(data, dict) and data.get("staff") == staff_id
