"""Square webhook signatures: base64(HMAC-SHA256(key, notification_url + raw_body))."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence


def sign(signature_key: str, notification_url: str, body: bytes) -> str:
    """The ``x-square-hmacsha256-signature`` value Square sends for ``body``."""
    digest = hmac.new(signature_key.encode(), notification_url.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(signature_keys: Sequence[str], notification_url: str, body: bytes, header_value: str | None) -> bool:
    """True when the header matches under any configured key (rotation), compared in constant time."""
    if not header_value or not signature_keys:
        return False
    presented = header_value.strip().encode()
    matched = False
    for key in signature_keys:
        if key:
            # Check every key (no early exit) so timing does not reveal which one matched.
            matched |= hmac.compare_digest(sign(key, notification_url, body).encode(), presented)
    return matched
