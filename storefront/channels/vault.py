"""Channel credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) with
rotation through MultiFernet. The plaintext is a JSON object that only adapters ever see.

Why a library: authenticated encryption, key versioning and rotation are easy to get subtly wrong
by hand; Fernet is the maintained, audited recipe for exactly "encrypt a small secret at rest".
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from storefront.core.errors import DomainError


class CredentialsUnreadable(DomainError):
    """The stored credentials cannot be decrypted with any configured key."""


def _derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from SECRET_KEY (used when CHANNEL_CREDENTIAL_KEYS is blank)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"storefront-channels",
               info=b"channel-credentials").derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def keys_from_config(config: dict[str, Any]) -> list[bytes]:
    """The configured keys, first = the one that encrypts; raises ValueError on a malformed key."""
    keys = [k.strip().encode() for k in config.get("CHANNEL_CREDENTIAL_KEYS") or [] if k and k.strip()]
    for key in keys:
        Fernet(key)  # ValueError when it is not 32 urlsafe-base64 bytes
    return keys or [_derived_key(str(config["SECRET_KEY"]))]


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys_from_config(current_app.config)])


def seal(credentials: dict[str, Any]) -> str:
    """Encrypt a credentials object (empty → "")."""
    if not credentials:
        return ""
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def unseal(token: str) -> dict[str, Any]:
    """Decrypt what :func:`seal` made ("" → {})."""
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError):
        raise CredentialsUnreadable("The channel credentials cannot be decrypted with the configured keys.") from None


def rotate(token: str) -> str:
    """Re-encrypt with the first key (after a new key was put first)."""
    return _fernet().rotate(token.encode()).decode() if token else ""
