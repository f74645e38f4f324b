"""Issue, check and revoke bearer tokens.

Tokens are 256-bit random strings with a kind prefix (``sfs_`` staff, ``sfc_`` customer) so
secret scanners and humans can tell them apart. Only ``sha256(token)`` is stored; a lookup by
that hash cannot leak the token through comparison timing. ``issue_token``, ``revoke`` and
``revoke_all`` commit by default (they are whole use cases); pass ``commit=False`` to join a
larger transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from storefront.apitokens.models import TOKEN_KINDS, ApiToken
from storefront.db.timestamps import utcnow
from storefront.extensions import db

_PREFIX = {"customer": "sfc_", "staff": "sfs_"}
MAX_TOKEN_LENGTH = 200
# Writing last_used_at on every request would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedToken:
    """The plaintext token (shown once, to the client) and when it stops working."""

    token: str
    expires_at: datetime
    token_id: int


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token — what the database stores and is searched by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_kind(kind: str) -> None:
    if kind not in TOKEN_KINDS:
        raise ValueError(f"token kind must be one of {TOKEN_KINDS}, not {kind!r}")


def issue_token(kind: str, subject_id: int, ttl_seconds: int, *, commit: bool = True) -> IssuedToken:
    """Create a token for ``kind``/``subject_id`` that expires after ``ttl_seconds``."""
    _check_kind(kind)
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    token = _PREFIX[kind] + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(kind=kind, subject_id=subject_id, token_hash=hash_token(token),
                   created_at=now, expires_at=now + timedelta(seconds=ttl_seconds))
    db.session.add(row)
    db.session.flush()
    if commit:
        db.session.commit()
    return IssuedToken(token=token, expires_at=row.expires_at, token_id=row.id)


def find_token(token: str) -> ApiToken | None:
    """The row for ``token`` whatever its kind or state, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))


def authenticate(token: str, kind: str) -> ApiToken | None:
    """The usable token of ``kind`` matching ``token``; expired, revoked or other kinds → None.

    Records ``last_used_at`` (at most once a minute per token, committed on its own).
    """
    return _usable(find_token(token), kind)


def authenticate_id(token_id: int, kind: str) -> ApiToken | None:
    """As :func:`authenticate`, for a token named by its id inside a signed wrapper (a JWT's jti)."""
    return _usable(db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None, kind)


def _usable(row: ApiToken | None, kind: str) -> ApiToken | None:
    _check_kind(kind)
    if row is None or row.kind != kind:
        return None
    now = utcnow()
    if not row.is_usable(now):
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    return row


def revoke(token: str, *, commit: bool = True) -> bool:
    """Revoke one token; True when a usable token was revoked."""
    return _revoke(find_token(token), commit=commit)


def revoke_id(token_id: int, *, commit: bool = True) -> bool:
    """Revoke the token with this id; True when a usable token was revoked."""
    return _revoke(db.session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None, commit=commit)


def _revoke(row: ApiToken | None, *, commit: bool) -> bool:
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    if commit:
        db.session.commit()
    return True


def revoke_all(kind: str, subject_id: int, *, commit: bool = True) -> int:
    """Revoke every live token of one customer or staff member; returns how many."""
    _check_kind(kind)
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.kind == kind, ApiToken.subject_id == subject_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if commit:
        db.session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(older_than: timedelta = timedelta(days=30)) -> int:
    """Delete tokens that expired or were revoked more than ``older_than`` ago."""
    cutoff = utcnow() - older_than
    rows = db.session.scalars(select(ApiToken).where(
        (ApiToken.expires_at < cutoff) | (ApiToken.revoked_at < cutoff))).all()
    for row in rows:
        db.session.delete(row)
    db.session.commit()
    return len(rows)
